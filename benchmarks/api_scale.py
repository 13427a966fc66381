"""API latency with a large store: 1,000 runs and 1,000,000 request records, over real HTTP.

Seeds the store in bulk (SQLite in a temporary data folder unless --database-url), starts
`flperf serve`, and reports p50/p95 of the dashboard's reads; then starts a benchmark against
the simulator and reports the same while the run is in progress. Targets: p95 under 100 ms at
rest, under 50 ms during a run.

    .venv/bin/python benchmarks/api_scale.py [--runs 1000] [--records 1000000] [--samples 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.api.server import start_server, wait_for

from flperf.bench.metrics import aggregate
from flperf.bench.records import RequestRecord, Status, TokenSource
from flperf.sim.config import SimConfig
from flperf.sim.process import start_simulator
from flperf.store import Database, LogRow, ModelRow, RequestRow, ResultRow, RunRow, new_id
from flperf.store.requests_repo import record_row
from flperf.store.runs_repo import result_row

SCENARIOS = ["Short Q&A", "Medium Q&A", "Logic reasoning", "Code generation"]
MODELS = 8


def _template() -> RequestRecord:
    return RequestRecord(
        index=0, model="m", scenario="s", iteration=0, warmup=False, trial=0,
        scheduled_ms=0.0, start_ms=0.0, end_ms=900.0, wall_start=1.7e9, dispatch_delay_ms=0.1,
        ttft_ms=110.0, e2e_ms=900.0, itl_ms=8.0, output_tokens=100, prompt_tokens=20,
        token_source=TokenSource.USAGE, chunk_count=100, tokens_disagree=False, status=Status.OK,
        error_kind=None, http_status=200, error_message=None, response_id="r",
        finish_reason="length", max_tokens=100, quality_pass=None, streamed=True,
    )  # fmt: skip


def seed(db: Database, runs: int, records: int) -> dict[str, Any]:
    """Bulk-insert models, runs with results and logs, and `records` request rows."""
    rng = random.Random(7)
    started = time.perf_counter()
    now = time.time() - runs * 60
    models = [new_id("model") for _ in range(MODELS)]
    with db.write() as session:
        for i, model_id in enumerate(models):
            session.add(
                ModelRow(id=model_id, alias=f"model-{i}", model_id=f"catalog-{i}",
                         provider="openai", endpoint="http://127.0.0.1:9", status="stopped",
                         created_at=now, updated_at=now)
            )  # fmt: skip
    template = record_row("x", _template())
    base_result = aggregate([_template()], "m", "s")
    per_run = records // runs
    run_ids = []
    rows: list[dict[str, Any]] = []
    for r in range(runs):
        run_id = new_id("run")
        run_ids.append(run_id)
        chosen = rng.sample(models, 2)
        created = now + r * 60
        status = "completed" if r % 20 else rng.choice(["failed", "cancelled", "interrupted"])
        with db.write() as session:
            session.add(
                RunRow(
                    id=run_id,
                    suite_name="default",
                    suite={"name": "default", "scenarios": [{"name": s} for s in SCENARIOS]},
                    scenarios=SCENARIOS,
                    model_ids=chosen,
                    model_aliases={m: m for m in chosen},
                    config={"iterations": 5},
                    hardware_info={"cpu_model": "seeded", "packages": {"flperf": "0.1.0"}},
                    workload_hash="0" * 64,
                    status=status,
                    requests_total=per_run,
                    requests_done=per_run,
                    created_at=created,
                    started_at=created,
                    completed_at=created + 50,
                )
            )
            session.flush()  # the run row before the rows that refer to it
            position = 0
            for model_id in chosen:
                for scenario in [*SCENARIOS, "*"]:
                    metrics = base_result.model_copy(
                        update={"model_id": model_id, "scenario": scenario,
                                "tps": rng.uniform(10, 200), "latency_p95": rng.uniform(200, 3000)}
                    )  # fmt: skip
                    row: ResultRow = result_row(run_id, position, metrics, model_id)
                    row.created_at = created
                    session.add(row)
                    position += 1
            for message in ("Run queued", "Run started", f"Run {status}"):
                session.add(LogRow(entity_type="run", entity_id=run_id, level="info",
                                   message=message, created_at=created))  # fmt: skip
        for i in range(per_run):
            row_data = dict(template)
            row_data.update(
                run_id=run_id, index=i, model=chosen[i % 2], scenario=SCENARIOS[i % 4],
                iteration=i, start_ms=i * 10.0, end_ms=i * 10.0 + 900, scheduled_ms=i * 10.0,
                wall_start=created + i / 100, e2e_ms=rng.uniform(500, 1500),
            )  # fmt: skip
            rows.append(row_data)
        if len(rows) >= 50_000 or r == runs - 1:
            with db.write() as session:
                session.execute(insert(RequestRow.__table__), rows)  # type: ignore[arg-type]
            rows = []
    return {"seconds": time.perf_counter() - started, "run_ids": run_ids}


def measure(client: httpx.Client, paths: list[str], samples: int) -> dict[str, float]:
    """p50 / p95 / max milliseconds of GETs cycling through `paths` (after a warm-up)."""
    for path in paths[:5]:
        client.get(path).raise_for_status()
    times = []
    for i in range(samples):
        path = paths[i % len(paths)]
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[int(0.95 * (len(times) - 1))],
        "max": times[-1],
    }


def report(title: str, figures: dict[str, dict[str, float]], target_ms: float) -> None:
    print(f"\n{title} (target p95 < {target_ms:g} ms)")
    print(f"  {'route':<44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for route, f in figures.items():
        flag = "" if f["p95"] < target_ms else "  <-- over target"
        print(f"  {route:<44} {f['p50']:8.1f} {f['p95']:8.1f} {f['max']:8.1f}{flag}")


def routes(run_ids: list[str], rng: random.Random) -> dict[str, list[str]]:
    picks = rng.sample(run_ids, min(50, len(run_ids)))
    return {
        "GET /benchmarks/runs": ["/benchmarks/runs"],
        "GET /benchmarks/runs?limit=1000": ["/benchmarks/runs?limit=1000"],
        "GET /benchmarks/runs/:id": [f"/benchmarks/runs/{r}" for r in picks],
        "GET /system/stats": ["/system/stats"],
        "GET /benchmarks/results?runId=": [f"/benchmarks/results?runId={r}" for r in picks],
        "GET /benchmarks/runs/:id/requests (page)": [
            f"/benchmarks/runs/{r}/requests?offset=500&limit=100" for r in picks
        ],
    }


def during_run(
    server: Any, samples: int, sim_config: SimConfig, concurrency: int, trials: int = 1
) -> Any:
    """Start a long run against the simulator; measure while it is in progress."""
    with start_simulator(sim_config) as sim, server.client() as client:
        model = client.post(
            "/models",
            json={"alias": f"sim-{concurrency}-{time.time_ns()}", "model_id": "sim-model",
                  "provider": "openai", "endpoint": sim.url},
        ).json()["model"]  # fmt: skip
        run_id = client.post(
            "/benchmarks/run",
            json={"modelIds": [model["id"]],
                  "config": {"iterations": 100_000, "concurrency": concurrency, "warmup": 0,
                             "trials": trials, "scenarios": ["Short Q&A"], "max_tokens": 32}},
        ).json()["runId"]  # fmt: skip
        wait_for(
            lambda: (
                client.get(f"/benchmarks/runs/{run_id}/status").json()["progress"]["done"] > 200
            ),
            timeout=60,
            what="the run to get going",
        )
        paths = {
            "GET /benchmarks/runs/:id/status (live)": [f"/benchmarks/runs/{run_id}/status"],
            "GET /benchmarks/runs/:id (live)": [f"/benchmarks/runs/{run_id}"],
            "GET /benchmarks/runs": ["/benchmarks/runs"],
            "GET /system/stats": ["/system/stats"],
        }
        done0 = client.get(f"/benchmarks/runs/{run_id}/status").json()["progress"]["done"]
        t0 = time.perf_counter()
        figures = {name: measure(client, p, samples) for name, p in paths.items()}
        done1 = client.get(f"/benchmarks/runs/{run_id}/status").json()["progress"]["done"]
        rate = (done1 - done0) / (time.perf_counter() - t0)
        still = client.get(f"/benchmarks/runs/{run_id}/status").json()["status"] == "running"
        client.post(f"/benchmarks/runs/{run_id}/cancel")
        if not still:
            print("  (the run ended before the measurement did: figures are not all 'during')")
        return figures, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200, help="requests per route")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="flperf-api-scale-"))
    url = args.database_url or f"sqlite:///{home / 'flperf.db'}"
    db = Database(url)
    db.migrate()
    seeded = seed(db, args.runs, args.records)
    db.dispose()
    size = (home / "flperf.db").stat().st_size / 1e6 if not args.database_url else None
    print(f"seeded {args.runs} runs, {args.records:,} request records in {seeded['seconds']:.1f} s"
          + (f" (SQLite file {size:.0f} MB)" if size else ""))  # fmt: skip

    os.environ.setdefault("FLPERF_FOUNDRY_CATALOG_URLS", "http://127.0.0.1:9/catalog")
    server = start_server(home, url)
    results: dict[str, Any] = {"runs": args.runs, "records": args.records}
    try:
        with server.client() as client:
            rest = {
                name: measure(client, paths, args.samples)
                for name, paths in routes(seeded["run_ids"], random.Random(1)).items()
            }
        report(f"At rest, {args.runs} runs / {args.records:,} records", rest, 100)
        results["at_rest"] = rest
        realistic = SimConfig(model="sim-model", ttft_ms=20.0, itl_ms=2.0, output_tokens=32)
        live, rate = during_run(server, args.samples, realistic, concurrency=4)
        report(f"During a run ({rate:.0f} requests/s stored)", live, 50)
        results["during_run"] = {"requests_per_s": rate, "routes": live}
        busy = SimConfig(model="sim-model", ttft_ms=5.0, itl_ms=0.2, output_tokens=32)
        live, rate = during_run(server, args.samples, busy, concurrency=8, trials=2)
        report(f"During a busy run ({rate:.0f} requests/s stored)", live, 50)
        results["during_busy"] = {"requests_per_s": rate, "routes": live}
        flood = SimConfig(model="sim-model", output_tokens=32, tokens_per_chunk=8)
        live, rate = during_run(server, args.samples, flood, concurrency=16, trials=10)
        report(f"During a flood run ({rate:.0f} requests/s stored, instant simulator)", live, 50)
        results["during_flood"] = {"requests_per_s": rate, "routes": live}
    finally:
        server.stop()
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
