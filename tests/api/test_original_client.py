"""What the original FLPerformance web client reads and sends, checked field by field through
the API on each database (spec/api.md leaves these open; the client settles them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flperf.service.providers import ProviderSet
from flperf.service.system import SystemService
from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from flperf.store import Database
from tests.api.server import LiveServer, wait_run_finished

MESSAGES_ONLY = "Code generation"


def _model(server: LiveServer, url: str, alias: str) -> str:
    body = {"alias": alias, "model_id": "sim-model", "provider": "openai", "endpoint": url}
    response = server.post("/models", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["model"]["id"])


def _run(server: LiveServer, body: dict[str, Any]) -> str:
    response = server.post("/benchmarks/run", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["runId"])


def test_every_scenario_has_a_prompt_string_and_its_messages(server: LiveServer) -> None:
    (default,) = [
        s for s in server.get("/benchmarks/suites").json()["suites"] if s["name"] == "default"
    ]
    for scenario in default["scenarios"]:
        assert isinstance(scenario["prompt"], str) and scenario["prompt"], scenario["name"]
        assert isinstance(scenario["messages"], list) and scenario["messages"]
    (code,) = [s for s in default["scenarios"] if s["name"] == MESSAGES_ONLY]
    last_user = [m["content"] for m in code["messages"] if m["role"] == "user"][-1]
    assert code["prompt"] == last_user and len(code["messages"]) > 1


def test_selected_scenarios_choose_what_runs(server: LiveServer, sim: SimProcess) -> None:
    model_id = _model(server, sim.url, "client-selection")
    config = {"iterations": 2, "concurrency": 1, "timeout": 60000, "temperature": 0.7,
              "streaming": True}  # fmt: skip
    body = {"modelIds": [model_id], "suiteName": "default", "config": config}
    run_id = _run(server, {**body, "selectedScenarios": ["Short Q&A", MESSAGES_ONLY]})
    wait_run_finished(server, run_id)
    detail = server.get(f"/benchmarks/runs/{run_id}").json()
    assert [r["scenario"] for r in detail["results"]] == ["Short Q&A", MESSAGES_ONLY]

    same = {**config, "scenarios": ["Short Q&A"]}
    both_same = {**body, "config": same, "selectedScenarios": ["Short Q&A"]}
    assert server.post("/benchmarks/run", json=both_same).status_code == 200
    for selected, status in ((["No such thing"], 400), (["Medium Q&A"], 400)):
        response = server.post(
            "/benchmarks/run", json={**body, "config": same, "selectedScenarios": selected}
        )
        assert response.status_code == status and "selectedScenarios" in response.json()["error"]


def test_numbers_the_client_reads_are_numbers(server: LiveServer, sim: SimProcess) -> None:
    first = _model(server, sim.url, "client-a")
    second = _model(server, sim.url, "client-b")
    body = {"modelIds": [second, first], "config": {"iterations": 3, "scenarios": ["Short Q&A"]}}
    run_id = _run(server, body)
    status = wait_run_finished(server, run_id)
    assert isinstance(status["progress"], float) and status["progress"] == 100.0
    assert status["progress_detail"]["done"] == status["progress_detail"]["total"] == 8

    detail = server.get(f"/benchmarks/runs/{run_id}").json()
    for result in detail["results"]:
        assert isinstance(result["gen_tps"], float) and result["gen_tps"] > 0
        assert isinstance(result["tpot"], float) and result["tpot"] > 0
        assert result["gen_tps"] == pytest.approx(result["decode_tps"]["mean"])
        assert result["tpot"] == pytest.approx(result["itl_ms"]["mean"])
    assert isinstance(detail["run"]["progress"], float)
    (listed,) = [r for r in server.get("/benchmarks/runs").json()["runs"] if r["id"] == run_id]
    assert listed["model_ids"] == [second, first]
    assert listed["model_aliases"] == ["client-b", "client-a"]  # an array in model_ids order


def test_a_model_test_answers_response_and_latency(server: LiveServer, sim: SimProcess) -> None:
    model_id = _model(server, sim.url, "client-test")
    answer = server.post(f"/models/{model_id}/test", json={"prompt": "hello"})
    assert answer.status_code == 200, answer.text
    reply = answer.json()
    assert isinstance(reply["response"], str) and reply["response"] == reply["reply"]
    assert isinstance(reply["latency"], float) and reply["latency"] > 0


def test_a_failed_model_test_is_an_error_status(server: LiveServer) -> None:
    with start_simulator(SimConfig(fail_500=1.0)) as failing:
        model_id = _model(server, failing.url, "client-test-fails")
        answer = server.post(f"/models/{model_id}/test", json={"prompt": "hello"})
    assert answer.status_code == 502
    assert set(answer.json()) == {"error"} and "500" in answer.json()["error"]


def test_health_says_why_when_not_healthy(server: LiveServer, tmp_path: Path) -> None:
    healthy = server.get("/system/health").json()
    assert healthy["status"] == "healthy" and healthy["error"] is None
    unreachable = Database("postgresql://flperf@127.0.0.1:9/flperf")  # nothing listens there
    system = SystemService(unreachable, ProviderSet(tmp_path), runs=None)  # type: ignore[arg-type]
    report = system.health()
    assert report.status == "degraded"
    assert report.error is not None and "database" in report.error
    unreachable.dispose()
