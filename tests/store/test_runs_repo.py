"""Run and result queries: honest dashboard figures, result lists, logs, recomputation."""

from __future__ import annotations

from flperf.bench.metrics import aggregate_run
from flperf.bench.records import ErrorKind
from flperf.service.recompute import recompute_results
from flperf.store import Database
from flperf.store.logs_repo import add_log, list_logs
from flperf.store.requests_repo import insert_records
from flperf.store.runs_repo import (
    best_latency,
    best_tps,
    get_run,
    list_results,
    list_runs,
    run_results,
)
from tests.bench.records_factory import make_failure, make_record
from tests.store.seed import add_result, add_run, result


def test_best_figures_come_only_from_successful_results_of_completed_runs(db: Database) -> None:
    honest = add_run(db, "completed")
    add_result(db, honest, result(tps=50.0, latency_p95=900.0))
    add_result(db, honest, result(tps=40.0, latency_p95=700.0), position=1)
    # A scenario where every request failed: its zeros must never win.
    add_result(db, honest, result(tps=0.0, latency_p95=0.0, successful_iterations=0), position=2)
    # A model that could not start at all.
    add_result(db, honest, result(tps=None, latency_p95=None), error="could not start", position=3)
    # The per-model summary row is not a scenario.
    add_result(db, honest, result(scenario="*", tps=80.0, latency_p95=10.0), position=4)
    for status in ("running", "cancelled", "interrupted", "failed"):
        other = add_run(db, status)
        add_result(db, other, result(tps=999.0, latency_p95=1.0))
    with db.read() as session:
        tps, latency = best_tps(session), best_latency(session)
    assert tps is not None and tps.tps == 50.0 and tps.run_id == honest
    assert latency is not None and latency.latency_p95 == 700.0


def test_best_figures_are_none_without_completed_results(db: Database) -> None:
    add_result(db, add_run(db, "running"), result(tps=10.0, latency_p95=5.0))
    with db.read() as session:
        assert best_tps(session) is None
        assert best_latency(session) is None


def test_runs_list_newest_first_with_total(db: Database) -> None:
    ids = [add_run(db, created_at=1000.0 + i) for i in range(5)]
    with db.read() as session:
        page, total = list_runs(session, limit=2, offset=1)
    assert total == 5
    assert [r.id for r in page] == [ids[3], ids[2]]


def test_result_list_leaves_out_summaries_and_filters(db: Database) -> None:
    a, b = add_run(db, created_at=1.0), add_run(db, created_at=2.0)
    add_result(db, a, result(model_id="model_000000000000000a"))
    add_result(db, a, result(model_id="model_000000000000000a", scenario="*"), position=1)
    add_result(db, b, result(model_id="model_000000000000000b"))
    with db.read() as session:
        rows, total = list_results(session, None, None, limit=10)
        assert total == 2 and [r.run_id for r in rows] == [b, a]
        rows, total = list_results(session, a, None, limit=10)
        assert total == 1 and rows[0].scenario == "s"
        rows, total = list_results(session, None, "model_000000000000000b", limit=10)
        assert total == 1 and rows[0].run_id == b


def test_logs_come_newest_first_and_limited(db: Database) -> None:
    with db.write() as session:
        for i in range(5):
            add_log(session, "run", "run_1", "info", f"line {i}", {"i": i})
        add_log(session, "run", "run_2", "info", "other run")
    with db.read() as session:
        logs = list_logs(session, "run", "run_1", limit=3)
    assert [log.message for log in logs] == ["line 4", "line 3", "line 2"]
    assert logs[0].meta == {"i": 4}


def test_recomputed_results_equal_aggregates_of_the_stored_records(db: Database) -> None:
    m1, m2 = "model_0000000000000001", "model_0000000000000002"
    run_id = add_run(db, "running", model_ids=[m1, m2], model_aliases={m1: "a", m2: "b"})
    records = [
        make_record(
            index=i,
            model=m1,
            scenario="x" if i < 3 else "y",
            start_ms=i * 10.0,
            end_ms=i * 10.0 + 50,
            e2e_ms=50.0 + i,
        )
        for i in range(6)
    ] + [make_failure(ErrorKind.HTTP, index=6, model=m2, scenario="x", http_status=500)]
    with db.write() as session:
        insert_records(session, run_id, records)
    add_result(db, run_id, result(model_id=m2, tps=None), error="kept as is", position=99)
    with db.write() as session:
        run = get_run(session, run_id)
        assert run is not None
        recompute_results(session, run)
    with db.read() as session:
        rows = run_results(session, run_id)
    expected = aggregate_run(records[:6]) + aggregate_run(records[6:])
    measured = [r for r in rows if r.error is None]
    assert [(r.model_id, r.scenario) for r in measured] == [
        (e.model_id, e.scenario) for e in expected
    ]
    for row, want in zip(measured, expected, strict=True):
        assert row.metrics == want.model_dump(mode="json")
        assert row.model_alias == ("a" if row.model_id == m1 else "b")
    assert [r.error for r in rows if r.error is not None] == ["kept as is"]


def test_recomputed_results_keep_the_runs_slo_verdicts(db: Database) -> None:
    m1 = "model_0000000000000001"
    config = {"iterations": 2, "slos": ["ttft_p95_ms=150", "e2e_p50_ms=10"]}
    run_id = add_run(db, "running", model_ids=[m1], config=config)
    records = [make_record(index=i, model=m1, scenario="x", ttft_ms=100.0) for i in range(2)]
    with db.write() as session:
        insert_records(session, run_id, records)
    with db.write() as session:
        run = get_run(session, run_id)
        assert run is not None
        recompute_results(session, run)
    with db.read() as session:
        (scenario, _summary) = run_results(session, run_id)
    verdicts = [s["met"] for s in scenario.metrics["slo_results"]]
    assert verdicts == [True, False]
    assert scenario.metrics["goodput"] == 0.0
