"""Errors: unknown ids 404 on every route, bad input 400 naming the field, limits, CORS."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from flperf.sim.process import SimProcess
from tests.api.server import LiveServer, wait_run_finished

UNKNOWN = {"model": "model_ffffffffffffffff", "run": "run_ffffffffffffffff"}


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    return str(body["error"])


@pytest.fixture
def model_id(server: LiveServer, sim: SimProcess) -> str:
    response = server.post(
        "/models",
        json={
            "alias": f"sim-errors-{uuid.uuid4().hex[:8]}",
            "model_id": "sim-model",
            "provider": "openai",
            "endpoint": sim.url,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["model"]["id"])


def _minimal(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The smallest value a JSON schema accepts (required properties only)."""
    if "$ref" in schema:
        return _minimal(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _minimal(props[name], components) for name in schema.get("required", [])}
    if kind == "string":
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "array":
        return [_minimal(schema["items"], components)] * schema.get("minItems", 0)
    if kind == "boolean":
        return True
    return None


def _id_routes(server: LiveServer) -> list[tuple[str, str, Any]]:
    """(method, path, a valid body or None) of every route with a path parameter."""
    schema = server.get("/openapi.json").json()
    components = schema.get("components", {}).get("schemas", {})
    routes = []
    for path, operations in schema["paths"].items():
        if "{" not in path:
            continue
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            example = _minimal(body["schema"], components) if body else None
            routes.append((method.upper(), path, example))
    return routes


@pytest.mark.parametrize("form", ["well-formed", "garbage", "other-kind"])
def test_unknown_ids_answer_404_on_every_route(server: LiveServer, form: str) -> None:
    routes = _id_routes(server)
    assert len(routes) >= 15
    for method, path, body in routes:
        kind = "model" if path.startswith("/api/models") else "run"
        unknown = {
            "well-formed": UNKNOWN[kind],
            "garbage": "no such id",
            "other-kind": UNKNOWN["run" if kind == "model" else "model"],
        }[form]
        url = server.url + re.sub(r"\{[^}]+\}", unknown, path)
        _error(httpx.request(method, url, json=body, timeout=30), 404)


def test_unknown_ids_in_queries_answer_404(server: LiveServer) -> None:
    _error(server.get("/benchmarks/results", params={"runId": UNKNOWN["run"]}), 404)
    _error(server.get("/benchmarks/results", params={"modelId": UNKNOWN["model"]}), 404)
    other = "run_" + "1" * 16
    _error(server.get("/benchmarks/compare", params={"runs": f"{UNKNOWN['run']},{other}"}), 404)
    assert "run ids" in _error(server.get("/benchmarks/compare", params={"runs": "run_1"}), 400)


BAD_MODELS: list[tuple[dict[str, Any], str]] = [
    ({}, "alias"),
    ({"alias": "a"}, "model_id"),
    ({"alias": "a", "model_id": "m", "provider": "nope"}, "provider"),
    ({"alias": "a", "model_id": "m", "provider": "openai"}, "endpoint"),
    ({"alias": "a", "model_id": "m", "provider": "openai", "endpoint": "ftp://x"}, "endpoint"),
    ({"alias": "a", "model_id": "m", "endpoint": "http://127.0.0.1:1"}, "endpoint"),
    (
        {"alias": "a", "model_id": "m", "provider": "openai", "endpoint": "http://h:1", "pid": 0},
        "pid",
    ),
    ({"alias": "   ", "model_id": "m"}, "alias"),
    ({"alias": "a\x00b", "model_id": "m"}, "alias"),
    ({"alias": "a", "model_id": "m", "modelId": "x"}, "modelId"),
    ({"alias": ["a"], "model_id": "m"}, "alias"),
]


@pytest.mark.parametrize(("body", "field"), BAD_MODELS)
def test_bad_model_bodies_answer_400_naming_the_field(
    server: LiveServer, body: dict[str, Any], field: str
) -> None:
    assert field in _error(server.post("/models", json=body), 400)


def _bad_runs(model_id: str) -> list[tuple[dict[str, Any], str]]:
    ok = {"modelIds": [model_id]}
    return [
        ({}, "modelIds"),
        ({"modelIds": []}, "modelIds"),
        ({"modelIds": ["not-an-id"]}, "modelIds[0]"),
        ({"modelIds": [model_id, model_id]}, "modelIds"),
        ({**ok, "config": {"temperature": 2.5}}, "config.temperature"),
        ({**ok, "config": {"temperature": -0.1}}, "config.temperature"),
        ({**ok, "config": {"timeout": 5}}, "config.timeout"),
        ({**ok, "config": {"iterations": 0}}, "config.iterations"),
        ({**ok, "config": {"concurrency": "many"}}, "config.concurrency"),
        ({**ok, "config": {"streaming": "perhaps"}}, "config.streaming"),
        ({**ok, "config": {"max_concurrency": 4}}, "config"),
        ({**ok, "config": {"scenarios": ["no such scenario"]}}, "config.scenarios"),
        ({**ok, "config": {"iterations": 100000, "trials": 100}}, "config"),
        ({**ok, "config": {"stream": True}}, "config.stream"),
        ({**ok, "suite": "default"}, "suite"),
        ({**ok, "selectedScenarios": ["no such scenario"]}, "selectedScenarios"),
        (
            {**ok, "selectedScenarios": ["Short Q&A"], "config": {"scenarios": ["Medium Q&A"]}},
            "selectedScenarios",
        ),
        ({**ok, "config": {"load": {"kind": "closed"}, "concurrency": 3}}, "config"),
    ]


def test_runs_naming_a_model_or_suite_that_does_not_exist_answer_404(
    server: LiveServer, model_id: str
) -> None:
    ok = {"modelIds": [model_id]}
    for body, part in [
        ({"modelIds": [model_id, UNKNOWN["model"]]}, "modelIds[1]"),
        ({**ok, "suiteName": "../../etc/passwd"}, "suiteName"),
        ({**ok, "suiteName": "no-such-suite"}, "suiteName"),
    ]:
        assert part in _error(server.post("/benchmarks/run", json=body), 404), body


def test_bad_run_bodies_answer_400_naming_the_field(server: LiveServer, model_id: str) -> None:
    runs_before = server.get("/benchmarks/runs").json()["total"]
    for body, field in _bad_runs(model_id):
        message = _error(server.post("/benchmarks/run", json=body), 400)
        assert field in message, (body, message)
    assert server.get("/benchmarks/runs").json()["total"] == runs_before  # nothing was queued


def test_temperature_zero_is_a_valid_setting(server: LiveServer, model_id: str) -> None:
    body = {
        "modelIds": [model_id],
        "config": {"temperature": 0, "iterations": 1, "warmup": 0, "scenarios": ["Short Q&A"]},
    }
    response = server.post("/benchmarks/run", json=body)
    assert response.status_code == 200, response.text
    run_id = response.json()["runId"]
    assert server.get(f"/benchmarks/runs/{run_id}").json()["run"]["config"]["temperature"] == 0
    assert wait_run_finished(server, run_id)["status"] == "completed"


def test_malformed_requests_answer_400(server: LiveServer) -> None:
    headers = {"content-type": "application/json"}
    assert "JSON" in _error(server.post("/models", content=b"{bad", headers=headers), 400)
    _error(server.post("/models", content=b"[1, 2]", headers=headers), 400)
    _error(server.post("/benchmarks/run", content=b"", headers=headers), 400)
    assert "limit" in _error(server.get("/benchmarks/runs", params={"limit": 0}), 400)
    assert "limit" in _error(server.get("/benchmarks/runs", params={"limit": "ten"}), 400)
    assert "offset" in _error(server.get("/benchmarks/results", params={"offset": -1}), 400)
    assert "runs" in _error(server.get("/benchmarks/compare"), 400)
    requests = f"/benchmarks/runs/{UNKNOWN['run']}/requests"
    assert "scenario" in _error(server.get(requests, params={"scenario": "a\x00b"}), 400)
    assert "status" in _error(server.get(requests, params={"status": "fine"}), 400)


def test_unknown_routes_and_methods_answer_in_the_error_shape(server: LiveServer) -> None:
    _error(server.get("/nothing/here"), 404)
    refused = server.delete("/models")
    _error(refused, 405)
    assert refused.headers["allow"] == "GET, HEAD, POST"  # every method of the path
    deleted = server.post(f"/benchmarks/runs/{UNKNOWN['run']}")
    assert deleted.status_code == 405 and deleted.headers["allow"] == "DELETE, GET, HEAD"


def test_head_answers_like_get_without_a_body(server: LiveServer) -> None:
    for path in ("/models", "/benchmarks/suites", "/system/health"):
        got = server.get(path)
        head = httpx.head(server.api + path, timeout=30.0)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
    page = httpx.head(server.url + "/benchmarks", timeout=30.0)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert httpx.head(server.api + f"/benchmarks/runs/{UNKNOWN['run']}").status_code == 404


def test_request_bodies_over_one_mebibyte_are_refused(server: LiveServer) -> None:
    big = {"alias": "a" * (1024 * 1024 + 10), "model_id": "m"}
    assert "larger than" in _error(server.post("/models", json=big), 413)

    def chunks() -> Any:  # no Content-Length: counted while reading
        yield b'{"alias": "'
        for _ in range(2 * 1024):
            yield b"a" * 1024
        yield b'", "model_id": "m"}'

    chunked = server.post("/models", content=chunks(), headers={"content-type": "application/json"})
    _error(chunked, 413)


@pytest.mark.parametrize(
    "origin", ["http://localhost:5173", "http://127.0.0.1:3001", "http://[::1]:8080"]
)
def test_cors_allows_local_origins(server: LiveServer, origin: str) -> None:
    response = server.get("/models", headers={"Origin": origin})
    assert response.headers.get("access-control-allow-origin") == origin


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost.evil.example", "null"])
def test_cors_refuses_other_origins(server: LiveServer, origin: str) -> None:
    response = server.get("/models", headers={"Origin": origin})
    assert "access-control-allow-origin" not in response.headers
    preflight = httpx.options(
        server.api + "/models",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_openapi_docs_are_served(server: LiveServer) -> None:
    assert server.get("/docs").status_code == 200
    schema = server.get("/openapi.json").json()
    assert "/api/benchmarks/run" in schema["paths"]
