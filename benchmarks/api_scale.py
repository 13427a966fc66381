"""API latency with a large store: 1,000 runs and 1,000,000 request records, over real HTTP.

For each backend (SQLite in a temporary data folder; PostgreSQL on a throwaway server when one
can be started, or --database-url), seeds the store in bulk, starts `flperf serve` as users do,
and reports p50/p95 of the dashboard's reads at rest; then starts runs through the API against
the simulator (realistic, busy, and a flood against the instant simulator) and reports the same
while each run is measured by its worker process, with the rate its records are stored at.
Targets: p95 under 100 ms for the runs list, a run and the stats at rest and during every run,
the flood storing at least 4,000 requests/s.

    .venv/bin/python benchmarks/api_scale.py [--runs 1000] [--records 1000000] [--samples 200]
        [--backends sqlite,postgres]
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
from tests.store.pg_server import PostgresUnavailable, shared_postgres

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


def _stored(client: httpx.Client, run_id: str) -> int:
    return int(client.get(f"/benchmarks/runs/{run_id}/requests?limit=1").json()["total"])


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
        wait_for(lambda: _stored(client, run_id) > 200, timeout=60, what="the run to get going")
        paths = {
            "GET /benchmarks/runs/:id/status (live)": [f"/benchmarks/runs/{run_id}/status"],
            "GET /benchmarks/runs/:id (live)": [f"/benchmarks/runs/{run_id}"],
            "GET /benchmarks/runs": ["/benchmarks/runs"],
            "GET /system/stats": ["/system/stats"],
        }
        stored0, t0 = _stored(client, run_id), time.perf_counter()
        figures = {name: measure(client, p, samples) for name, p in paths.items()}
        rate = (_stored(client, run_id) - stored0) / (time.perf_counter() - t0)
        still = client.get(f"/benchmarks/runs/{run_id}/status").json()["status"] == "running"
        client.post(f"/benchmarks/runs/{run_id}/cancel")
        wait_for(
            lambda: client.get(f"/benchmarks/runs/{run_id}/status").json()["status"] != "running",
            timeout=60,
            what="the run to stop",
        )
        if not still:
            print("  (the run ended before the measurement did: figures are not all 'during')")
        return figures, rate


def one_backend(name: str, url: str, home: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, serve and measure one database; the figures."""
    db = Database(url)
    db.migrate()
    seeded = seed(db, args.runs, args.records)
    db.dispose()
    print(f"\n=== {name}: seeded {args.runs} runs, {args.records:,} request records "
          f"in {seeded['seconds']:.1f} s")  # fmt: skip
    server = start_server(home, url)
    results: dict[str, Any] = {"runs": args.runs, "records": args.records}
    try:
        with server.client() as client:
            rest = {
                route: measure(client, paths, args.samples)
                for route, paths in routes(seeded["run_ids"], random.Random(1)).items()
            }
        report(f"{name} at rest, {args.runs} runs / {args.records:,} records", rest, 100)
        results["at_rest"] = rest
        for label, sim_config, concurrency, trials in (
            ("realistic", SimConfig(ttft_ms=20.0, itl_ms=2.0, output_tokens=32), 4, 1),
            ("busy", SimConfig(ttft_ms=5.0, itl_ms=0.2, output_tokens=32), 8, 2),
            ("flood", SimConfig(output_tokens=32, tokens_per_chunk=8), 16, 10),
        ):
            live, rate = during_run(server, args.samples, sim_config, concurrency, trials)
            target = " (target >= 4,000)" if label == "flood" else ""
            report(f"{name} during a {label} run: {rate:,.0f} requests/s stored{target}", live, 100)
            results[f"during_{label}"] = {"requests_per_s": rate, "routes": live}
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200, help="requests per route")
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL to use instead")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    os.environ.setdefault("FLPERF_FOUNDRY_CATALOG_URLS", "http://127.0.0.1:9/catalog")

    results: dict[str, Any] = {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        home = Path(tempfile.mkdtemp(prefix=f"flperf-api-scale-{backend}-"))
        if backend == "sqlite":
            url = f"sqlite:///{home / 'flperf.db'}"
        else:
            try:
                url = args.database_url or shared_postgres().create_database()
            except PostgresUnavailable as exc:
                print(f"\n=== {backend}: skipped ({exc})")
                continue
        results[backend] = one_backend(backend, url, home, args)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
