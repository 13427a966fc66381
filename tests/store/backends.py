"""Fixtures giving each test a fresh database on SQLite and, when available, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flperf.store import Database
from tests.store.pg_server import PostgresUnavailable, shared_postgres

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def fresh_database_url(backend: str, folder: Path) -> str:
    """A URL of an empty database on `backend` (skips the test when PostgreSQL is missing)."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'flperf.db'}"
    try:
        return shared_postgres().create_database()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL not available: {exc}")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database_url(request.param, tmp_path)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()
