"""A Foundry host that dies (even by SIGKILL) is noticed: the model becomes `error`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from flperf.providers import DEMO_MODEL_ID
from flperf.sim.process import SimProcess
from tests.api.server import LiveServer, wait_for, wait_run_finished

pytestmark = pytest.mark.foundry


def test_a_killed_host_turns_its_model_to_error_with_the_reason(server: LiveServer) -> None:
    if server.get("/system/health").json()["foundryLocal"] != "available":
        pytest.skip("Foundry Local is not usable here")
    model_id = server.post("/models", json={"alias": "doomed", "model_id": DEMO_MODEL_ID}).json()[
        "model"
    ]["id"]
    assert server.post(f"/models/{model_id}/start").status_code == 200
    pid = next(m for m in server.get("/models").json()["models"] if m["id"] == model_id)["pid"]
    assert isinstance(pid, int)
    psutil.Process(pid).kill()  # SIGKILL; TerminateProcess on Windows

    def errored() -> dict[str, object] | None:
        model = next(m for m in server.get("/models").json()["models"] if m["id"] == model_id)
        return model if model["status"] == "error" else None

    model = wait_for(errored, timeout=15, what="the watcher to notice the dead host")
    assert "exited" in str(model["last_error"]) and "-9" in str(model["last_error"])
    health = server.get(f"/models/{model_id}/health").json()
    assert health["healthy"] is False and health["status"] == "error"
    logs = server.get(f"/models/{model_id}/logs").json()["logs"]
    assert any(entry["level"] == "error" and "died" in entry["message"] for entry in logs)

    # It can be started again.
    assert server.post(f"/models/{model_id}/start").status_code == 200
    assert server.get(f"/models/{model_id}/health").json()["healthy"] is True
    assert server.post(f"/models/{model_id}/stop").json() == {"success": True}


def _start_demo(server: LiveServer) -> tuple[str, int]:
    if server.get("/system/health").json()["foundryLocal"] != "available":
        pytest.skip("Foundry Local is not usable here")
    model_id = server.post("/models", json={"alias": "demo", "model_id": DEMO_MODEL_ID}).json()[
        "model"
    ]["id"]
    assert server.post(f"/models/{model_id}/start").status_code == 200
    pid = next(m for m in server.get("/models").json()["models"] if m["id"] == model_id)["pid"]
    return model_id, int(pid)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_clean_shutdown_stops_the_hosts_it_started(
    tmp_path: Path, launch: Callable[[str], LiveServer]
) -> None:
    backend_url = f"sqlite:///{tmp_path / 'flperf.db'}"  # hosts do not depend on the database
    server = launch(backend_url)
    model_id, pid = _start_demo(server)
    assert not _gone(pid)
    server.stop()
    assert _gone(pid)
    restarted = launch(backend_url)
    model = next(m for m in restarted.get("/models").json()["models"] if m["id"] == model_id)
    assert model["status"] == "stopped" and model["pid"] is None


def test_after_a_crash_the_host_ends_and_its_model_shows_stopped(
    tmp_path: Path, launch: Callable[[str], LiveServer]
) -> None:
    backend_url = f"sqlite:///{tmp_path / 'flperf.db'}"
    server = launch(backend_url)
    model_id, pid = _start_demo(server)
    server.kill()
    wait_for(lambda: _gone(pid), timeout=15, what="the orphaned host to exit")
    restarted = launch(backend_url)
    model = next(m for m in restarted.get("/models").json()["models"] if m["id"] == model_id)
    assert model["status"] == "stopped" and model["endpoint"] is None
    logs = restarted.get(f"/models/{model_id}/logs").json()["logs"]
    assert "no longer running" in logs[0]["message"]


def test_a_host_killed_mid_run_fails_that_model_and_the_run_finishes_the_others(
    server: LiveServer, sim: SimProcess
) -> None:
    if server.get("/system/health").json()["foundryLocal"] != "available":
        pytest.skip("Foundry Local is not usable here")
    demo = server.post("/models", json={"alias": "killed-mid-run", "model_id": DEMO_MODEL_ID})
    demo_id = demo.json()["model"]["id"]
    other = server.post(
        "/models",
        json={"alias": "survivor", "model_id": "sim-model", "provider": "openai",
              "endpoint": sim.url},
    ).json()["model"]["id"]  # fmt: skip
    body = {
        "modelIds": [demo_id, other],
        "config": {"iterations": 400, "warmup": 0, "max_tokens": 300,
                   "scenarios": ["Long-form answer"]},
    }  # fmt: skip
    run_id = server.post("/benchmarks/run", json=body).json()["runId"]

    def measuring_demo() -> dict[str, object] | None:
        status = server.get(f"/benchmarks/runs/{run_id}/status").json()
        current = status.get("current") or {}
        done = status["progress_detail"]["done"]
        return status if current.get("model_id") == demo_id and done >= 5 else None

    wait_for(measuring_demo, timeout=60, what="the run to measure the demo model")
    pid = next(m for m in server.get("/models").json()["models"] if m["id"] == demo_id)["pid"]
    psutil.Process(int(pid)).kill()

    status = wait_run_finished(server, run_id, timeout=120)
    assert status["status"] == "completed"
    results = {r["model_id"]: r for r in server.get(f"/benchmarks/runs/{run_id}").json()["results"]}
    killed, survivor = results[demo_id], results[other]
    assert 0 < killed["error_rate"] < 100  # measured before the kill, failed after it
    assert "connection" in killed["errors_by_kind"]
    assert killed["successful_iterations"] >= 5
    assert survivor["error_rate"] == 0 and survivor["successful_iterations"] == 400
