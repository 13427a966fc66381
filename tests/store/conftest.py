"""Storage tests run on SQLite always and on PostgreSQL when its binaries are installed."""

from tests.store.backends import database_url, db

__all__ = ["database_url", "db"]
