"""Sweeps and their points: a sweep row, and the runs whose `sweep_id` names it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from flperf.store.runs_repo import SUMMARY_SCENARIO, rowcount
from flperf.store.tables import ResultRow, RunRow, SweepRow, is_public_id


def get_sweep(session: Session, sweep_id: str) -> SweepRow | None:
    """The sweep with this public id, or None."""
    if not is_public_id(sweep_id, "sweep"):
        return None
    return session.get(SweepRow, sweep_id)


def list_sweeps(session: Session, limit: int, offset: int = 0) -> tuple[list[SweepRow], int]:
    """Sweeps newest first, one page, and how many there are in all."""
    total = int(session.scalar(select(func.count()).select_from(SweepRow)) or 0)
    query = select(SweepRow).order_by(SweepRow.created_at.desc(), SweepRow.id).limit(limit)
    return list(session.scalars(query.offset(offset))), total


def sweeps_with_status(session: Session, statuses: Sequence[str]) -> list[SweepRow]:
    """Sweeps in any of `statuses`, oldest first."""
    query = select(SweepRow).where(SweepRow.status.in_(statuses)).order_by(SweepRow.created_at)
    return list(session.scalars(query))


def change_sweep_status(
    session: Session, sweep_id: str, expected: str, new: str, **values: Any
) -> bool:
    """Move the sweep from `expected` to `new` (setting `values`) only if it is still
    `expected`; returns whether it moved."""
    query = (
        update(SweepRow)
        .where(SweepRow.id == sweep_id, SweepRow.status == expected)
        .values(status=new, **values)
    )
    return rowcount(session.execute(query)) > 0


def update_running_sweep(session: Session, sweep_id: str, **values: Any) -> bool:
    """Set `values` on the sweep only while it is `running`; returns whether it was."""
    query = (
        update(SweepRow)
        .where(SweepRow.id == sweep_id, SweepRow.status == "running")
        .values(**values)
    )
    return rowcount(session.execute(query)) > 0


def set_first_run(session: Session, sweep_id: str, run_id: str) -> bool:
    """Record the sweep's first point unless a later one was recorded already."""
    query = (
        update(SweepRow)
        .where(
            SweepRow.id == sweep_id,
            SweepRow.status == "running",
            SweepRow.current_run_id.is_(None),
        )
        .values(current_run_id=run_id)
    )
    return rowcount(session.execute(query)) > 0


def sweep_runs(session: Session, sweep_id: str) -> list[tuple[RunRow, ResultRow | None]]:
    """The sweep's runs in the order they were queued, each with its model's `*` result
    (None until the run has one)."""
    query = (
        select(RunRow, ResultRow)
        .outerjoin(
            ResultRow,
            and_(ResultRow.run_id == RunRow.id, ResultRow.scenario == SUMMARY_SCENARIO),
        )
        .where(RunRow.sweep_id == sweep_id)
        .order_by(RunRow.created_at, RunRow.id)
    )
    return [(run, result) for run, result in session.execute(query).all()]


def sweep_run_ids(session: Session, sweep_id: str) -> list[str]:
    """Ids of the sweep's runs."""
    return list(session.scalars(select(RunRow.id).where(RunRow.sweep_id == sweep_id)))
