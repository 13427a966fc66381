"""Persistence: SQLAlchemy 2.x on SQLite (default, in the data folder) or PostgreSQL (by URL).

`Database` connects and migrates; the `*_repo` modules hold the queries; `RecordWriter` stores a
run's request records as they complete.
"""

from __future__ import annotations

from flperf.store.database import DATABASE_URL_ENV, Database, database_url, redact
from flperf.store.record_writer import RecordWriter
from flperf.store.tables import (
    Base,
    LogRow,
    ModelRow,
    RequestRow,
    ResultRow,
    RunRow,
    SampleRow,
    new_id,
)

__all__ = [
    "DATABASE_URL_ENV",
    "Base",
    "Database",
    "LogRow",
    "ModelRow",
    "RecordWriter",
    "RequestRow",
    "ResultRow",
    "RunRow",
    "SampleRow",
    "database_url",
    "new_id",
    "redact",
]
