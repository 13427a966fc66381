"""Property-based fuzzing of every operation in the OpenAPI document (Schemathesis, in-process):
no input makes a route answer 500, every error is `{"error": "..."}`, and every documented
response matches its schema. Each operation is fuzzed with valid and invalid data, and the
ones taking an id once more with the id of a stored model or run, so filters and paging reach
the database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, response_schema_conformance

from flperf.api import create_app
from flperf.service import Settings, open_services
from flperf.store.requests_repo import insert_records
from tests.bench.records_factory import make_record
from tests.store.backends import BACKENDS, fresh_database_url
from tests.store.seed import add_result, add_run, result

EXAMPLES = 4
INVALID_INPUT_ONLY = {("POST", "/api/cache/switch")}
"""Valid input to these acts on the machine outside the test's folders (a cache switch creates
and uses any folder it is given), so only invalid input is fuzzed; tests/api/test_cache.py
sends their valid and bad values one by one."""


@dataclass
class Target:
    schema: Any
    ids: dict[str, str]


@pytest.fixture(params=BACKENDS)
def target(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Target]:
    monkeypatch.setenv("FLPERF_FOUNDRY_CATALOG_URLS", "http://127.0.0.1:9/catalog")
    home = tmp_path / "home"
    home.mkdir()
    config = Settings(home=home, database_url=fresh_database_url(request.param, tmp_path))
    services = open_services(config)
    model = services.models.add("fuzz", "sim-model", "openai", "http://127.0.0.1:9")
    run_id = add_run(services.db, model_ids=[model.id], model_aliases={model.id: "fuzz"})
    add_result(services.db, run_id, result(model_id=model.id))
    with services.db.write() as session:
        insert_records(session, run_id, [make_record(index=i, model=model.id) for i in range(5)])
    sweep_id, _ = services.sweeps.start_sweep(
        [model.id], "default", {"iterations": 1}, {"mode": "list", "loads": [1]}
    )
    app = create_app(config, services)
    yield Target(
        schemathesis.openapi.from_asgi("/api/openapi.json", app),
        {"id": model.id, "model_id": model.id, "run_id": run_id, "sweep_id": sweep_id},
    )
    services.close()


def errors_are_error_objects(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx/5xx body is exactly `{"error": "<message>"}`."""
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"error"}, body
        assert isinstance(body["error"], str) and body["error"], body


def no_internal_errors(ctx: Any, response: Any, case: Any) -> None:
    """No 500; a 503 (a model server that does not answer) only where it is documented."""
    status = response.status_code
    assert status < 500 or (status == 503 and "503" in case.operation.definition.raw["responses"])


CHECKS = [
    no_internal_errors,
    response_schema_conformance,
    content_type_conformance,
    errors_are_error_objects,
]


def _fuzz(operation: Any, mode: GenerationMode, path_parameters: dict[str, str] | None) -> None:
    @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        fuzz()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # An operation without inputs has no invalid form to send.


def test_no_input_breaks_the_api(target: Target) -> None:
    operations = [result.ok() for result in target.schema.get_all_operations()]
    assert len(operations) >= 20
    operations.sort(key=lambda op: op.method.upper() == "DELETE")  # keep the stored ids alive
    assert {(op.method.upper(), op.path) for op in operations} >= INVALID_INPUT_ONLY
    for operation in operations:
        names = [p.name for p in operation.path_parameters]
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        if (operation.method.upper(), operation.path) in INVALID_INPUT_ONLY:
            modes.remove(GenerationMode.POSITIVE)
        for mode in modes:
            _fuzz(operation, mode, None)
            if names:
                _fuzz(operation, mode, {name: target.ids[name] for name in names})
