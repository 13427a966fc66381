"""Failures stay visible: a model that cannot start, scenarios whose requests all fail, and
comparisons of different workloads or of models that really differ."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from tests.api.server import LiveServer, wait_run_finished

SHORT = {"scenarios": ["Short Q&A"], "warmup": 0, "iterations": 4}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _model(server: LiveServer, endpoint: str) -> str:
    response = server.post(
        "/models",
        json={"alias": f"m-{uuid.uuid4().hex[:8]}", "model_id": "sim-model",
              "provider": "openai", "endpoint": endpoint},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return str(response.json()["model"]["id"])


def _run(server: LiveServer, model_ids: list[str], **config: Any) -> dict[str, Any]:
    response = server.post("/benchmarks/run", json={"modelIds": model_ids, "config": config})
    assert response.status_code == 200, response.text
    run_id = response.json()["runId"]
    wait_run_finished(server, run_id)
    detail: dict[str, Any] = server.get(f"/benchmarks/runs/{run_id}").json()
    return detail


@pytest.fixture(scope="module")
def failing_sim() -> Iterator[SimProcess]:
    """Every request answers HTTP 500."""
    with start_simulator(SimConfig(model="sim-model", fail_500=1.0)) as process:
        yield process


@pytest.fixture(scope="module")
def slow_sim() -> Iterator[SimProcess]:
    """Same output as the fast simulator, but first tokens 40 ms later."""
    with start_simulator(SimConfig(model="sim-model", ttft_ms=42.0, itl_ms=0.5,
                                   output_tokens=16)) as process:  # fmt: skip
        yield process


def test_a_model_that_cannot_start_is_recorded_and_the_others_still_run(
    server: LiveServer, sim: SimProcess
) -> None:
    dead = _model(server, f"http://127.0.0.1:{_closed_port()}")
    alive = _model(server, sim.url)
    detail = _run(server, [dead, alive], **SHORT)
    run = detail["run"]
    assert run["status"] == "completed"
    assert run["progress_detail"]["done"] == run["progress_detail"]["total"] == 8
    by_model = {r["model_id"]: r for r in detail["results"]}
    assert by_model[dead]["error_rate"] == 100 and by_model[dead]["tps"] is None
    assert "could not be started" in by_model[dead]["error"]
    assert by_model[alive]["error_rate"] == 0 and by_model[alive]["tps"] > 0
    logs = server.get(f"/benchmarks/runs/{run['id']}/logs").json()["logs"]
    assert any(e["level"] == "error" and "could not be started" in e["message"] for e in logs)
    model = next(m for m in server.get("/models").json()["models"] if m["id"] == dead)
    assert model["status"] == "error" and model["last_error"]


def test_a_run_where_no_model_starts_fails(server: LiveServer) -> None:
    dead = _model(server, f"http://127.0.0.1:{_closed_port()}")
    detail = _run(server, [dead], **SHORT)
    assert detail["run"]["status"] == "failed"
    assert "no model could be started" in detail["run"]["error"]


def test_failed_requests_show_in_results_and_never_in_the_best_figures(
    server: LiveServer, failing_sim: SimProcess
) -> None:
    model_id = _model(server, failing_sim.url)
    detail = _run(server, [model_id], **SHORT)
    assert detail["run"]["status"] == "completed"
    (result,) = detail["results"]
    assert result["error_rate"] == 100 and result["errors_by_kind"] == {"http_500": 4}
    assert result["tps"] is None and result["latency_p95"] is None
    logs = server.get(f"/benchmarks/runs/{detail['run']['id']}/logs").json()["logs"]
    assert any(e["level"] == "warning" and "4 failed" in e["message"] for e in logs)
    stats = server.get("/system/stats").json()
    for best in (stats["bestTpsModel"], stats["bestLatencyModel"]):
        assert best is None or best["modelId"] != model_id


def test_compare_tells_a_real_difference_and_the_better_side(
    server: LiveServer, sim: SimProcess, slow_sim: SimProcess
) -> None:
    fast, slow = _model(server, sim.url), _model(server, slow_sim.url)
    detail = _run(server, [fast, slow], **{**SHORT, "iterations": 8})
    run_id = detail["run"]["id"]
    comparison = server.get("/benchmarks/compare", params={"runs": run_id}).json()
    (scenario,) = comparison["scenarios"]
    baseline, other = scenario["entries"]
    assert (baseline["model_id"], other["model_id"]) == (fast, slow)
    ttft = next(d for d in other["diffs"] if d["metric"] == "ttft")
    assert ttft["verdict"] == "different" and ttft["significant"] is True
    assert ttft["better"] is False and ttft["rel_diff_pct"] > 100
    assert ttft["basis"] == "ttft_ms" and ttft["p_value"] < 0.05


def test_compare_says_when_workloads_differ(server: LiveServer, sim: SimProcess) -> None:
    model_id = _model(server, sim.url)
    a = _run(server, [model_id], **SHORT)["run"]["id"]
    b = _run(server, [model_id], **{**SHORT, "iterations": 5})["run"]["id"]
    comparison = server.get("/benchmarks/compare", params={"runs": f"{a},{b}"}).json()
    assert comparison["comparable"] is False
    first, second = comparison["comparability"]
    assert first["comparable"] is True and second["comparable"] is False
    assert "different workloads" in second["reason"]
