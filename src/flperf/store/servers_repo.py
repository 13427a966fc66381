"""The servers sharing a database: registering one, its heartbeat, and which are gone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from flperf.store.tables import RunRow, ServerRow, SweepRow


def add_server(session: Session, row: ServerRow) -> None:
    """Register a server that starts now."""
    session.add(row)


def beat(session: Session, server_id: str, at: float) -> None:
    """The server is alive at `at`."""
    session.execute(update(ServerRow).where(ServerRow.id == server_id).values(heartbeat_at=at))


def mark_stopped(session: Session, server_id: str, at: float) -> None:
    """The server shut down cleanly at `at`."""
    session.execute(
        update(ServerRow).where(ServerRow.id == server_id).values(stopped_at=at, heartbeat_at=at)
    )


def list_servers(session: Session) -> list[ServerRow]:
    """Every server that used this database, newest first."""
    return list(session.scalars(select(ServerRow).order_by(ServerRow.started_at.desc())))


def servers_with_identity(session: Session, identity: str) -> list[ServerRow]:
    """Earlier incarnations of a server (same machine name and data folder)."""
    return list(session.scalars(select(ServerRow).where(ServerRow.identity == identity)))


def _gone(stale_before: float) -> Select[Any]:
    """Ids of servers that stopped or whose last heartbeat is older than `stale_before`."""
    return select(ServerRow.id).where(
        or_(ServerRow.stopped_at.is_not(None), ServerRow.heartbeat_at < stale_before)
    )


def gone_server_ids(session: Session, stale_before: float) -> set[str]:
    """Ids of the servers that stopped or went silent before `stale_before`."""
    return set(session.scalars(_gone(stale_before)))


def orphan_runs(
    session: Session, statuses: Sequence[str], stale_before: float, me: str
) -> list[RunRow]:
    """Runs in `statuses` whose server is gone (or unknown: runs of a server from before fleet
    mode), oldest first; never the runs of `me`."""
    owner_gone = or_(RunRow.server_id.is_(None), RunRow.server_id.in_(_gone(stale_before)))
    query = (
        select(RunRow)
        .where(RunRow.status.in_(statuses), owner_gone)
        .where(or_(RunRow.server_id.is_(None), RunRow.server_id != me))
        .order_by(RunRow.created_at)
    )
    return list(session.scalars(query))


def orphan_sweeps(
    session: Session, statuses: Sequence[str], stale_before: float, me: str
) -> list[SweepRow]:
    """Sweeps in `statuses` whose server is gone, oldest first; never those of `me`."""
    owner_gone = or_(SweepRow.server_id.is_(None), SweepRow.server_id.in_(_gone(stale_before)))
    query = (
        select(SweepRow)
        .where(SweepRow.status.in_(statuses), owner_gone)
        .where(or_(SweepRow.server_id.is_(None), SweepRow.server_id != me))
        .order_by(SweepRow.created_at)
    )
    return list(session.scalars(query))
