"""Migrations upgrade an existing database in place, keeping what it holds, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from flperf.service.views import ModelView, RunView
from flperf.store import Database
from flperf.store.migrate import current_revision, head_revision, upgrade
from flperf.store.models_repo import get_model
from flperf.store.runs_repo import get_run, set_model_lifecycle

MODEL_ID = "model_00112233445566ff"
RUN_ID = "run_00112233445566ff"


@pytest.fixture
def at_0004(database_url: str) -> Iterator[Database]:
    """A database at revision 0004 holding one model and one finished run."""
    database = Database(database_url)
    upgrade(database.write_engine, "0004")
    with database.write_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO models (id, alias, model_id, provider, status, created_at, "
                "updated_at) VALUES (:id, 'old', 'flperf-demo', 'foundry', 'stopped', 1, 1)"
            ),
            {"id": MODEL_ID},
        )
        connection.execute(
            text(
                "INSERT INTO runs (id, suite_name, suite, scenarios, model_ids, model_aliases, "
                "config, workload_hash, status, requests_total, requests_done, created_at) "
                "VALUES (:id, 'default', '{}', '[]', :ids, :aliases, '{}', 'h', 'completed', "
                "0, 0, 1)"
            ),
            {"id": RUN_ID, "ids": f'["{MODEL_ID}"]', "aliases": f'{{"{MODEL_ID}": "old"}}'},
        )
    yield database
    database.dispose()


def test_from_0004_fleet_and_lifecycle_columns_come_and_models_and_runs_stay(
    at_0004: Database,
) -> None:
    assert current_revision(at_0004.read_engine) == "0004"
    at_0004.migrate()
    assert current_revision(at_0004.read_engine) == head_revision()
    with at_0004.read() as session:
        model, run = get_model(session, MODEL_ID), get_run(session, RUN_ID)
        assert model is not None and run is not None
        assert model.lifecycle is None and run.lifecycle is None
        assert run.machine is None and run.server_id is None  # measured before fleet mode
        assert ModelView.of(model).lifecycle is None
        assert RunView.of(run).lifecycle == {}  # an old run: no facts, read without error
    with at_0004.write() as session:
        set_model_lifecycle(session, RUN_ID, MODEL_ID, {"load_ms": 4.5, "cold_start": True})
    with at_0004.read() as session:
        run = get_run(session, RUN_ID)
        assert run is not None
        facts = RunView.of(run).lifecycle[MODEL_ID]
        assert facts.load_ms == 4.5 and facts.cold_start is True
