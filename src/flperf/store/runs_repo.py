"""Runs and their results: listing, status changes, and the aggregates dashboards ask for."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Result, delete, func, select, update
from sqlalchemy.orm import Session, undefer

from flperf.bench.metrics import ResultMetrics
from flperf.store.tables import ResultRow, RunRow, is_public_id, new_id

SUMMARY_SCENARIO = "*"
"""Scenario name of the per-model result over all of a run's scenarios."""

POSITIONS_PER_MODEL = 100_000
"""Result positions a model of a run owns: model i's results sit at i * this + their order."""


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed."""
    return int(cast(CursorResult[Any], result).rowcount)


def get_run(session: Session, run_id: str) -> RunRow | None:
    """The run with this public id, or None."""
    if not is_public_id(run_id, "run"):
        return None
    return session.get(RunRow, run_id)


def list_runs(
    session: Session, limit: int, offset: int = 0, machine: str | None = None
) -> tuple[list[RunRow], int]:
    """Runs newest first (of one machine, when given), one page, and how many there are."""
    where = [RunRow.machine == machine] if machine is not None else []
    total = int(session.scalar(select(func.count()).select_from(RunRow).where(*where)) or 0)
    query = select(RunRow).where(*where).order_by(RunRow.created_at.desc(), RunRow.id)
    return list(session.scalars(query.limit(limit).offset(offset))), total


def machines(session: Session) -> list[tuple[str, int]]:
    """The machines runs were measured on, with how many runs each, most runs first."""
    query = (
        select(RunRow.machine, func.count())
        .where(RunRow.machine.is_not(None))
        .group_by(RunRow.machine)
        .order_by(func.count().desc(), RunRow.machine)
    )
    return [(str(name), int(count)) for name, count in session.execute(query)]


def get_run_with_suite(session: Session, run_id: str) -> RunRow | None:
    """The run with its suite snapshot loaded (the column is deferred elsewhere)."""
    if not is_public_id(run_id, "run"):
        return None
    query = select(RunRow).where(RunRow.id == run_id).options(undefer(RunRow.suite))
    return session.scalars(query).first()


def count_with_status(session: Session, status: str) -> int:
    """How many runs are in `status`."""
    query = select(func.count()).select_from(RunRow).where(RunRow.status == status)
    return int(session.scalar(query) or 0)


def count_queued(session: Session, server_id: str) -> int:
    """How many runs a server has waiting in its queue."""
    query = (
        select(func.count())
        .select_from(RunRow)
        .where(RunRow.status == "queued", RunRow.server_id == server_id)
    )
    return int(session.scalar(query) or 0)


def change_status(session: Session, run_id: str, expected: str, new: str, **values: Any) -> bool:
    """Move the run from `expected` to `new` (setting `values` too) only if it is still
    `expected`; returns whether it moved. Two servers or threads never both win."""
    query = (
        update(RunRow)
        .where(RunRow.id == run_id, RunRow.status == expected)
        .values(status=new, **values)
    )
    return rowcount(session.execute(query)) > 0


def set_worker_pid(session: Session, run_id: str, pid: int | None) -> None:
    """Record the process measuring a run."""
    session.execute(update(RunRow).where(RunRow.id == run_id).values(worker_pid=pid))


def set_hardware_info(session: Session, run_id: str, info: dict[str, Any]) -> None:
    """Record the machine (and models) a run is measured on."""
    session.execute(update(RunRow).where(RunRow.id == run_id).values(hardware_info=info))


def set_model_lifecycle(
    session: Session, run_id: str, model_id: str, facts: dict[str, Any]
) -> None:
    """Record one model's lifecycle facts in a run (replacing what it had for that model)."""
    row = session.get(RunRow, run_id, with_for_update=True)
    if row is not None:
        row.lifecycle = {**(row.lifecycle or {}), model_id: facts}


def delete_measured_results(session: Session, run_id: str) -> None:
    """Delete a run's results computed from records (rows of models that could not start stay)."""
    session.execute(delete(ResultRow).where(ResultRow.run_id == run_id, ResultRow.error.is_(None)))


def runs_with_status(session: Session, statuses: Sequence[str]) -> list[RunRow]:
    """Runs in any of `statuses`, oldest first."""
    query = select(RunRow).where(RunRow.status.in_(statuses)).order_by(RunRow.created_at)
    return list(session.scalars(query))


def last_run(session: Session) -> RunRow | None:
    """The most recently created run."""
    query = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id).limit(1)
    return session.scalars(query).first()


def count_runs(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(RunRow)) or 0)


def delete_run(session: Session, run_id: str) -> None:
    """Delete a run with its results, requests, samples (cascade)."""
    session.execute(delete(RunRow).where(RunRow.id == run_id))


def result_row(
    run_id: str,
    position: int,
    result: ResultMetrics,
    alias: str | None,
    error: str | None = None,
) -> ResultRow:
    """A results row: the spec columns plus the whole result as JSON."""
    return ResultRow(
        id=new_id("result"),
        run_id=run_id,
        position=position,
        model_id=result.model_id,
        model_alias=alias,
        scenario=result.scenario,
        tps=result.tps,
        ttft=result.ttft,
        latency_p50=result.latency_p50,
        latency_p95=result.latency_p95,
        latency_p99=result.latency_p99,
        error_rate=result.error_rate,
        timeout_rate=result.timeout_rate,
        cpu_avg=result.cpu_avg,
        ram_avg=result.ram_avg,
        gpu_avg=result.gpu_avg,
        successful=result.successful_iterations,
        error=error,
        metrics=result.model_dump(mode="json"),
        created_at=time.time(),
    )


def replace_results(
    session: Session, run_id: str, model_id: str | None, rows: Sequence[ResultRow]
) -> None:
    """Store `rows` as the results of `model_id` in the run (all models when None)."""
    query = delete(ResultRow).where(ResultRow.run_id == run_id)
    if model_id is not None:
        query = query.where(ResultRow.model_id == model_id)
    session.execute(query)
    session.add_all(rows)


def next_position(session: Session, run_id: str) -> int:
    query = select(func.max(ResultRow.position)).where(ResultRow.run_id == run_id)
    value = session.scalar(query)
    return 0 if value is None else int(value) + 1


def run_results(session: Session, run_id: str) -> list[ResultRow]:
    """Every result of a run (scenarios and `*` summaries) in stored order."""
    query = select(ResultRow).where(ResultRow.run_id == run_id).order_by(ResultRow.position)
    return list(session.scalars(query))


def list_results(
    session: Session,
    run_id: str | None,
    model_id: str | None,
    limit: int,
    offset: int = 0,
) -> tuple[list[ResultRow], int]:
    """Per-scenario results (no `*` rows), newest run first, with the total count."""
    where: list[Any] = [ResultRow.scenario != SUMMARY_SCENARIO]
    if run_id is not None:
        where.append(ResultRow.run_id == run_id)
    if model_id is not None:
        where.append(ResultRow.model_id == model_id)
    total = int(session.scalar(select(func.count()).select_from(ResultRow).where(*where)) or 0)
    query = (
        select(ResultRow)
        .join(RunRow, RunRow.id == ResultRow.run_id)
        .where(*where)
        .order_by(RunRow.created_at.desc(), ResultRow.run_id, ResultRow.position)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query)), total


def _best(session: Session, column: Any, descending: bool) -> ResultRow | None:
    """The honest result with the highest (or lowest) `column`: a scenario result (not `*`)
    with successful requests, of a completed run.

    Walks down the column's index in small pages and checks the runs of each page, which stays
    fast however many results there are (a join would make SQLite sort them all).
    """
    query = (
        select(ResultRow.id, ResultRow.run_id)
        .where(
            column.is_not(None),
            ResultRow.scenario != SUMMARY_SCENARIO,
            ResultRow.successful > 0,
            ResultRow.error.is_(None),
        )
        .order_by(column.desc() if descending else column.asc(), ResultRow.id)
    )
    offset, page = 0, 64
    while True:
        candidates = session.execute(query.limit(page).offset(offset)).all()
        if not candidates:
            return None
        run_ids = {run_id for _, run_id in candidates}
        completed = set(
            session.scalars(
                select(RunRow.id).where(RunRow.id.in_(run_ids), RunRow.status == "completed")
            )
        )
        for result_id, run_id in candidates:
            if run_id in completed:
                return session.get(ResultRow, result_id)
        offset += page


def best_tps(session: Session) -> ResultRow | None:
    """The result with the highest system throughput (honest results only)."""
    return _best(session, ResultRow.tps, descending=True)


def best_latency(session: Session) -> ResultRow | None:
    """The result with the lowest end-to-end p95 latency (honest results only)."""
    return _best(session, ResultRow.latency_p95, descending=False)
