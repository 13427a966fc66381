"""Model lifecycle over the API: a model's latest load, memory and unload on GET /api/models,
and each run's facts per model (started for it? cold or warm first request?) on the run."""

from __future__ import annotations

from typing import Any

import pytest

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator

from .server import LiveServer, wait_run_finished

RUN_CONFIG = {"iterations": 3, "warmup": 0, "scenarios": ["Short Q&A"]}


def _model(server: LiveServer, model_id: str) -> dict[str, Any]:
    return next(m for m in server.get("/models").json()["models"] if m["id"] == model_id)


def _run(server: LiveServer, model_id: str) -> dict[str, Any]:
    body = {"modelIds": [model_id], "config": RUN_CONFIG}
    run_id = server.post("/benchmarks/run", json=body).json()["runId"]
    assert wait_run_finished(server, run_id, timeout=120)["status"] == "completed"
    detail: dict[str, Any] = server.get(f"/benchmarks/runs/{run_id}").json()
    return detail


@pytest.mark.foundry
def test_demo_model_load_memory_unload_and_cold_versus_warm_runs(server: LiveServer) -> None:
    if server.get("/system/health").json()["foundryLocal"] != "available":
        pytest.skip("Foundry Local is not usable here")
    created = server.post("/models", json={"alias": "lc-demo", "model_id": "flperf-demo"})
    model_id = created.json()["model"]["id"]
    assert created.json()["model"]["lifecycle"] is None  # never started: nothing measured

    # A run that finds the model stopped starts it: its first request is the first after load.
    cold = _run(server, model_id)
    facts = cold["run"]["lifecycle"][model_id]
    assert facts["started_for_run"] is True and facts["cold_start"] is True
    assert facts["load_ms"] > 0 and facts["memory_after_load_mb"] > 0
    assert facts["unload_ms"] is not None  # the run stopped what it started
    (row,) = cold["lifecycle"]
    (summary,) = cold["summary"]
    assert row["model_id"] == model_id and row["alias"] == "lc-demo"
    assert row["cold_ttft_ms"] == summary["cold_ttft_ms"] == row["first_ttft_ms"]
    assert row["warm_ttft_ms"] == summary["warm_ttft_ms"] and row["warm_ttft_ms"] > 0
    model = _model(server, model_id)
    assert model["status"] == "stopped"
    assert model["lifecycle"]["load_ms"] == facts["load_ms"]
    assert model["lifecycle"]["unload_ms"] == facts["unload_ms"]
    assert "built locally" in model["lifecycle"]["unavailable"]["download"]
    assert "cold_start" not in model["lifecycle"] or model["lifecycle"]["cold_start"] is None

    # Started by hand, then measured: the run found it loaded, so nothing of it was cold.
    assert server.post(f"/models/{model_id}/start").status_code == 200
    started = _model(server, model_id)["lifecycle"]
    assert started["load_ms"] > 0 and started["load_ms"] != facts["load_ms"]  # a new load
    warm = _run(server, model_id)
    facts = warm["run"]["lifecycle"][model_id]
    assert facts["started_for_run"] is False and facts["cold_start"] is False
    assert facts["load_ms"] == started["load_ms"]  # the load that happened before the run
    assert facts["unload_ms"] is None and "left running" in facts["unavailable"]["unload"]
    (row,) = warm["lifecycle"]
    assert row["cold_ttft_ms"] is None and row["first_ttft_ms"] is not None
    assert "already loaded" in row["unavailable"]["cold"]
    assert _model(server, model_id)["status"] == "running"  # left as the run found it

    assert server.post(f"/models/{model_id}/stop").json() == {"success": True}
    stopped = _model(server, model_id)["lifecycle"]
    assert stopped["unload_ms"] is not None and stopped["unloaded_at"] >= started["loaded_at"]
    # The run document (and so every export) carries the same facts.
    exported = server.get(f"/benchmarks/runs/{warm['run']['id']}/export/json").json()
    assert exported["run"]["lifecycle"][model_id]["cold_start"] is False


def test_an_openai_model_is_marked_unavailable_with_the_reason(
    server: LiveServer, sim: SimProcess
) -> None:
    model_id = server.post(
        "/models",
        json={"alias": "lc-sim", "model_id": "sim-model", "provider": "openai",
              "endpoint": sim.url},
    ).json()["model"]["id"]  # fmt: skip
    detail = _run(server, model_id)
    facts = detail["run"]["lifecycle"][model_id]
    assert facts["started_for_run"] is False and facts["cold_start"] is None
    assert facts["load_ms"] is None and facts["memory_after_load_mb"] is None
    assert "tells nothing about loading" in facts["unavailable"]["load"]
    (row,) = detail["lifecycle"]
    assert row["cold_ttft_ms"] is None and "unknown" in row["unavailable"]["cold"]
    model = _model(server, model_id)["lifecycle"]
    assert set(model["unavailable"]) == {"download", "load", "memory", "unload"}


def test_an_ollama_server_tells_cold_then_warm_and_the_memory_it_holds(
    server: LiveServer,
) -> None:
    config = SimConfig(model="llama-sim", ttft_ms=1.0, output_tokens=8, ollama=True)
    with start_simulator(config) as ollama:
        model_id = server.post(
            "/models",
            json={"alias": "lc-ollama", "model_id": "llama-sim", "provider": "openai",
                  "endpoint": ollama.url},
        ).json()["model"]["id"]  # fmt: skip
        first = _run(server, model_id)["run"]["lifecycle"][model_id]
        second = _run(server, model_id)["run"]["lifecycle"][model_id]
    assert first["source"] == "ollama" and first["cold_start"] is True
    assert first["memory_after_load_mb"] == 512.0  # /api/ps once the run had loaded it
    assert "load_duration" in first["unavailable"]["load"]
    assert second["cold_start"] is False
    assert _model(server, model_id)["lifecycle"]["memory_after_load_mb"] == 512.0
