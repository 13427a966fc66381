"""`flperf report`: a run as a self-contained HTML report, Markdown, CSV or JSON."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flperf.cli.errors import fail

if TYPE_CHECKING:
    from flperf.bench.run_document import RunDocument


def _from_file(path: Path) -> RunDocument:
    from flperf.bench.run_document import DocumentError, RunDocument

    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path} ({exc.strerror or exc})")
    try:
        return RunDocument.parse(data)
    except DocumentError as exc:
        fail(f"{path}: not a run document ({exc})")


def _from_store(run_id: str) -> RunDocument:
    from flperf.service import NotFoundError, Settings, open_services

    services = open_services(Settings.from_env(background=False))
    try:
        return services.runs.document(run_id)
    except NotFoundError as exc:
        fail(str(exc))
    finally:
        services.close()


def report(
    source: Annotated[str, typer.Argument(help="A run id from the store, or a run JSON file")],
    html: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report")] = None,
    md: Annotated[Path | None, typer.Option(help="Write a Markdown summary")] = None,
    csv: Annotated[Path | None, typer.Option(help="Write one CSV row per result")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the run document")] = None,
) -> None:
    """Export a run. With no output option, print the Markdown summary."""
    from flperf.report.registry import render

    path = Path(source).expanduser()
    document = _from_file(path) if path.suffix == ".json" or path.is_file() else _from_store(source)
    outputs = {"html": html, "md": md, "csv": csv, "json": json_path}
    chosen = {fmt: out for fmt, out in outputs.items() if out is not None}
    if not chosen:
        sys.stdout.write(render(document, "md").decode("utf-8"))
        return
    for fmt, out in chosen.items():
        data = render(document, fmt)
        try:
            out.write_bytes(data)
        except OSError as exc:
            fail(f"--{fmt}: cannot write {out} ({exc.strerror or exc})")
        print(f"wrote {fmt} report to {out} ({len(data):,} bytes)")
