"""Rows made by hand for storage tests."""

from __future__ import annotations

import time
from typing import Any

from flperf.bench.metrics import ResultMetrics, aggregate
from flperf.store import Database, RunRow, new_id
from flperf.store.runs_repo import result_row
from tests.bench.records_factory import make_record


def add_run(db: Database, status: str = "completed", **fields: Any) -> str:
    """Insert a run row; returns its id."""
    now = time.time()
    values: dict[str, Any] = {
        "id": new_id("run"),
        "suite_name": "default",
        "suite": {"name": "default", "scenarios": [{"name": "s"}]},
        "model_ids": ["model_0000000000000001"],
        "model_aliases": {"model_0000000000000001": "m1"},
        "config": {"iterations": 1},
        "hardware_info": None,
        "workload_hash": "0" * 64,
        "status": status,
        "requests_total": 1,
        "requests_done": 0,
        "created_at": now,
        "started_at": now,
        "completed_at": now if status not in ("queued", "running") else None,
    }
    values.update(fields)
    with db.write() as session:
        session.add(RunRow(**values))
    return str(values["id"])


def result(
    model_id: str = "model_0000000000000001", scenario: str = "s", **update: Any
) -> ResultMetrics:
    """A result aggregated from one successful record, with fields overridden."""
    base = aggregate([make_record(model=model_id, scenario=scenario)], model_id, scenario)
    return base.model_copy(update=update)


def add_result(
    db: Database, run_id: str, metrics: ResultMetrics, error: str | None = None, position: int = 0
) -> str:
    row = result_row(run_id, position, metrics, "m1", error)
    with db.write() as session:
        session.add(row)
    return row.id
