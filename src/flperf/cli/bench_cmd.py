"""`flperf bench`: benchmark an OpenAI-compatible endpoint from the terminal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from flperf.bench import event_loop
from flperf.bench.fingerprint import run_fingerprint
from flperf.bench.run_config import RunConfig
from flperf.bench.runner import Runner, RunOutcome, RunStatus, Target
from flperf.bench.workload import (
    Suite,
    WorkloadError,
    prompt_suite,
    resolve_suite,
    synthetic_suite,
)
from flperf.cli.errors import EXIT_CANCELLED, EXIT_SLO_MISSED, fail
from flperf.cli.served_models import foundry_targets
from flperf.cli.tables import (
    errors_table,
    results_console,
    results_table,
    slo_table,
    trials_table,
)
from flperf.report.document import sample_rows
from flperf.report.json_export import run_document

_OPTION_OF_FIELD = {"slos": "slo", "scenarios": "scenario", "streaming": "no-stream"}


def _validation_message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else "config"
    option = _OPTION_OF_FIELD.get(field, field.replace("_", "-"))
    return f"--{option}: {err['msg'].removeprefix('Value error, ')}"


def _check_endpoint(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        fail(f"--endpoint must be an http(s) URL like http://127.0.0.1:8000/v1, got {url!r}")
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
    concurrency: Annotated[int, typer.Option(help="Requests in flight (closed loop)")] = 1,
    rate: Annotated[float | None, typer.Option(help="Requests/s (open loop)")] = None,
    rate_mode: Annotated[str, typer.Option(help="constant or poisson")] = "constant",
    max_concurrency: Annotated[
        int | None, typer.Option(help="Cap on requests in flight with --rate")
    ] = None,
    warmup: Annotated[int, typer.Option(help="Warm-up requests per scenario")] = 1,
    timeout: Annotated[float, typer.Option(help="Per-request timeout, seconds")] = 30.0,
    temperature: Annotated[float, typer.Option(help="Sampling temperature (0 allowed)")] = 0.7,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Ask for whole responses")] = False,
    trials: Annotated[int, typer.Option(help="Repeat each scenario this many times")] = 1,
    seed: Annotated[int, typer.Option(help="Seed for anything random")] = 0,
    slo: Annotated[
        list[str] | None,
        typer.Option(help="Objective like ttft_p95_ms=500 (repeatable); exit 3 when missed"),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="FLPERF_API_KEY", help="Bearer token")
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write run, results and requests here")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
) -> None:
    """Run a benchmark suite against one or more models and print a results table."""
    if endpoint is not None:
        _check_endpoint(endpoint)
    if any(not m.strip() for m in model):
        fail("--model is empty")
    if len(set(model)) != len(model):
        fail("--model names a model twice")
    if server_pid is not None and (endpoint is None or server_pid <= 0):
        fail("--server-pid needs --endpoint and a positive process id")
    if not 0 < timeout <= 3600:
        fail(f"--timeout must be between 0 and 3600 seconds, got {timeout:g}")
    try:
        config = RunConfig(
            iterations=iterations,
            concurrency=concurrency,
            rate=rate,
            rate_mode=rate_mode,
            max_concurrency=max_concurrency,
            warmup=warmup,
            timeout=max(100, round(timeout * 1000)),
            temperature=temperature,
            max_tokens=max_tokens,
            streaming=not no_stream,
            trials=trials,
            seed=seed,
            scenarios=scenario or None,
            slos=slo or [],
        )
    except ValidationError as exc:
        fail(_validation_message(exc))
    chosen = _pick_suite(suite, prompt, synthetic_tokens, max_tokens, seed)
    try:
        chosen.select(config.scenarios)
    except WorkloadError as exc:
        fail(str(exc))
    with _targets(model, endpoint, api_key, server_pid) as (targets, facts):
        outcome = run_with_progress(targets, chosen, config, quiet=quiet)
    console = results_console()
    names = ", ".join(t.name for t in targets)
    console.print(results_table(outcome.results, title=f"{chosen.name} on {names}"))
    for extra in (
        errors_table(outcome.results),
        trials_table(outcome.results),
        slo_table(outcome.results),
    ):
        if extra is not None:
            console.print(extra)
    if json_path is not None:
        run_info = {
            "suite_name": chosen.name,
            "suite_version": chosen.version,
            "endpoint": endpoint,
            "model_ids": [t.name for t in targets],
            "config": config.model_dump(mode="json"),
            "status": outcome.status.value,
            "started_at": outcome.started_at,
            "completed_at": outcome.completed_at,
            "hardware_info": run_fingerprint(facts).model_dump(mode="json"),
        }
        samples = sample_rows(outcome.samples, outcome.ref_ns)
        document = run_document(run_info, outcome.results, outcome.records, samples)
        try:
            json_path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        except OSError as exc:
            fail(f"--json: cannot write {json_path} ({exc.strerror or exc})")
        console.print(f"wrote {len(outcome.records)} request records to {json_path}")
    if outcome.status is RunStatus.CANCELLED:
        console.print("[yellow]cancelled: results above cover the requests measured so far[/]")
        raise SystemExit(EXIT_CANCELLED)
    if any(r.slos_met is False for r in outcome.results if r.scenario != "*"):
        console.print("[red]an SLO was missed[/]")
        raise SystemExit(EXIT_SLO_MISSED)


@contextmanager
def _targets(
    models: list[str], endpoint: str | None, api_key: str | None, pid: int | None
) -> Iterator[tuple[list[Target], dict[str, dict[str, Any]]]]:
    if endpoint is None:
        with foundry_targets(models) as served:
            yield served
        return
    targets = [
        Target(name=m, endpoint=endpoint, served_model=m, api_key=api_key, pid=pid) for m in models
    ]
    yield targets, {m: {"provider": "openai", "model_variant_id": m, "endpoint": endpoint}
                    for m in models}  # fmt: skip


def run_with_progress(
    targets: list[Target], suite: Suite, config: RunConfig, *, quiet: bool = False
) -> RunOutcome:
    """Run with a Rich progress bar; Ctrl-C cancels cleanly and keeps what was measured."""
    runner = Runner(targets, suite, config)
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

    async def main() -> RunOutcome:
        loop = asyncio.get_running_loop()
        # On Windows there are no loop signal handlers; KeyboardInterrupt ends the run instead.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, runner.cancel)
        task_id = bar.add_task("benchmark", total=runner.progress.total)

        async def refresh() -> None:
            while True:
                p = runner.progress
                bar.update(task_id, completed=p.done, description=f"{p.model} / {p.scenario}")
                await asyncio.sleep(0.1)

        ticker = asyncio.create_task(refresh())
        try:
            return await runner.run()
        finally:
            ticker.cancel()

    with bar:
        return event_loop.run(main())
