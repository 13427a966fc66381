"""The schema comes from the packaged migrations and matches the ORM classes, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from flperf.store import Database
from flperf.store.migrate import current_revision, head_revision
from flperf.store.tables import Base


def test_migrations_create_every_table_of_the_models(db: Database) -> None:
    tables = set(inspect(db.read_engine).get_table_names())
    assert {"models", "runs", "results", "requests", "samples", "logs"} <= tables


def test_migrated_schema_matches_the_orm_classes_exactly(db: Database) -> None:
    with db.read_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_database_is_at_the_newest_revision_and_upgrading_again_changes_nothing(
    db: Database,
) -> None:
    assert current_revision(db.read_engine) == head_revision() is not None
    db.migrate()
    assert current_revision(db.read_engine) == head_revision()


def test_indexes_exist_for_the_queries_the_api_makes(db: Database) -> None:
    inspector = inspect(db.read_engine)
    indexed = {
        (table, tuple(index["column_names"]))
        for table in ("runs", "results", "logs", "samples")
        for index in inspector.get_indexes(table)
    }
    assert ("runs", ("created_at",)) in indexed
    assert ("results", ("run_id", "position")) in indexed
    assert ("logs", ("entity_type", "entity_id", "id")) in indexed
    assert ("samples", ("run_id", "id")) in indexed
    assert inspector.get_pk_constraint("requests")["constrained_columns"] == ["run_id", "index"]


def test_sqlite_uses_wal_and_enforces_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    db.migrate()
    with db.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_postgres_urls_use_psycopg_3() -> None:
    from flperf.store.database import database_url

    assert database_url("postgresql://u@h/db").startswith("postgresql+psycopg://")
    assert database_url("postgres://u@h/db").startswith("postgresql+psycopg://")
