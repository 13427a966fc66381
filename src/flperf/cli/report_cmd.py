"""`flperf report`: a run as a self-contained HTML report, Markdown, CSV or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from flperf.cli.errors import fail


def _from_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"cannot read {path} ({exc.strerror or exc})")
    except json.JSONDecodeError as exc:
        fail(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})")
    if not isinstance(data, dict) or not {"run", "results", "requests"} <= set(data):
        fail(f"{path}: not a run document (expected run, results and requests)")
    return data


def _from_store(run_id: str) -> dict[str, Any]:
    from flperf.service import NotFoundError, Settings, open_services
    from flperf.service.exports import json_export

    services = open_services(Settings.from_env(background=False))
    try:
        return json_export(services.runs, run_id)
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
    from flperf.report.document import DocumentError
    from flperf.report.registry import render

    path = Path(source).expanduser()
    document = _from_file(path) if path.suffix == ".json" or path.is_file() else _from_store(source)
    outputs = {"html": html, "md": md, "csv": csv, "json": json_path}
    chosen = {fmt: out for fmt, out in outputs.items() if out is not None}
    try:
        if not chosen:
            print(render(document, "md").decode("utf-8"))
            return
        for fmt, out in chosen.items():
            data = render(document, fmt)
            try:
                out.write_bytes(data)
            except OSError as exc:
                fail(f"--{fmt}: cannot write {out} ({exc.strerror or exc})")
            print(f"wrote {fmt} report to {out} ({len(data):,} bytes)")
    except DocumentError as exc:
        fail(f"{source}: {exc}")
