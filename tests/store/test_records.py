"""Per-request records and resource samples: stored with every field, as they complete."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from flperf.bench.monitor import ResourceSample
from flperf.bench.records import ErrorKind
from flperf.store import Database, RecordWriter, RequestRow, ResultRow, SampleRow
from flperf.store.requests_repo import (
    count_records,
    insert_records,
    insert_samples,
    load_records,
    load_samples,
    page_records,
)
from flperf.store.runs_repo import delete_run
from tests.bench.records_factory import make_failure, make_record
from tests.store.seed import add_result, add_run, result


def test_records_round_trip_with_every_field(db: Database) -> None:
    run_id = add_run(db)
    records = [
        make_record(index=0, warmup=True, quality_pass=True, wall_start=1.7e9 + 0.123456),
        make_record(index=1, scenario='Simple Q&A, "quoted"', tokens_disagree=True),
        make_failure(ErrorKind.HTTP, index=2, http_status=503, error_message="busy"),
        make_failure(ErrorKind.TIMEOUT, index=3),
        make_failure(ErrorKind.CANCELLED, index=4, streamed=False),
    ]
    with db.write() as session:
        insert_records(session, run_id, records)
    with db.read() as session:
        assert load_records(session, run_id) == records


def test_paging_filters_and_counts_match(db: Database) -> None:
    run_id = add_run(db)
    records = [
        make_record(index=i, scenario="a" if i % 2 else "b", model="m1" if i < 6 else "m2")
        for i in range(10)
    ] + [make_failure(ErrorKind.CONNECTION, index=10, scenario="a")]
    with db.write() as session:
        insert_records(session, run_id, records)
    with db.read() as session:
        page, total = page_records(session, run_id, scenario="a", offset=1, limit=2)
        assert total == 6
        assert [r.index for r in page] == [3, 5]
        failed, total = page_records(session, run_id, status="error")
        assert total == 1 and failed[0].error_kind is ErrorKind.CONNECTION
        _, total = page_records(session, run_id, model="m2")
        assert total == 4


def test_writer_commits_records_before_it_is_closed(db: Database) -> None:
    run_id = add_run(db, status="running")
    writer = RecordWriter(db, run_id, linger_s=0.02, max_batch=100)
    for i in range(450):
        writer.add(make_record(index=i))
    deadline = time.monotonic() + 10
    while True:  # durable while the run goes on, not only when it ends
        with db.read() as session:
            stored = count_records(session, run_id)
        if stored == 450 or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert stored == 450
    assert writer.close() == 450
    assert writer.dropped == 0


def test_samples_are_stored_on_the_run_time_axis(db: Database) -> None:
    run_id = add_run(db)
    ref_ns = 5_000_000_000
    samples = [
        ResourceSample(t_ns=ref_ns + 250_000_000, wall_time=1.0, cpu_percent=12.5, proc_rss_mb=80),
        ResourceSample(t_ns=ref_ns + 500_000_000, wall_time=1.25, gpu_util_percent=None),
    ]
    with db.write() as session:
        insert_samples(session, run_id, "model_0000000000000001", samples, ref_ns)
    with db.read() as session:
        loaded = load_samples(session, run_id)["model_0000000000000001"]
    assert [s.t_ns for s in loaded] == [250_000_000, 500_000_000]
    assert loaded[0].cpu_percent == 12.5 and loaded[0].proc_rss_mb == 80
    assert loaded[1].cpu_percent is None and loaded[1].gpu_util_percent is None


def test_deleting_a_run_deletes_its_results_records_and_samples(db: Database) -> None:
    keep, drop = add_run(db), add_run(db)
    for run_id in (keep, drop):
        add_result(db, run_id, result())
        with db.write() as session:
            insert_records(session, run_id, [make_record(index=0)])
            insert_samples(session, run_id, "m", [ResourceSample(t_ns=0)], 0)
    with db.write() as session:
        delete_run(session, drop)
    with db.read() as session:
        for table in (ResultRow, RequestRow, SampleRow):
            runs = session.scalars(select(table.run_id)).all()
            assert set(runs) == {keep}, table.__tablename__


def test_a_record_of_an_unknown_run_is_refused(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write() as session:
        insert_records(session, "run_ffffffffffffffff", [make_record()])
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(RequestRow)) == 0
