"""`flperf sweep`: measure models at increasing load until they stop keeping up.

Every point is a `BenchSession` run in this process, as `flperf bench` runs one; the loads come
from `flperf.bench.sweep.next_step`, the function the server's sweeps use. `--json` writes the
sweep document with every point's run document.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from flperf.bench import event_loop
from flperf.bench.run_document import RunState
from flperf.bench.sweep import SweepSettings, load_text
from flperf.bench.sweep_document import ModelSweep, SweepDocument
from flperf.bench.sweep_session import SweepSession
from flperf.bench.workload import WorkloadError
from flperf.cli.bench_cmd import _check_endpoint, _config, _pick_suite
from flperf.cli.errors import EXIT_BAD_INPUT, EXIT_CANCELLED, fail
from flperf.cli.serving import FoundryServing, endpoint_serving
from flperf.cli.tables import results_console
from flperf.report.sweep_markdown import render_sweep_markdown, sweep_findings

_OPTION_OF_SETTING = {
    "min_gain_pct": "min-gain",
    "max_error_rate": "max-error-rate",
    "knee_efficiency": "knee-efficiency",
    "max_points": "max-points",
}
DEFAULT_START = 1.0
DEFAULT_MAX = 64.0


def _option(name: str) -> str:
    base = name.split("[")[0]
    return "--" + _OPTION_OF_SETTING.get(base, base.replace("_", "-"))


def _settings_message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    message = err["msg"].removeprefix("Value error, ")
    if err["loc"]:
        return f"{_option(str(err['loc'][0]))}: {message}"
    field, colon, rest = message.partition(": ")
    return f"{_option(field)}: {rest}" if colon and " " not in field else message


def _parse_loads(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        fail(f"--loads: give numbers separated by commas, like 1,2,4,8; got {text!r}")


def sweep_settings(values: dict[str, Any]) -> SweepSettings:
    """The sweep's settings from the command line (exits 2 naming the option when invalid)."""
    try:
        return SweepSettings.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        fail(_settings_message(exc))


def sweep(
    model: Annotated[
        list[str],
        typer.Option(
            help="Model to sweep (repeatable). With --endpoint: the name sent in requests; "
            "without: a Foundry Local model id or alias, served by a host process"
        ),
    ],
    endpoint: Annotated[
        str | None, typer.Option(help="Base URL of an OpenAI-compatible server you run")
    ] = None,
    server_pid: Annotated[
        int | None, typer.Option(help="PID of that server, for CPU/RAM attribution")
    ] = None,
    axis: Annotated[
        str, typer.Option(help="concurrency (requests in flight) or rate (requests/s)")
    ] = "concurrency",
    loads: Annotated[
        str | None, typer.Option(help="Measure exactly these loads, e.g. 1,2,4,8")
    ] = None,
    geometric: Annotated[
        bool, typer.Option("--geometric", help="Only the series start x factor up to max")
    ] = False,
    start: Annotated[float | None, typer.Option(help="First load (default 1)")] = None,
    factor: Annotated[float, typer.Option(help="Growth between scan loads")] = 2.0,
    max_load: Annotated[
        float | None, typer.Option("--max", help="Highest scan load (default 64)")
    ] = None,
    resolution: Annotated[
        float, typer.Option(help="Automatic search: bisect until loads are this close")
    ] = 0.1,
    min_gain: Annotated[
        float, typer.Option(help="Stop when throughput grows less than this percent")
    ] = 10.0,
    max_error_rate: Annotated[
        float, typer.Option(help="A point with more failed requests (percent) fails")
    ] = 1.0,
    knee_efficiency: Annotated[
        float, typer.Option(help="Share of a load step's gain that still counts as scaling")
    ] = 0.5,
    max_points: Annotated[int, typer.Option(help="Most points per model")] = 24,
    fixed_iterations: Annotated[
        bool,
        typer.Option(
            "--fixed-iterations", help="Same --iterations at every load (default: x load)"
        ),
    ] = False,
    suite: Annotated[str | None, typer.Option(help="Suite name or path to a suite JSON")] = None,
    prompt: Annotated[str | None, typer.Option(help="Sweep with this single prompt")] = None,
    synthetic_tokens: Annotated[
        int | None, typer.Option(help="Synthetic prompt of about this many tokens")
    ] = None,
    scenario: Annotated[
        list[str] | None, typer.Option(help="Run only this scenario (repeatable)")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Override max_tokens")] = None,
    iterations: Annotated[
        int,
        typer.Option(help="Measured requests per scenario and unit of load (see --fixed-...)"),
    ] = 5,
    rate_mode: Annotated[str, typer.Option(help="Arrivals of a rate sweep: constant, poisson")] = (
        "constant"
    ),
    max_concurrency: Annotated[
        int | None, typer.Option(help="Rate sweep: cap on requests in flight")
    ] = None,
    warmup: Annotated[int, typer.Option(help="Warm-up requests per scenario")] = 1,
    timeout_ms: Annotated[
        int, typer.Option("--timeout-ms", help="Per-request timeout, milliseconds")
    ] = 30_000,
    temperature: Annotated[float, typer.Option(help="Sampling temperature (0 allowed)")] = 0.7,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Ask for whole responses")] = False,
    seed: Annotated[int, typer.Option(help="Seed of Poisson arrivals and synthetic prompts")] = 0,
    slo: Annotated[
        list[str] | None,
        typer.Option(help="Objective like ttft_p95_ms=500 (repeatable); a point missing one fails"),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="FLPERF_API_KEY", help="Bearer token")
    ] = None,
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Write the sweep document (every point's run) here"),
    ] = None,
    markdown_path: Annotated[
        Path | None, typer.Option("--markdown", help="Write a Markdown summary of the sweep here")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
) -> None:
    """Measure each model at increasing load; print its points, knee and capacity under SLO."""
    if endpoint is not None:
        _check_endpoint(endpoint)
    if any(not m.strip() for m in model):
        fail("--model is empty")
    if len(set(model)) != len(model):
        fail("--model names a model twice")
    if server_pid is not None and (endpoint is None or server_pid <= 0):
        fail("--server-pid needs --endpoint and a positive process id")
    if axis not in ("concurrency", "rate"):
        fail(f"--axis must be concurrency or rate, got {axis!r}")
    if loads is not None and geometric:
        fail("give either --loads or --geometric, not both")
    if axis == "concurrency" and (rate_mode != "constant" or max_concurrency is not None):
        fail("--rate-mode and --max-concurrency apply to --axis rate")
    listed = loads is not None
    settings = sweep_settings(
        {
            "axis": axis,
            "mode": "list" if listed else ("geometric" if geometric else "auto"),
            "loads": _parse_loads(loads) if loads is not None else None,
            "start": None if listed else (start if start is not None else DEFAULT_START),
            "max": None if listed else (max_load if max_load is not None else DEFAULT_MAX),
            "factor": factor,
            "resolution": resolution,
            "min_gain_pct": min_gain,
            "max_error_rate": max_error_rate,
            "knee_efficiency": knee_efficiency,
            "max_points": max_points,
            "scale_iterations": not fixed_iterations,
        }
    )
    base_load: dict[str, Any] = {"concurrency": None}
    if axis == "rate":  # the base load gives the arrivals; each point sets its rate
        first = settings.scan_loads()[0]
        base_load = {"rate": first, "rate_mode": rate_mode, "max_concurrency": max_concurrency}
    config = _config(
        {
            "iterations": iterations,
            **base_load,
            "seed": seed,
            "warmup": warmup,
            "timeout": timeout_ms,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "streaming": not no_stream,
            "scenarios": scenario or None,
            "slos": slo or [],
        }
    )
    chosen = _pick_suite(suite, prompt, synthetic_tokens, max_tokens, seed)
    try:
        chosen.select(config.scenarios)
    except WorkloadError as exc:
        fail(str(exc))
    serving = (
        FoundryServing(model)
        if endpoint is None
        else endpoint_serving(model, endpoint, api_key, server_pid)
    )
    try:
        session = SweepSession(serving.models, chosen, config, settings, serving, endpoint=endpoint)
        document = _run_with_progress(session, quiet=quiet)
    finally:
        serving.close()
    print_sweep(document)
    if json_path is not None:
        try:
            json_path.write_bytes(document.to_json())
        except OSError as exc:
            fail(f"--json: cannot write {json_path} ({exc.strerror or exc})")
        results_console().print(
            f"wrote the sweep document ({len(document.runs)} runs) to {json_path}"
        )
    if markdown_path is not None:
        try:
            markdown_path.write_text(render_sweep_markdown(document), encoding="utf-8")
        except OSError as exc:
            fail(f"--markdown: cannot write {markdown_path} ({exc.strerror or exc})")
    status = document.sweep.status
    if status is RunState.FAILED:
        fail(document.sweep.error or "the sweep failed", code=EXIT_BAD_INPUT)
    if status is RunState.CANCELLED:
        raise SystemExit(EXIT_CANCELLED)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def points_table(model: ModelSweep, axis: str) -> Table:
    """One row per point of a model's sweep, knee and capacity marked."""
    analysis = model.analysis
    table = Table(title=f"{model.model_alias or model.model_id}: {axis} sweep", header_style="bold")
    for name in (axis, "tokens/s", "req/s", "TTFT p95\nms", "E2E p95\nms", "errors\n%"):
        table.add_column(name, justify="right")
    for name in ("gain\n%", "efficiency"):
        table.add_column(name, justify="right")
    table.add_column("objectives")
    table.add_column("run")
    for point in analysis.points:
        marks = []
        if point.load == analysis.knee:
            marks.append("knee")
        if point.load == analysis.capacity:
            marks.append("capacity")
        verdict = "[green]met[/]" if point.passed else f"[red]{'; '.join(point.failures)}[/]"
        table.add_row(
            load_text(point.load) + (f" ({', '.join(marks)})" if marks else ""),
            _ms(point.tps),
            "-" if point.request_throughput is None else f"{point.request_throughput:,.2f}",
            _ms(point.ttft_p95_ms),
            _ms(point.e2e_p95_ms),
            f"{point.error_rate:.1f}",
            "-" if point.gain_pct is None else f"{point.gain_pct:+.1f}",
            "-" if point.efficiency is None else f"{point.efficiency:.2f}",
            verdict,
            point.run_id or "-",
        )
    return table


def print_sweep(document: SweepDocument) -> None:
    """Each model's points table and findings, then the Pareto-optimal points across models."""
    console = results_console()
    axis = document.sweep.settings.axis
    for model in document.models:
        console.print(points_table(model, axis))
        for name, text in sweep_findings(model, axis):
            console.print(f"{name}: {text}")
    if len(document.models) > 1:
        best = [p for p in document.pareto if p.optimal]
        console.print("Pareto-optimal points (tokens/s vs TTFT p95):")
        for p in best:
            name = p.model_alias or p.model_id
            console.print(
                f"  {name} at {axis} {load_text(p.load)}: {_ms(p.tps)} tokens/s, "
                f"TTFT p95 {_ms(p.ttft_p95_ms)} ms"
            )
    if document.sweep.status is RunState.CANCELLED:
        console.print("[yellow]cancelled: the points above are those measured so far[/]")


def _run_with_progress(session: SweepSession, *, quiet: bool = False) -> SweepDocument:
    """Run with a Rich progress line per point; Ctrl-C cancels and keeps what was measured."""
    show = not quiet and sys.stderr.isatty()
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        transient=True,
        disable=not show,
        console=Console(stderr=True),
    )

    async def main() -> SweepDocument:
        uninstall = event_loop.install_interrupt(asyncio.get_running_loop(), session.cancel)
        task_id = bar.add_task("sweep", total=None)

        async def refresh() -> None:
            while True:
                p = session.snapshot()
                if p.run is not None and p.load is not None:
                    bar.update(
                        task_id,
                        completed=p.run.done,
                        total=p.run.total,
                        description=f"{p.model} at {session.settings.axis} "
                        f"{load_text(p.load)} (point {p.points + 1})",
                    )
                await asyncio.sleep(0.1)

        ticker = asyncio.create_task(refresh()) if show else None
        try:
            return await session.run()
        finally:
            uninstall()
            if ticker is not None:
                ticker.cancel()

    with bar:
        return event_loop.run(main())
