"""Log records of model services (`service`), runs (`run`) and the server (`system`)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flperf.store.tables import LogRow

LEVELS = ("debug", "info", "warning", "error", "critical")


def add_log(
    session: Session,
    entity_type: str,
    entity_id: str | None,
    level: str,
    message: str,
    meta: dict[str, Any] | None = None,
    at: float | None = None,
) -> LogRow:
    """Append one log record."""
    row = LogRow(
        entity_type=entity_type,
        entity_id=entity_id,
        level=level if level in LEVELS else "info",
        message=message,
        meta=meta,
        created_at=time.time() if at is None else at,
    )
    session.add(row)
    return row


def list_logs(session: Session, entity_type: str, entity_id: str, limit: int) -> list[LogRow]:
    """The newest `limit` records of one entity, newest first."""
    query = (
        select(LogRow)
        .where(LogRow.entity_type == entity_type, LogRow.entity_id == entity_id)
        .order_by(LogRow.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
