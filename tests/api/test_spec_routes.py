"""Every route of spec/api.md over real HTTP against a live server, with documented shapes.

The simulator is configured as an `openai` model; the demo model goes through Foundry Local.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from flperf.providers import DEMO_MODEL_ID
from flperf.sim.process import SimProcess
from tests.api.server import LiveServer, wait_for, wait_run_finished
from tests.api.shapes import LOG, MODEL, RESULT, RUN, check_shape

SCENARIOS = ["Short Q&A", "Medium Q&A"]


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_system_health_reports_foundry_local_and_a_timestamp(server: LiveServer) -> None:
    body = _ok(server.get("/system/health"))
    assert body["status"] == "healthy"
    assert body["foundryLocal"] in ("available", "unavailable")
    assert isinstance(body["timestamp"], int) and body["timestamp"] > 1_600_000_000


def test_available_models_lists_the_offline_demo_model(server: LiveServer) -> None:
    body = _ok(server.get("/models/available"))
    for entry in body["models"]:
        check_shape(entry, {"id": str, "alias": str, "description": (str, type(None))}, "model")
    if server.get("/system/health").json()["foundryLocal"] == "available":
        assert DEMO_MODEL_ID in [m["id"] for m in body["models"]]


def test_every_spec_route_with_the_simulator_as_an_openai_model(
    server: LiveServer, sim: SimProcess
) -> None:
    # POST /models
    added = _ok(
        server.post(
            "/models",
            json={
                "alias": "sim-a",
                "model_id": "sim-model",
                "provider": "openai",
                "endpoint": sim.url,
            },
        ),
        201,
    )["model"]
    check_shape(added, {"id": str, "alias": str, "model_id": str, "status": str}, "model")
    assert added["id"].startswith("model_") and added["status"] == "stopped"
    model_id = added["id"]

    # GET /models
    listed = {m["id"]: m for m in _ok(server.get("/models"))["models"]}
    check_shape(listed[model_id], MODEL, "models[]")
    assert listed[model_id]["alias"] == "sim-a" and listed[model_id]["model_id"] == "sim-model"

    # POST /models/:id/start
    started = _ok(server.post(f"/models/{model_id}/start"))
    assert started["success"] is True
    assert started["endpoint"] == sim.url and started["port"] == int(sim.url.rsplit(":", 1)[1])

    # GET /models/:id/health
    health = _ok(server.get(f"/models/{model_id}/health"))
    check_shape(
        health, {"status": str, "healthy": bool, "endpoint": (str, type(None)), "lastCheck": int}
    )
    assert health["status"] == "running" and health["healthy"] is True

    # POST /models/:id/load
    assert _ok(server.post(f"/models/{model_id}/load"))["success"] is True

    # GET /models/:id/logs
    logs = _ok(server.get(f"/models/{model_id}/logs", params={"limit": 2}))["logs"]
    assert 1 <= len(logs) <= 2
    for entry in logs:
        check_shape(entry, LOG, "logs[]")
        assert entry["entity_type"] == "service" and entry["entity_id"] == model_id
    assert logs[0]["id"] > logs[-1]["id"]  # newest first

    # GET /benchmarks/suites
    suites = _ok(server.get("/benchmarks/suites"))["suites"]
    default = next(s for s in suites if s["name"] == "default")
    check_shape(default, {"name": str, "description": str, "scenarios": list}, "suite")
    assert set(SCENARIOS) <= {s["name"] for s in default["scenarios"]}

    # POST /benchmarks/run (temperature 0 is valid)
    config = {
        "iterations": 3,
        "concurrency": 2,
        "timeout": 30000,
        "temperature": 0,
        "streaming": True,
        "scenarios": SCENARIOS,
    }
    answer = _ok(
        server.post(
            "/benchmarks/run",
            json={"modelIds": [model_id], "suiteName": "default", "config": config},
        )
    )
    assert answer["success"] is True and answer["message"] == "Benchmark started"
    run_id = answer["runId"]
    assert run_id.startswith("run_")
    final = wait_run_finished(server, run_id)
    assert final["status"] == "completed"
    assert final["progress_detail"]["done"] == final["progress_detail"]["total"] == 2 * (1 + 3)

    # GET /benchmarks/runs
    runs = {r["id"]: r for r in _ok(server.get("/benchmarks/runs"))["runs"]}
    run = runs[run_id]
    check_shape(run, RUN, "runs[]")
    assert run["model_ids"] == [model_id] and run["suite_name"] == "default"
    assert run["config"]["timeout"] == 30000 and run["config"]["temperature"] == 0
    assert run["status"] == "completed" and run["completed_at"] >= run["started_at"]
    assert run["hardware_info"]["python_version"]

    # GET /benchmarks/runs/:id
    detail = _ok(server.get(f"/benchmarks/runs/{run_id}"))
    check_shape(detail["run"], RUN, "run")
    results = detail["results"]
    assert [r["scenario"] for r in results] == SCENARIOS
    for result in results:
        check_shape(result, RESULT, "results[]")
        assert result["id"].startswith("result_") and result["run_id"] == run_id
        assert result["model_id"] == model_id
        assert result["tps"] > 0 and result["ttft"] > 0
        assert 0 < result["latency_p50"] <= result["latency_p95"] <= result["latency_p99"]
        assert result["error_rate"] == 0 and result["timeout_rate"] == 0
    assert [s["scenario"] for s in detail["summary"]] == ["*"]

    # GET /benchmarks/results with each filter
    by_run = _ok(server.get("/benchmarks/results", params={"runId": run_id}))["results"]
    assert [r["id"] for r in by_run] == [r["id"] for r in results]
    by_model = _ok(server.get("/benchmarks/results", params={"modelId": model_id}))["results"]
    assert {r["id"] for r in by_model} == {r["id"] for r in results}
    everything = _ok(server.get("/benchmarks/results"))["results"]
    assert {r["id"] for r in results} <= {r["id"] for r in everything}
    for result in everything:
        check_shape(result, RESULT, "results[]")

    # GET /benchmarks/runs/:id/export/json
    exported = server.get(f"/benchmarks/runs/{run_id}/export/json")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/json")
    assert "attachment" in exported.headers["content-disposition"]
    document = exported.json()
    assert document["run"]["id"] == run_id
    assert len(document["requests"]) == 8
    assert {r["scenario"] for r in document["results"]} == {*SCENARIOS, "*"}

    # GET /benchmarks/runs/:id/export/csv
    exported = server.get(f"/benchmarks/runs/{run_id}/export/csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["scenario"] for row in rows] == [*SCENARIOS, "*"]  # each model's total too
    assert float(rows[0]["tps"]) == pytest.approx(results[0]["tps"])

    # GET /benchmarks/runs/:id/logs
    run_logs = _ok(server.get(f"/benchmarks/runs/{run_id}/logs", params={"limit": 50}))["logs"]
    for entry in run_logs:
        check_shape(entry, LOG, "run logs[]")
        assert entry["entity_type"] == "run" and entry["entity_id"] == run_id
    assert any("completed" in entry["message"] for entry in run_logs)

    # GET /system/stats
    stats = _ok(server.get("/system/stats"))
    check_shape(
        stats,
        {
            "totalModels": int,
            "runningServices": int,
            "totalRuns": int,
            "lastRun": (dict, type(None)),
            "bestTpsModel": (dict, type(None)),
            "bestLatencyModel": (dict, type(None)),
        },
        "stats",
    )
    assert stats["totalModels"] >= 1 and stats["runningServices"] >= 1 and stats["totalRuns"] >= 1
    check_shape(stats["lastRun"], RUN, "lastRun")
    check_shape(stats["bestTpsModel"], {"modelId": str, "tps": (int, float)}, "bestTpsModel")
    check_shape(stats["bestLatencyModel"], {"modelId": str, "p95": (int, float)}, "bestLatency")

    # POST /models/:id/stop
    assert _ok(server.post(f"/models/{model_id}/stop")) == {"success": True}
    listed = {m["id"]: m for m in _ok(server.get("/models"))["models"]}
    assert listed[model_id]["status"] == "stopped"

    # DELETE /models/:id keeps its results
    assert _ok(server.delete(f"/models/{model_id}")) == {"success": True}
    assert model_id not in {m["id"] for m in _ok(server.get("/models"))["models"]}
    kept = _ok(server.get("/benchmarks/results", params={"runId": run_id}))["results"]
    assert [r["id"] for r in kept] == [r["id"] for r in results]
    assert kept[0]["model_alias"] == "sim-a"


def test_extension_routes_status_requests_samples_and_compare(
    server: LiveServer, sim: SimProcess
) -> None:
    model_id = _ok(
        server.post(
            "/models",
            json={
                "alias": "sim-ext",
                "model_id": "sim-model",
                "provider": "openai",
                "endpoint": sim.url,
            },
        ),
        201,
    )["model"]["id"]
    body = {
        "modelIds": [model_id],
        "config": {"iterations": 4, "warmup": 1, "scenarios": ["Short Q&A"]},
    }
    first = _ok(server.post("/benchmarks/run", json=body))["runId"]
    second = _ok(server.post("/benchmarks/run", json=body))["runId"]
    for run_id in (first, second):
        status = wait_run_finished(server, run_id)
        assert status["status"] == "completed" and status["eta_s"] == 0
        assert status["progress"] == 100.0
        assert status["progress_detail"] == {"done": 5, "total": 5, "ok": None, "failed": None}

    page = _ok(server.get(f"/benchmarks/runs/{first}/requests", params={"offset": 1, "limit": 2}))
    assert page["total"] == 5 and page["offset"] == 1 and page["limit"] == 2
    assert [r["index"] for r in page["requests"]] == [1, 2]
    assert all(r["model"] == model_id and r["status"] == "ok" for r in page["requests"])
    measured = _ok(
        server.get(
            f"/benchmarks/runs/{first}/requests", params={"status": "ok", "scenario": "Short Q&A"}
        )
    )
    assert measured["total"] == 5
    assert (
        _ok(
            server.get(
                f"/benchmarks/runs/{first}/requests", params={"model": "model_0000000000000000"}
            )
        )["total"]
        == 0
    )

    samples = _ok(server.get(f"/benchmarks/runs/{first}/samples"))["samples"]
    for sample in samples:
        assert sample["model_id"] == model_id and sample["t_ms"] >= 0

    comparison = _ok(server.get("/benchmarks/compare", params={"runs": f"{first},{second}"}))
    assert comparison["comparable"] is True
    assert [r["id"] for r in comparison["runs"]] == [first, second]
    (scenario,) = comparison["scenarios"]
    assert scenario["scenario"] == "Short Q&A"
    baseline, other = scenario["entries"]
    assert baseline["diffs"] == [] and baseline["run_id"] == first
    tps = next(d for d in other["diffs"] if d["metric"] == "tps")
    assert tps["baseline"] == baseline["result"]["tps"] and tps["value"] == other["result"]["tps"]
    ttft = next(d for d in other["diffs"] if d["metric"] == "ttft")
    assert ttft["method"] == "welch" and ttft["verdict"] in ("no difference", "different")


@pytest.mark.foundry
def test_demo_model_through_foundry_local_start_benchmark_stop(server: LiveServer) -> None:
    if server.get("/system/health").json()["foundryLocal"] != "available":
        pytest.skip("Foundry Local is not usable here")
    model_id = _ok(server.post("/models", json={"alias": "demo", "model_id": DEMO_MODEL_ID}), 201)[
        "model"
    ]["id"]
    started = _ok(server.post(f"/models/{model_id}/start"))
    assert started["endpoint"].startswith("http://127.0.0.1:")
    assert started["endpoint"].endswith(f":{started['port']}")
    model = next(m for m in _ok(server.get("/models"))["models"] if m["id"] == model_id)
    assert model["status"] == "running" and model["endpoint"] == started["endpoint"]
    health = _ok(server.get(f"/models/{model_id}/health"))
    assert health["healthy"] is True and health["status"] == "running"
    assert _ok(server.post(f"/models/{model_id}/load"))["state"] == "ready"

    run_id = _ok(
        server.post(
            "/benchmarks/run",
            json={
                "modelIds": [model_id],
                "config": {"iterations": 2, "max_tokens": 16, "scenarios": ["Short Q&A"]},
            },
        )
    )["runId"]
    assert wait_run_finished(server, run_id, timeout=120)["status"] == "completed"
    (result,) = _ok(server.get(f"/benchmarks/runs/{run_id}"))["results"]
    assert result["error_rate"] == 0 and result["tps"] > 0

    logs = _ok(server.get(f"/models/{model_id}/logs", params={"limit": 1000}))["logs"]
    messages = [entry["message"] for entry in logs]
    assert any(m.startswith("Service started") for m in messages)
    assert any(entry["metadata"] and "stream" in entry["metadata"] for entry in logs)  # host

    assert _ok(server.post(f"/models/{model_id}/stop")) == {"success": True}
    wait_for(
        lambda: _ok(server.get(f"/models/{model_id}/health"))["status"] == "stopped",
        what="model to stop",
    )
