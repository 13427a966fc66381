"""Running the engine against the simulator and lining its records up with the simulator's log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flperf.bench import event_loop
from flperf.bench.records import RequestRecord
from flperf.bench.run_config import RunConfig
from flperf.bench.runner import Runner, RunOutcome, Target
from flperf.bench.workload import Suite, parse_suite
from flperf.sim.process import SimProcess


def one_scenario_suite(max_tokens: int = 32, name: str = "s") -> Suite:
    """A suite with one short scenario."""
    return parse_suite(
        {
            "name": "t",
            "scenarios": [{"name": name, "prompt": "say something", "max_tokens": max_tokens}],
        }
    )


def run_against(
    sim: SimProcess, config: RunConfig, suite: Suite | None = None
) -> tuple[Runner, RunOutcome]:
    """Benchmark the simulator; returns the runner (for its clock reference) and the outcome."""
    runner = Runner(
        Target(name="sim", endpoint=sim.url + "/v1", served_model="sim-model"),
        suite or one_scenario_suite(),
        config,
    )
    return runner, event_loop.run(runner.run())


def first_content_ns(entry: dict[str, Any]) -> int:
    """When the simulator wrote the first token-bearing chunk of a request."""
    return next(ns for ns, kind, _ in entry["chunks"] if kind == "content")


def last_content_ns(entry: dict[str, Any]) -> int:
    """When the simulator wrote the last token-bearing chunk of a request."""
    return [ns for ns, kind, _ in entry["chunks"] if kind == "content"][-1]


def ttft_errors_ms(
    runner: Runner, records: Sequence[RequestRecord], log: dict[str, Any]
) -> list[float]:
    """Engine's first-token time minus the simulator's write time, per successful request."""
    by_id = {entry["id"]: entry for entry in log["requests"]}
    errors = []
    for r in records:
        if r.ok and r.ttft_ms is not None and r.response_id in by_id:
            engine_ns = runner.ref_ns + (r.start_ms + r.ttft_ms) * 1e6
            errors.append((engine_ns - first_content_ns(by_id[r.response_id])) / 1e6)
    return errors
