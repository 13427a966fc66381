"""The engine's own ceiling: how many requests/s it drives, fully recorded, when the server is free.

The simulator answers instantly (no TTFT or ITL delay) with 64 tokens in 8-token chunks at
concurrency 64, pinned to CPU 1 with the client on CPU 0. The engine (every request parsed and
recorded), a minimal aiohttp client and a raw-socket client (nothing recorded) run side by side;
the engine / aiohttp ratio is the figure to watch on a noisy machine.

    .venv/bin/python benchmarks/capacity.py [--requests 20000] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from minimal_client import run_minimal
from raw_client import run_raw

from flperf.bench import event_loop
from flperf.bench.run_config import RunConfig
from flperf.bench.runner import Runner, Target
from flperf.bench.workload import parse_suite
from flperf.sim.config import SimConfig
from flperf.sim.process import start_simulator

TOKENS = 64


def measure_engine(url: str, requests: int, concurrency: int) -> tuple[float, float, int]:
    """Requests/s, CPU ms per request, and the number of complete ok records."""
    suite = parse_suite(
        {"name": "cap", "scenarios": [{"name": "cap", "prompt": "hi", "max_tokens": TOKENS}]}
    )
    runner = Runner(
        Target(name="sim", endpoint=url, served_model="sim-model"),
        suite,
        RunConfig(iterations=requests, concurrency=concurrency, warmup=0),
    )
    cpu0, t0 = time.process_time(), time.perf_counter()
    outcome = event_loop.run(runner.run())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    complete = sum(
        1 for r in outcome.records if r.ok and r.output_tokens == TOKENS and r.itl_ms is not None
    )
    return requests / wall, cpu / requests * 1000, complete


def measure_minimal(url: str, requests: int, concurrency: int) -> tuple[float, float]:
    """Requests/s and CPU ms per request of the minimal client on the same loop type."""

    async def go() -> None:
        await run_minimal(url + "/v1/chat/completions", "sim-model", TOKENS, requests, concurrency)

    cpu0, t0 = time.process_time(), time.perf_counter()
    event_loop.run(go())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return requests / wall, cpu / requests * 1000


def measure_raw(url: str, requests: int, concurrency: int) -> tuple[float, float]:
    """Requests/s and CPU ms per request of the raw-socket floor (nothing parsed or kept)."""

    async def go() -> None:
        await run_raw(url + "/v1/chat/completions", "sim-model", TOKENS, requests, concurrency)

    cpu0, t0 = time.process_time(), time.perf_counter()
    event_loop.run(go())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return requests / wall, cpu / requests * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    config = SimConfig(output_tokens=TOKENS, tokens_per_chunk=8, role_chunk=True)
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    with start_simulator(config, cpu=1 if pinned else None) as sim:
        if pinned:
            os.sched_setaffinity(0, {0})
        n, c = args.requests, args.concurrency
        measure_minimal(sim.url, min(n, 2000), c)  # warm both paths and the simulator
        floor_rps, floor_cpu = measure_minimal(sim.url, n, c)
        rps, cpu_ms, complete = measure_engine(sim.url, n, c)
        raw_rps, raw_cpu = measure_raw(sim.url, n, c)
        streamed = rps * TOKENS
        print(f"{n} requests at concurrency {c}, 64 tokens in 8-token chunks, pinned: {pinned}")
        print(f"  minimal aiohttp client: {floor_rps:8,.0f} req/s   {floor_cpu:.3f} ms CPU/request")
        print(f"  raw-socket floor:       {raw_rps:8,.0f} req/s   {raw_cpu:.3f} ms CPU/request")
        print(f"  flperf engine:          {rps:8,.0f} req/s   {cpu_ms:.3f} ms CPU/request")
        print(f"  engine streamed tokens: {streamed:10,.0f} tokens/s")
        print(f"  engine / minimal:       {rps / floor_rps:8.2f}   (target >= 0.5)")
        print(f"  engine / raw floor:     {rps / raw_rps:8.2f}")
        print(f"  requests recorded in full: {complete}/{n}")


if __name__ == "__main__":
    main()
