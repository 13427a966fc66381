"""How close what users run comes to the simulator's write log, beside a raw-socket floor.

The simulator (TTFT 100 ms, ITL 10 ms, 64 tokens, 10 % jitter, role-only first chunk) logs when
it read each request and when it wrote each chunk. Three clients measure it, in alternating
blocks, at concurrency 1 and 32:

- floor: `raw_client.py`, an asyncio protocol that writes each request in one call and stamps
  the first read carrying content (the least any client on an event loop can add);
- cli: `python -m flperf bench ... --json FILE` as a subprocess, as users run it;
- api: a run started over the REST API of `python -m flperf serve --port 0`.

A request's TTFT error is its measured TTFT minus the simulator's own (first content write minus
request read), so it counts both the client's send path and its receive path. ITL error is the
measured ITL minus the simulator's. The simulator runs on CPU 1, everything else on CPU 0.
Each goal line compares a client with the floor measured in the same block (median over blocks).

    python benchmarks/accuracy.py [--requests-c1 40] [--requests-c32 256] [--blocks 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

from raw_client import run_raw

from flperf.bench import event_loop
from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator

TOKENS = 64
MODEL = "sim-model"
CLIENTS = ("floor", "cli", "api")
LABELS = {"floor": "raw-socket floor", "cli": "flperf bench (CLI)", "api": "API run (serve)"}


@dataclass
class Measured:
    """One request as a client reported it (ms), keyed by the simulator's response id."""

    response_id: str
    start: float
    """When it started, on the client's own clock (orders requests, nothing more)."""
    ttft_ms: float
    itl_ms: float | None
    output_tokens: int | None


@dataclass
class Errors:
    """Errors of one client against the write log, in ms."""

    ttft: list[float] = field(default_factory=list)
    itl: list[float] = field(default_factory=list)
    tokens_exact: int = 0
    tokens_checked: int = 0

    def add(self, other: Errors) -> None:
        self.ttft += other.ttft
        self.itl += other.itl
        self.tokens_exact += other.tokens_exact
        self.tokens_checked += other.tokens_checked


def against_log(measured: Sequence[Measured], log: dict[str, Any], skip: int) -> Errors:
    """Each request's TTFT and ITL error against what the simulator logged for it.

    The first `skip` requests to start are left out: at concurrency c > 1 the first c reach the
    simulator together, which reads them one after another, so their TTFT error is that queue
    (longer the faster a client fires them) rather than the client's timing.
    """
    entries = {entry["id"]: entry for entry in log["requests"]}
    errors = Errors()
    for m in sorted(measured, key=lambda m: m.start)[skip:]:
        entry = entries.get(m.response_id)
        if entry is None:
            continue
        content = [ns for ns, kind, _ in entry["chunks"] if kind == "content"]
        delivered = entry["tokens"]["delivered"]
        errors.ttft.append(m.ttft_ms - (content[0] - entry["received_ns"]) / 1e6)
        if m.itl_ms is not None and delivered > 1:
            errors.itl.append(m.itl_ms - (content[-1] - content[0]) / 1e6 / (delivered - 1))
        if m.output_tokens is not None:
            errors.tokens_checked += 1
            errors.tokens_exact += m.output_tokens == delivered
    return errors


def from_records(records: Sequence[dict[str, Any]]) -> list[Measured]:
    """Measured requests out of flperf's request records (JSON), warm-up excluded."""
    return [
        Measured(r["response_id"], r["start_ms"], r["ttft_ms"], r["itl_ms"], r["output_tokens"])
        for r in records
        if r["status"] == "ok" and not r["warmup"] and r["ttft_ms"] is not None
    ]


# -- the three clients ------------------------------------------------------------------------


def measure_floor(sim: SimProcess, concurrency: int, requests: int) -> list[Measured]:
    timings = event_loop.run(
        run_raw(sim.url + "/v1/chat/completions", MODEL, TOKENS, requests, concurrency)
    )
    return [
        Measured(
            t.response_id,
            t.start_ns,
            t.ttft_ms,
            (t.last_content_ns - t.first_content_ns) / 1e6 / (TOKENS - 1),
            None,
        )
        for t in timings
        if t.response_id and t.ttft_ms is not None and t.last_content_ns and t.first_content_ns
    ]


def measure_cli(sim: SimProcess, concurrency: int, requests: int, work: Path) -> list[Measured]:
    out = work / "cli.json"
    command = [
        sys.executable, "-m", "flperf", "bench",
        "--endpoint", sim.url + "/v1", "--model", MODEL,
        "--prompt", "hi", "--max-tokens", str(TOKENS),
        "--iterations", str(requests), "--concurrency", str(concurrency),
        "--warmup", str(concurrency), "--timeout-ms", "60000", "--quiet", "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"flperf bench failed ({done.returncode}): {done.stderr[-2000:]}")
    return from_records(json.loads(out.read_text())["requests"])


class ApiServer:
    """`python -m flperf serve --port 0` with its own data folder, and the model to run."""

    def __init__(self, home: Path, sim_url: str) -> None:
        env = dict(os.environ, FLPERF_HOME=str(home), PYTHONUNBUFFERED="1")
        env["FLPERF_FOUNDRY_CATALOG_URLS"] = "http://127.0.0.1:9/catalog"  # offline catalog
        suites = home / "suites"
        suites.mkdir(parents=True, exist_ok=True)
        suite = {"name": "acc", "scenarios": [{"name": "acc", "prompt": "hi", "max_tokens": 64}]}
        (suites / "acc.json").write_text(json.dumps(suite))
        self._log = (home / "serve.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flperf", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.url = self._wait_for_url(timeout=90.0)
        self.http = httpx.Client(base_url=self.url + "/api", timeout=60.0)
        body = {
            "provider": "openai",
            "endpoint": sim_url + "/v1",
            "model_id": MODEL,
            "alias": "sim",
        }
        created = self.http.post("/models", json=body)
        created.raise_for_status()
        self.model_id = created.json()["model"]["id"]

    def _wait_for_url(self, timeout: float) -> str:
        found: list[str] = []
        stdout = self.process.stdout
        assert stdout is not None

        def read() -> None:
            for line in stdout:
                match = re.search(r"FLPerformance (http://\S+)", line)
                if match and not found:
                    found.append(match.group(1))

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not found and time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.05)
        if not found:
            self.stop()
            raise RuntimeError("flperf serve did not print its URL")
        return found[0]

    def run(self, concurrency: int, requests: int) -> list[Measured]:
        config = {
            "iterations": requests,
            "concurrency": concurrency,
            "warmup": concurrency,
            "timeout": 60_000,
            "temperature": 0,
        }
        started = self.http.post(
            "/benchmarks/run",
            json={"modelIds": [self.model_id], "suiteName": "acc", "config": config},
        )
        started.raise_for_status()
        run_id = started.json()["runId"]
        while True:
            status = self.http.get(f"/benchmarks/runs/{run_id}/status").json()
            if status["status"] in ("completed", "failed", "cancelled", "interrupted"):
                break
            time.sleep(0.5)
        if status["status"] != "completed":
            raise RuntimeError(f"API run ended {status['status']}: {status.get('error')}")
        records: list[dict[str, Any]] = []
        while True:
            page = self.http.get(
                f"/benchmarks/runs/{run_id}/requests",
                params={"offset": len(records), "limit": 10_000},
            ).json()
            records += page["requests"]
            if len(records) >= page["total"] or not page["requests"]:
                break
        return from_records(records)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# -- report -------------------------------------------------------------------------------------


def _p(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _check(label: str, value: str, target: str, ok: bool) -> None:
    print(f"  {label:<46}{value:>10}  {target:<12}{'PASS' if ok else 'FAIL'}")


def report(concurrency: int, requests: int, blocks: list[dict[str, Errors]]) -> None:
    """The pooled errors of each client, then each goal with its target and verdict."""
    pooled = {name: Errors() for name in CLIENTS}
    for block in blocks:
        for name in CLIENTS:
            pooled[name].add(block[name])
    print(f"\nconcurrency {concurrency}: {requests} requests per client and block, ", end="")
    print(f"{len(blocks)} blocks")
    print("  error in ms against the simulator's log (positive: the client saw it later)")
    print(f"  {'client':<22}{'TTFT p50':>10}{'TTFT p99':>10}{'ITL p50':>10}{'n':>7}{'tokens':>11}")
    for name in CLIENTS:
        e = pooled[name]
        tokens = f"{e.tokens_exact}/{e.tokens_checked}" if e.tokens_checked else "-"
        itl = f"{statistics.median(e.itl):+10.4f}" if e.itl else f"{'-':>10}"
        row = f"{_p(e.ttft, 50):+10.3f}{_p(e.ttft, 99):+10.3f}{itl}{len(e.ttft):>7}{tokens:>11}"
        print(f"  {LABELS[name]:<22}{row}")
    print(f"  {'goal (gaps: median over blocks, side by side)':<46}{'value':>10}  {'target':<12}")
    for name in ("cli", "api"):
        label = LABELS[name]
        gap50 = statistics.median(_p(b[name].ttft, 50) - _p(b["floor"].ttft, 50) for b in blocks)
        if concurrency == 1:
            _check(f"{label} TTFT p50 - floor", f"{gap50:+.3f}", "<= +0.100", gap50 <= 0.1)
        else:
            gap99 = statistics.median(
                _p(b[name].ttft, 99) - _p(b["floor"].ttft, 99) for b in blocks
            )
            _check(f"{label} TTFT p50 - floor", f"{gap50:+.3f}", "<= 0", gap50 <= 0)
            _check(f"{label} TTFT p99 - floor", f"{gap99:+.3f}", "<= 0", gap99 <= 0)
        e = pooled[name]
        itl = statistics.median(e.itl) if e.itl else float("nan")
        _check(f"{label} ITL error p50", f"{itl:+.4f}", "|x| < 0.05", abs(itl) < 0.05)
        exact = e.tokens_checked > 0 and e.tokens_exact == e.tokens_checked
        _check(f"{label} token counts exact", f"{e.tokens_exact}/{e.tokens_checked}", "all", exact)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests-c1", type=int, default=40, help="requests per block at c=1")
    parser.add_argument("--requests-c32", type=int, default=256, help="requests per block at c > 1")
    parser.add_argument("--blocks", type=int, default=3, help="alternating blocks per level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32], help="levels")
    args = parser.parse_args()
    # Jitter keeps concurrent streams from running in lockstep (errors are taken per request
    # against the log, so it does not blur them).
    config = SimConfig(ttft_ms=100, itl_ms=10, output_tokens=TOKENS, role_chunk=True, jitter=0.1)
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_simulator(config, cpu=1 if pinned else None) as sim,
    ):
        if pinned:
            os.sched_setaffinity(0, {0})  # children (CLI, serve) inherit CPU 0
        work = Path(tmp)
        api = ApiServer(work / "home", sim.url)
        try:
            print(f"simulator on CPU 1, clients on CPU 0: {pinned}; API at {api.url}")
            run: dict[str, Callable[[int, int], list[Measured]]] = {
                "floor": lambda c, n: measure_floor(sim, c, n),
                "cli": lambda c, n: measure_cli(sim, c, n, work),
                "api": api.run,
            }
            for name in CLIENTS:  # warm every path once (imports, connections, the database)
                sim.reset()
                run[name](1, 3)
            for concurrency in args.concurrency:
                requests = args.requests_c1 if concurrency == 1 else args.requests_c32
                blocks = []
                for b in range(args.blocks):
                    order = CLIENTS[b % 3 :] + CLIENTS[: b % 3]  # rotate who goes first
                    block = {}
                    for name in order:
                        sim.reset()
                        measured = run[name](concurrency, requests)
                        skip = concurrency if concurrency > 1 else 0
                        block[name] = against_log(measured, sim.log(), skip)
                    blocks.append(block)
                report(concurrency, requests, blocks)
        finally:
            api.stop()


if __name__ == "__main__":
    main()
