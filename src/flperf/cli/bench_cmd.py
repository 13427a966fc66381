"""`flperf bench`: benchmark one or more models from the terminal.

The run goes through `flperf.bench.session.BenchSession`, the loop the server's runs use too, and
`--json` writes the same run document the server exports.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from flperf.bench import event_loop
from flperf.bench.document_sink import DocumentSink
from flperf.bench.run_config import RunConfig, field_name
from flperf.bench.run_document import RunDocument, RunState
from flperf.bench.session import BenchSession, SessionOutcome
from flperf.bench.workload import (
    Suite,
    WorkloadError,
    prompt_suite,
    resolve_suite,
    synthetic_suite,
)
from flperf.cli.errors import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_SLO_MISSED, fail
from flperf.cli.serving import FoundryServing, endpoint_serving
from flperf.cli.tables import (
    errors_table,
    lifecycle_table,
    results_console,
    results_table,
    slo_table,
    trials_table,
)

_OPTION_OF_FIELD = {
    "slos": "slo",
    "scenarios": "scenario",
    "streaming": "no-stream",
    "timeout": "timeout-ms",
}


def _validation_message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    message = err["msg"].removeprefix("Value error, ")
    field = field_name(err["loc"])
    if not field:
        return message
    option = _OPTION_OF_FIELD.get(field.split(".")[0], field.split(".")[0].replace("_", "-"))
    return f"--{option}: {message}"


def _check_endpoint(url: str, option: str = "--endpoint") -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        example = "http://127.0.0.1:8000/v1" if option == "--endpoint" else "http://127.0.0.1:3001"
        fail(f"{option} must be an http(s) URL like {example}, got {url!r}")
    return url


def _pick_suite(
    suite: str | None, prompt: str | None, synthetic: int | None, max_tokens: int | None, seed: int
) -> Suite:
    given = [x for x in (suite, prompt, synthetic) if x is not None]
    if len(given) > 1:
        fail("give only one of --suite, --prompt or --synthetic-tokens")
    try:
        if prompt is not None:
            return prompt_suite(prompt, max_tokens or 128)
        if synthetic is not None:
            return synthetic_suite(synthetic, max_tokens or 128, seed)
        return resolve_suite(suite or "default")
    except WorkloadError as exc:
        fail(str(exc))


def _config(settings: dict[str, Any]) -> RunConfig:
    if settings.get("rate") is None:
        for flag, key in (("--rate-mode", "rate_mode"), ("--max-concurrency", "max_concurrency")):
            if settings.get(key) not in (None, "constant"):
                fail(f"{flag} applies only with --rate")
    try:
        return RunConfig.model_validate({k: v for k, v in settings.items() if v is not None})
    except ValidationError as exc:
        fail(_validation_message(exc))


def bench(
    model: Annotated[
        list[str],
        typer.Option(
            help="Model to benchmark (repeatable). With --endpoint: the name sent in requests; "
            "without: a Foundry Local model id or alias, served by a host process"
        ),
    ],
    endpoint: Annotated[
        str | None, typer.Option(help="Base URL of an OpenAI-compatible server you run")
    ] = None,
    server_pid: Annotated[
        int | None, typer.Option(help="PID of that server, for CPU/RAM attribution")
    ] = None,
    suite: Annotated[str | None, typer.Option(help="Suite name or path to a suite JSON")] = None,
    prompt: Annotated[str | None, typer.Option(help="Benchmark this single prompt")] = None,
    synthetic_tokens: Annotated[
        int | None, typer.Option(help="Synthetic prompt of about this many tokens")
    ] = None,
    scenario: Annotated[
        list[str] | None, typer.Option(help="Run only this scenario (repeatable)")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Override max_tokens")] = None,
    iterations: Annotated[int, typer.Option(help="Measured requests per scenario")] = 5,
    concurrency: Annotated[
        int | None, typer.Option(help="Requests in flight (closed loop; default 1)")
    ] = None,
    rate: Annotated[float | None, typer.Option(help="Requests/s (open loop)")] = None,
    rate_mode: Annotated[str, typer.Option(help="constant or poisson")] = "constant",
    max_concurrency: Annotated[
        int | None, typer.Option(help="Cap on requests in flight with --rate")
    ] = None,
    warmup: Annotated[int, typer.Option(help="Warm-up requests per scenario")] = 1,
    timeout_ms: Annotated[
        int, typer.Option("--timeout-ms", help="Per-request timeout, milliseconds")
    ] = 30_000,
    temperature: Annotated[float, typer.Option(help="Sampling temperature (0 allowed)")] = 0.7,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Ask for whole responses")] = False,
    trials: Annotated[int, typer.Option(help="Repeat each scenario this many times")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of Poisson arrivals and synthetic prompts")] = 0,
    slo: Annotated[
        list[str] | None,
        typer.Option(help="Objective like ttft_p95_ms=500 (repeatable); exit 3 when missed"),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="FLPERF_API_KEY", help="Bearer token")
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the run document (every request) here")
    ] = None,
    report_to: Annotated[
        str | None,
        typer.Option(
            help="Also store the run on the flperf server at this URL (e.g. a shared one: "
            "http://lab:3001), tagged with this machine's name"
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
) -> None:
    """Run a benchmark suite against one or more models and print a results table."""
    if endpoint is not None:
        _check_endpoint(endpoint)
    if report_to is not None:
        report_to = _check_endpoint(report_to, "--report-to").rstrip("/")
    if any(not m.strip() for m in model):
        fail("--model is empty")
    if len(set(model)) != len(model):
        fail("--model names a model twice")
    if server_pid is not None and (endpoint is None or server_pid <= 0):
        fail("--server-pid needs --endpoint and a positive process id")
    config = _config(
        {
            "iterations": iterations,
            "concurrency": concurrency,
            "rate": rate,
            "rate_mode": rate_mode,
            "max_concurrency": max_concurrency,
            "seed": seed,
            "warmup": warmup,
            "timeout": timeout_ms,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "streaming": not no_stream,
            "trials": trials,
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
    sink = DocumentSink()
    try:
        session = BenchSession(serving.models, chosen, config, serving, sink)
        outcome = run_with_progress(session, quiet=quiet)
    finally:
        serving.close()
    for level, message in sink.logs:
        if level in ("warning", "error"):
            print(f"warning: {message}", file=sys.stderr)
    document = sink.document(session, outcome, endpoint)
    _report(document, json_path)
    if report_to is not None:
        _report_to(document, report_to)
    if outcome.status is RunState.FAILED:
        fail(outcome.error or "the run failed", code=EXIT_BAD_INPUT)
    if outcome.status is RunState.CANCELLED:
        raise SystemExit(EXIT_CANCELLED)
    if any(r.slos_met is False for r in document.results if r.scenario != "*"):
        raise SystemExit(EXIT_SLO_MISSED)


def _report(document: RunDocument, json_path: Path | None) -> None:
    """Print the results tables (and write the document when asked)."""
    from flperf.report.registry import render

    console = results_console()
    run = document.run
    names = ", ".join(a or m for m, a in zip(run.model_ids, run.model_aliases, strict=True))
    console.print(results_table(document.results, title=f"{document.run.suite_name} on {names}"))
    for extra in (
        lifecycle_table(document.lifecycle_rows()),
        errors_table(document.results),
        trials_table(document.results),
        slo_table(document.results),
    ):
        if extra is not None:
            console.print(extra)
    if json_path is not None:
        try:
            json_path.write_bytes(render(document, "json"))
        except OSError as exc:
            fail(f"--json: cannot write {json_path} ({exc.strerror or exc})")
        console.print(f"wrote {len(document.requests)} request records to {json_path}")
    status = document.run.status
    if status is RunState.CANCELLED:
        console.print("[yellow]cancelled: results above cover the requests measured so far[/]")
    elif any(r.slos_met is False for r in document.results if r.scenario != "*"):
        console.print("[red]an SLO was missed[/]")


def _report_to(document: RunDocument, server: str) -> None:
    """Store the run on a flperf server (POST /api/benchmarks/runs/import)."""
    import httpx

    from flperf.report.registry import render

    url = f"{server}/api/benchmarks/runs/import"
    try:
        reply = httpx.post(
            url,
            content=render(document, "json"),
            headers={"content-type": "application/json"},
            timeout=120.0,
        )
    except httpx.HTTPError as exc:
        fail(f"--report-to: {server} did not take the run ({exc})", code=1)
    if reply.status_code != 201:
        try:
            reason = reply.json().get("error", reply.text)
        except ValueError:
            reason = reply.text[:200]
        fail(f"--report-to: {server} refused the run ({reply.status_code}): {reason}", code=1)
    run_id = reply.json()["runId"]
    results_console().print(f"stored on {server} as {run_id}: {server}/results?run={run_id}")


def run_with_progress(session: BenchSession, *, quiet: bool = False) -> SessionOutcome:
    """Run with a Rich progress bar; Ctrl-C cancels cleanly and keeps what was measured."""
    show = not quiet and sys.stderr.isatty()
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not show,
        console=Console(stderr=True),
    )

    async def main() -> SessionOutcome:
        uninstall = event_loop.install_interrupt(asyncio.get_running_loop(), session.cancel)
        task_id = bar.add_task("benchmark", total=session.total)

        async def refresh() -> None:
            while True:
                p = session.snapshot()
                bar.update(task_id, completed=p.done, description=f"{p.model} / {p.scenario}")
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
