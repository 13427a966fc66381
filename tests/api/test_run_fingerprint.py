"""A run records the machine and, for each model, its exact variant, provider and size."""

from __future__ import annotations

import pytest

from flperf.providers import DEMO_MODEL_ID
from flperf.sim.process import SimProcess

from .server import LiveServer, wait_run_finished


@pytest.mark.foundry
def test_run_fingerprint_names_each_models_variant_execution_provider_and_size(
    server: LiveServer, sim: SimProcess
) -> None:
    if server.get("/system/health").json()["foundryLocal"] != "available":
        pytest.skip("Foundry Local is not usable here")
    demo = server.post("/models", json={"alias": "fp-demo", "model_id": "flperf-demo"})
    demo_id = demo.json()["model"]["id"]
    body = {"modelIds": [demo_id], "config": {"iterations": 1, "scenarios": ["Short Q&A"]}}
    run_id = server.post("/benchmarks/run", json=body).json()["runId"]
    assert wait_run_finished(server, run_id)["status"] == "completed"
    info = server.get(f"/benchmarks/runs/{run_id}").json()["run"]["hardware_info"]
    assert info["model_variant_id"] == DEMO_MODEL_ID
    assert info["execution_provider"] == "CPUExecutionProvider"
    assert info["device"] == "CPU"
    assert 0.5 < info["model_file_size_mb"] < 8
    assert info["packages"]["foundry-local-sdk"]
    facts = info["extra"]["models"][demo_id]
    assert facts["alias"] == "fp-demo" and facts["provider"] == "foundry"

    external = server.post(
        "/models",
        json={"alias": "fp-sim", "model_id": "sim-model", "provider": "openai",
              "endpoint": sim.url},
    ).json()["model"]["id"]  # fmt: skip
    body = {"modelIds": [demo_id, external], "config": {"iterations": 1,
                                                        "scenarios": ["Short Q&A"]}}  # fmt: skip
    run_id = server.post("/benchmarks/run", json=body).json()["runId"]
    assert wait_run_finished(server, run_id)["status"] == "completed"
    info = server.get(f"/benchmarks/runs/{run_id}").json()["run"]["hardware_info"]
    assert set(info["extra"]["models"]) == {demo_id, external}
    assert info["extra"]["models"][external]["model_variant_id"] == "sim-model"
    assert info["model_variant_id"] is None  # two models: see extra.models
    assert info["device"] is None and info["extra"]["models"][demo_id]["device"] == "CPU"
    # Comparing the two models of the run names the device of each column.
    compared = server.get("/benchmarks/compare", params={"runs": run_id}).json()
    entries = {e["model_id"]: e for e in compared["scenarios"][0]["entries"]}
    assert (entries[demo_id]["device"], entries[external]["device"]) == ("CPU", None)
    assert entries[demo_id]["execution_provider"] == "CPUExecutionProvider"
