"""What serving a Foundry Local model over HTTP costs: in-process ChatSession vs the host process.

The demo model answers the same prompt two ways, in alternating blocks in one run: in this
process through the SDK's streaming ChatSession (the floor: TTFT from just before the request is
processed to the first text item), and through `flperf.host` over HTTP, timed by the benchmark
engine's client. For each length it prints TTFT, decode tokens/s and the gaps between streamed
tokens (in-process: between text items; over HTTP: between token events as they arrive, so
tokens that arrive together count a gap of 0), then each goal with its target and PASS/FAIL.

Generation runs on CPU 1 in both cases (the host process, and this process while it measures the
floor); the engine's client runs on CPU 0. So everything the host adds per token (chiefly one TCP
send per write, whose loopback delivery the sending core also pays) competes with generation, as
on a machine whose cores are all busy; `--no-pin` leaves placement to the OS. The CPU time of the
serving process per output token is printed beside the goals.

    python benchmarks/host_overhead.py [--requests 30] [--max-tokens 128 1000] [--blocks 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import psutil

from flperf.bench import event_loop
from flperf.bench.client import Capture, ChatClient, RequestPlan, build_body
from flperf.host.supervisor import start_host
from flperf.providers.foundry_runtime import FoundryRuntime
from flperf.providers.local_models import DEMO_MODEL_ID, ensure_demo

PROMPT = "Write a short note about measuring latency of local language models."
PINNED = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
"""Whether threads are pinned (cleared by --no-pin)."""


@dataclass
class Block:
    """One path's requests in one block: TTFT (ms), decode tokens/s, token gaps (ms)."""

    ttft: list[float] = field(default_factory=list)
    decode: list[float] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)
    tokens: int = 0
    cpu_s: float = 0.0
    """CPU time of the serving process (all its threads) while the block ran."""

    def add(self, ttft_ms: float, tokens: int, stamps: Sequence[int]) -> None:
        self.tokens += tokens
        if tokens < 2 or len(stamps) < 2 or stamps[-1] <= stamps[0]:
            return
        self.ttft.append(ttft_ms)
        self.decode.append((tokens - 1) / ((stamps[-1] - stamps[0]) / 1e9))
        self.gaps += (np.diff(np.asarray(stamps)) / 1e6).tolist()


def _on_cpu(cpu: int) -> None:
    """Move the calling thread to one CPU (threads it starts later inherit it)."""
    if PINNED:
        os.sched_setaffinity(0, {cpu})


def in_process(sdk: Any, model: Any, max_tokens: int, requests: int) -> Block:
    """Streaming requests through ChatSession, each on a new session made before the clock."""
    block = Block()
    cpu0 = time.process_time()
    for _ in range(requests):
        stamps: list[int] = []
        with sdk.ChatSession(model) as session, sdk.Request() as request:
            search = sdk.SearchOptions(max_output_tokens=max_tokens, temperature=0.0)
            session.set_options(sdk.RequestOptions(search=search))
            session.set_streaming(True)
            request.add_item(sdk.MessageItem.user(PROMPT))
            start = time.perf_counter_ns()
            with session.process_streaming_request(request) as stream:
                for item in stream:
                    if getattr(item, "text", None):
                        stamps.append(time.perf_counter_ns())
                with stream.final_response as final:
                    tokens = final.get_usage().completion_tokens
        if stamps:
            block.add((stamps[0] - start) / 1e6, tokens, stamps)
    block.cpu_s = time.process_time() - cpu0
    return block


def _token_stamps(capture: Capture) -> list[int]:
    """Arrival time of each token event (events read together share their read's time)."""
    stamps = []
    for arrival, data in capture.reads:
        for event in data.split(b"\n\n"):
            if not event.startswith(b"data: {"):
                continue
            choices = orjson.loads(event[6:]).get("choices") or [{}]
            if (choices[0].get("delta") or {}).get("content"):
                stamps.append(arrival)
    return stamps


def over_http(url: str, model: str, pid: int, max_tokens: int, requests: int) -> Block:
    """The same requests through the host, sent and timed by the engine's client."""
    body = build_body(model, [{"role": "user", "content": PROMPT}], max_tokens, 0.0, True)
    plan = RequestPlan(0, "host", "note", 0, False, 0, body, max_tokens, True)

    async def run() -> list[tuple[Capture, Any]]:
        async with ChatClient(url, timeout_s=120, ref_ns=0, pool_size=1) as client:
            captures = [await client.send(plan, time.perf_counter_ns()) for _ in range(requests)]
            return [(c, client.record(c)) for c in captures]

    host = psutil.Process(pid)
    before = sum(host.cpu_times()[:2])
    done = event_loop.run(run())
    block = Block(cpu_s=sum(host.cpu_times()[:2]) - before)
    for capture, record in done:
        if record.ok and record.ttft_ms is not None and record.output_tokens:
            block.add(record.ttft_ms, record.output_tokens, _token_stamps(capture))
    return block


def _check(label: str, value: str, target: str, ok: bool) -> None:
    print(f"  {label:<40}{value:>12}  {target:<12}{'PASS' if ok else 'FAIL'}")


def _med(blocks: Sequence[tuple[Block, Block]], of: Callable[[Block, Block], float]) -> float:
    return statistics.median(of(local, http) for local, http in blocks)


def report(max_tokens: int, requests: int, blocks: list[tuple[Block, Block]]) -> None:
    local = Block()
    http = Block()
    for a, b in blocks:
        for pooled, part in ((local, a), (http, b)):
            pooled.ttft += part.ttft
            pooled.decode += part.decode
            pooled.gaps += part.gaps
            pooled.tokens += part.tokens
            pooled.cpu_s += part.cpu_s
    p50, p99 = (lambda v: float(np.percentile(v, 50))), (lambda v: float(np.percentile(v, 99)))
    print(
        f"\ndemo model {DEMO_MODEL_ID}, {max_tokens} tokens: {requests} requests per path", end=""
    )
    print(f" and block, {len(blocks)} blocks, generation on CPU 1, client on CPU 0: {PINNED}")
    print(
        f"  {'path':<26}{'TTFT p50 ms':>12}{'decode tok/s':>14}{'gap p50 ms':>12}{'gap p99 ms':>12}"
    )
    for name, b in (("in-process ChatSession", local), ("host over HTTP (engine)", http)):
        row = f"{p50(b.ttft):>12.3f}{p50(b.decode):>14,.0f}{p50(b.gaps):>12.4f}{p99(b.gaps):>12.3f}"
        print(f"  {name:<26}{row}")
    cpu = [b.cpu_s / b.tokens * 1e6 if b.tokens else float("nan") for b in (local, http)]
    print(f"  CPU of the serving process per output token: in-process {cpu[0]:.1f} us, ", end="")
    print(f"host {cpu[1]:.1f} us ({cpu[1] - cpu[0]:+.1f})")
    print(f"  {'goal (median over blocks, side by side)':<40}{'value':>12}  target")
    ttft = _med(blocks, lambda a, b: p50(b.ttft) - p50(a.ttft))
    _check("TTFT p50: host - in-process, ms", f"{ttft:+.3f}", "<= +1.000", ttft <= 1.0)
    decode = _med(blocks, lambda a, b: p50(b.decode) / p50(a.decode))
    _check("decode tok/s p50: host / in-process", f"x{decode:.3f}", ">= x0.980", decode >= 0.98)
    gap50 = _med(blocks, lambda a, b: p50(b.gaps) - p50(a.gaps))
    _check("token gap p50: host - in-process, ms", f"{gap50:+.4f}", "<= +0.050", gap50 <= 0.05)
    gap99 = _med(blocks, lambda a, b: p99(b.gaps) - p99(a.gaps))
    _check("token gap p99: host - in-process, ms", f"{gap99:+.3f}", "<= +1.000", gap99 <= 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per path and block")
    parser.add_argument("--max-tokens", type=int, nargs="+", default=[128, 1000])
    parser.add_argument("--blocks", type=int, default=3, help="alternating blocks per length")
    parser.add_argument("--no-pin", action="store_true", help="let the OS place every thread")
    args = parser.parse_args()
    global PINNED
    PINNED = PINNED and not args.no_pin
    _on_cpu(1)  # the runtime's threads and the host process start on CPU 1
    with tempfile.TemporaryDirectory() as home:
        runtime = FoundryRuntime.open(Path(home))
        model = ensure_demo(runtime)
        model.load()
        sdk = runtime.sdk
        host = start_host(DEMO_MODEL_ID, data_dir=Path(home), timeout=120)
        url = host.base_url
        try:
            for max_tokens in args.max_tokens:

                def local() -> Block:
                    return in_process(sdk, model, max_tokens, args.requests)  # noqa: B023

                def http() -> Block:
                    _on_cpu(0)
                    try:
                        return over_http(url, host.model_id, host.pid, max_tokens, args.requests)  # noqa: B023
                    finally:
                        _on_cpu(1)

                in_process(sdk, model, max_tokens, 3)  # warm both paths
                over_http(url, host.model_id, host.pid, max_tokens, 3)
                blocks = []
                for b in range(args.blocks):
                    if b % 2:
                        h, lo = http(), local()
                    else:
                        lo, h = local(), http()
                    blocks.append((lo, h))
                report(max_tokens, args.requests, blocks)
        finally:
            host.stop()
            model.unload()
            runtime.close()


if __name__ == "__main__":
    main()
