"""Connecting to the database: SQLite in the data folder by default, PostgreSQL by URL.

SQLite runs in WAL mode (readers never wait for the writer) with foreign keys on; write
transactions start with `BEGIN IMMEDIATE`, so a transaction that reads and then writes waits
for the write lock (busy timeout) instead of failing when another connection wrote meanwhile.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from flperf import config

DATABASE_URL_ENV = "FLPERF_DATABASE_URL"
BUSY_TIMEOUT_S = 30.0


def database_url(explicit: str | None = None, home: Path | None = None) -> str:
    """`explicit`, else `$FLPERF_DATABASE_URL`, else the SQLite file `<home>/flperf.db`."""
    url = explicit or os.environ.get(DATABASE_URL_ENV)
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]  # psycopg 3, not psycopg2
        return url
    folder = home if home is not None else config.home()
    return f"sqlite:///{folder / 'flperf.db'}"


def _json_dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # e.g. an integer beyond 64 bits (a huge seed): the slow, general path
        return json.dumps(value)


JSON_CODEC: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
"""orjson for JSON columns: results and runs are read in bulk by list routes."""

POOL: dict[str, Any] = {"pool_size": 10, "max_overflow": 40}
"""Enough connections for the API's thread pool plus the run worker, writer and watcher."""


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        **JSON_CODEC,
        **POOL,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event, not the driver, open transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process kills in WAL mode
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


class Database:
    """Engines and sessions for one database URL. `migrate()` brings the schema up to date."""

    def __init__(self, url: str | None = None, home: Path | None = None) -> None:
        self.url = database_url(url, home)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.read_engine = _sqlite_engine(self.url, immediate=False)
            self.write_engine = _sqlite_engine(self.url, immediate=True)
        else:
            self.read_engine = create_engine(self.url, pool_pre_ping=True, **JSON_CODEC, **POOL)
            self.write_engine = self.read_engine
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries (a consistent snapshot; nothing is committed)."""
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes are committed at the end of the block (rolled back on error)."""
        with self._writer.begin() as session:
            yield session

    def migrate(self) -> None:
        """Apply every pending schema migration."""
        from flperf.store.migrate import upgrade

        upgrade(self.write_engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()


def redact(url: str) -> str:
    """The URL with its password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)
