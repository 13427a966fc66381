"""What serving a Foundry Local model over HTTP costs: in-process ChatSession vs the host process.

The same demo model, prompt and length are measured two ways, in alternating blocks in one run:
in this process through the SDK's streaming ChatSession (the floor), and through `flperf.host`
over HTTP with the benchmark engine. Prints TTFT and decode tokens/s of both and their ratio.

    .venv/bin/python benchmarks/host_overhead.py [--requests 30] [--max-tokens 128] [--blocks 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from flperf.bench import event_loop
from flperf.bench.run_config import RunConfig
from flperf.bench.runner import Runner, Target
from flperf.bench.workload import parse_suite
from flperf.host.supervisor import start_host
from flperf.providers.foundry_runtime import FoundryRuntime
from flperf.providers.local_models import DEMO_MODEL_ID, ensure_demo

PROMPT = "Write a short note about measuring latency of local language models."


def in_process(
    sdk: Any, model: Any, max_tokens: int, requests: int
) -> tuple[list[float], list[float]]:
    """TTFT (ms) and decode tokens/s of streaming requests, a new ChatSession for each."""
    ttfts, decode = [], []
    for _ in range(requests):
        first = last = None
        with sdk.ChatSession(model) as session, sdk.Request() as request:
            search = sdk.SearchOptions(max_output_tokens=max_tokens, temperature=0.0)
            session.set_options(sdk.RequestOptions(search=search))
            session.set_streaming(True)
            request.add_item(sdk.MessageItem.user(PROMPT))
            start = time.perf_counter_ns()
            with session.process_streaming_request(request) as stream:
                for item in stream:
                    if getattr(item, "text", None):
                        last = time.perf_counter_ns()
                        first = first or last
                with stream.final_response as final:
                    tokens = final.get_usage().completion_tokens
        if first is None or last is None or tokens < 2:
            continue
        ttfts.append((first - start) / 1e6)
        decode.append((tokens - 1) / ((last - first) / 1e9))
    return ttfts, decode


def over_http(
    url: str, model: str, pid: int, max_tokens: int, requests: int
) -> tuple[list[float], list[float]]:
    """TTFT (ms) and decode tokens/s measured by the engine through the host."""
    suite = parse_suite(
        {
            "name": "host",
            "scenarios": [{"name": "note", "prompt": PROMPT, "max_tokens": max_tokens}],
        }
    )
    runner = Runner(
        Target(name="host", endpoint=url, served_model=model, pid=pid),
        suite,
        RunConfig(iterations=requests, warmup=0, temperature=0),
        monitor_interval_s=None,
    )
    outcome = event_loop.run(runner.run())
    ok = [r for r in outcome.records if r.ok and r.ttft_ms is not None]
    return [r.ttft_ms for r in ok if r.ttft_ms], [g for r in ok if (g := r.gen_tps)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--blocks", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        runtime = FoundryRuntime.open(Path(home))
        model = ensure_demo(runtime)
        model.load()
        sdk = runtime.sdk
        host = start_host(DEMO_MODEL_ID, data_dir=Path(home), timeout=120)
        try:
            local_ttft: list[float] = []
            local_tps: list[float] = []
            http_ttft: list[float] = []
            http_tps: list[float] = []
            in_process(sdk, model, args.max_tokens, 3)  # warm both paths
            over_http(host.base_url, host.model_id, host.pid, args.max_tokens, 3)
            for _ in range(args.blocks):
                t, d = in_process(sdk, model, args.max_tokens, args.requests)
                local_ttft += t
                local_tps += d
                t, d = over_http(
                    host.base_url, host.model_id, host.pid, args.max_tokens, args.requests
                )
                http_ttft += t
                http_tps += d
        finally:
            host.stop()
            model.unload()
            runtime.close()
    med = statistics.median
    counts = f"{len(local_ttft)} + {len(http_ttft)} requests"
    print(f"demo model {DEMO_MODEL_ID}, {args.max_tokens} tokens, {counts}")
    print(f"{'path':<28}{'TTFT p50 ms':>14}{'decode tok/s p50':>20}")
    print(f"{'in-process ChatSession':<28}{med(local_ttft):>14.2f}{med(local_tps):>20,.0f}")
    print(f"{'host over HTTP (engine)':<28}{med(http_ttft):>14.2f}{med(http_tps):>20,.0f}")
    print(
        f"HTTP / in-process: TTFT x{med(http_ttft) / med(local_ttft):.2f} "
        f"(+{med(http_ttft) - med(local_ttft):.2f} ms), "
        f"decode x{med(http_tps) / med(local_tps):.2f}"
    )


if __name__ == "__main__":
    main()
