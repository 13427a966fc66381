"""How close the engine's timestamps are to when the simulator actually wrote each chunk.

The simulator (TTFT 100 ms, ITL 10 ms, 64 tokens, role-only first chunk) logs the moment it wrote
every chunk. The engine and a minimal aiohttp client (the floor: loopback plus event-loop wake-ups)
are each compared with that log, at concurrency 1 and 32, client on CPU 0 and simulator on CPU 1.

    .venv/bin/python benchmarks/accuracy.py [--requests-c1 40] [--requests-c32 256]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

from minimal_client import run_minimal

from flperf.bench import event_loop
from flperf.bench.run_config import RunConfig
from flperf.bench.runner import Runner, Target
from flperf.bench.workload import parse_suite
from flperf.sim.config import SimConfig
from flperf.sim.process import start_simulator

TOKENS = 64


def _content_times(entry: dict[str, Any]) -> list[int]:
    return [ns for ns, kind, _ in entry["chunks"] if kind == "content"]


def _stats(values: Sequence[float]) -> str:
    arr = np.asarray(values)
    return f"median {np.median(arr):+7.3f}  p99 {np.percentile(arr, 99):+7.3f}  (n={arr.size})"


def engine_errors(url: str, concurrency: int, requests: int, log_of: Any) -> dict[str, list[float]]:
    suite = parse_suite(
        {"name": "acc", "scenarios": [{"name": "acc", "prompt": "hi", "max_tokens": TOKENS}]}
    )
    runner = Runner(
        Target(name="sim", endpoint=url, served_model="sim-model"),
        suite,
        RunConfig(iterations=requests, concurrency=concurrency, warmup=0, timeout=60_000),
    )
    outcome = event_loop.run(runner.run())
    log = {e["id"]: e for e in log_of()["requests"]}
    errors: dict[str, list[float]] = {"ttft": [], "e2e": [], "itl": [], "tokens_off": []}
    for r in outcome.records:
        entry = log.get(r.response_id or "")
        if not r.ok or entry is None or r.ttft_ms is None or r.e2e_ms is None:
            continue
        content = _content_times(entry)
        start = runner.ref_ns + r.start_ms * 1e6
        errors["ttft"].append((start + r.ttft_ms * 1e6 - content[0]) / 1e6)
        errors["e2e"].append((start + r.e2e_ms * 1e6 - content[-1]) / 1e6)
        sim_itl = (content[-1] - content[0]) / 1e6 / (entry["tokens"]["delivered"] - 1)
        errors["itl"].append((r.itl_ms or 0.0) - sim_itl)
        errors["tokens_off"].append(float((r.output_tokens or 0) - entry["tokens"]["delivered"]))
    return errors


def minimal_errors(
    url: str, concurrency: int, requests: int, log_of: Any
) -> dict[str, list[float]]:
    timings = asyncio.run(
        run_minimal(url + "/v1/chat/completions", "sim-model", TOKENS, requests, concurrency)
    )
    log = {e["id"]: e for e in log_of()["requests"]}
    errors: dict[str, list[float]] = {"ttft": [], "e2e": []}
    for t in timings:
        entry = log.get(t.response_id or "")
        if entry is None or t.first_content_ns is None or t.last_content_ns is None:
            continue
        content = _content_times(entry)
        errors["ttft"].append((t.first_content_ns - content[0]) / 1e6)
        errors["e2e"].append((t.last_content_ns - content[-1]) / 1e6)
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests-c1", type=int, default=40)
    parser.add_argument("--requests-c32", type=int, default=256)
    args = parser.parse_args()
    config = SimConfig(ttft_ms=100, itl_ms=10, output_tokens=TOKENS, role_chunk=True)
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    with start_simulator(config, cpu=1 if pinned else None) as sim:
        if pinned:
            os.sched_setaffinity(0, {0})
        print(f"simulator pid {sim.pid} on CPU 1, client on CPU 0: {pinned}")
        print("errors in ms against the simulator's write log (positive = measured later)\n")
        for concurrency, requests in ((1, args.requests_c1), (32, args.requests_c32)):
            sim.reset()
            floor = minimal_errors(sim.url, concurrency, requests, sim.log)
            sim.reset()
            ours = engine_errors(sim.url, concurrency, requests, sim.log)
            gap = float(np.median(ours["ttft"]) - np.median(floor["ttft"]))
            print(f"concurrency {concurrency}, {requests} requests")
            print(f"  TTFT  minimal client   {_stats(floor['ttft'])}")
            print(f"  TTFT  flperf engine    {_stats(ours['ttft'])}")
            print(f"  TTFT  engine - floor at the median: {gap:+.3f} ms (target within 0.3)")
            print(f"  e2e   minimal client   {_stats(floor['e2e'])}")
            print(f"  e2e   flperf engine    {_stats(ours['e2e'])}")
            print(f"  ITL   flperf engine    {_stats(ours['itl'])} (target |median| < 0.05)")
            exact = sum(1 for x in ours["tokens_off"] if x == 0)
            print(f"  token counts exact: {exact}/{len(ours['tokens_off'])}\n")


if __name__ == "__main__":
    main()
