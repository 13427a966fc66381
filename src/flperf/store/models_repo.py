"""Configured models. A deleted model keeps its row (`deleted_at` set) so results stay readable."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flperf.store.tables import ModelRow, is_public_id


def get_model(session: Session, model_id: str, include_deleted: bool = False) -> ModelRow | None:
    """The model row with this public id (None when unknown, or deleted unless asked)."""
    if not is_public_id(model_id, "model"):
        return None
    row = session.get(ModelRow, model_id)
    if row is None or (row.deleted_at is not None and not include_deleted):
        return None
    return row


def list_models(session: Session) -> list[ModelRow]:
    """Every model not deleted, oldest first."""
    query = select(ModelRow).where(ModelRow.deleted_at.is_(None)).order_by(ModelRow.created_at)
    return list(session.scalars(query))


def find_by_alias(session: Session, alias: str) -> ModelRow | None:
    """The model (not deleted) with this alias."""
    query = select(ModelRow).where(ModelRow.deleted_at.is_(None), ModelRow.alias == alias)
    return session.scalars(query.limit(1)).first()


def count_models(session: Session, status: str | None = None) -> int:
    """Models not deleted, optionally only those in `status`."""
    query = select(func.count()).select_from(ModelRow).where(ModelRow.deleted_at.is_(None))
    if status is not None:
        query = query.where(ModelRow.status == status)
    return int(session.scalar(query) or 0)


def with_status(session: Session, statuses: tuple[str, ...]) -> list[ModelRow]:
    """Models (not deleted) whose status is one of `statuses`."""
    query = select(ModelRow).where(ModelRow.deleted_at.is_(None), ModelRow.status.in_(statuses))
    return list(session.scalars(query))
