"""Whether the database answers: the smallest query there is."""

from __future__ import annotations

from sqlalchemy import literal, select
from sqlalchemy.orm import Session


def ping(session: Session) -> None:
    """Run ``SELECT 1``; raises the driver's error when the database does not answer."""
    session.execute(select(literal(1)))
