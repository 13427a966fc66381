"""Fleet mode: servers on several machines share one database; each owns its runs, a run is
interrupted only when its own server is gone, and runs carry the machine they ran on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from tests.api.server import LiveServer, start_server, wait_for, wait_run_finished
from tests.store.backends import fresh_database_url

SLOW = SimConfig(ttft_ms=30.0, itl_ms=3.0, output_tokens=20)


def _model(server: LiveServer, sim: SimProcess, alias: str) -> str:
    body = {"alias": alias, "model_id": "sim-model", "provider": "openai", "endpoint": sim.url}
    response = server.post("/models", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["model"]["id"])


def _long_run(server: LiveServer, model_id: str) -> str:
    body = {"modelIds": [model_id], "config": {"iterations": 2000, "warmup": 0,
                                                "scenarios": ["Short Q&A"]}}  # fmt: skip
    response = server.post("/benchmarks/run", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["runId"])


def _status(server: LiveServer, run_id: str) -> dict[str, Any]:
    status: dict[str, Any] = server.get(f"/benchmarks/runs/{run_id}/status").json()
    return status


def _stored(server: LiveServer, run_id: str) -> int:
    page = server.get(f"/benchmarks/runs/{run_id}/requests", params={"limit": 1}).json()
    return int(page["total"])


@pytest.mark.postgres
def test_two_servers_on_one_postgres_only_the_killed_ones_runs_are_interrupted(
    tmp_path: Path,
) -> None:
    url = fresh_database_url("postgres", tmp_path)
    fleet_env = {"FLPERF_SERVER_STALE_S": "3"}
    laptop = start_server(tmp_path / "a", url, env={**fleet_env, "FLPERF_MACHINE_NAME": "laptop-a"})
    desktop = start_server(
        tmp_path / "b", url, env={**fleet_env, "FLPERF_MACHINE_NAME": "desktop-b"}
    )
    try:
        with start_simulator(SLOW) as sim:
            model_a = _model(laptop, sim, "fleet-a")
            model_b = _model(desktop, sim, "fleet-b")
            run_a = _long_run(laptop, model_a)
            run_b = _long_run(desktop, model_b)
            for server, run_id in ((laptop, run_a), (desktop, run_b)):
                wait_for(lambda s=server, r=run_id: _stored(s, r) >= 5, what="stored requests")
            # Both alive: each sees the other's run running, and neither touched it.
            assert desktop.get(f"/benchmarks/runs/{run_a}").json()["run"]["status"] == "running"
            assert laptop.get(f"/benchmarks/runs/{run_b}").json()["run"]["status"] == "running"

            laptop.kill()
            final = wait_for(
                lambda: (s := _status(desktop, run_a))["status"] == "interrupted" and s,
                timeout=30,
                what="the killed server's run to be interrupted",
            )
            assert "server stopped" in final["error"] and "laptop-a" in final["error"]
            assert final["progress_detail"]["done"] == _stored(desktop, run_a) >= 5
            assert _status(desktop, run_b)["status"] == "running"  # its own run goes on
            fleet = desktop.get("/system/servers").json()
            by_machine = {s["machine"]: s for s in fleet["servers"]}
            assert by_machine["laptop-a"]["alive"] is False
            assert by_machine["desktop-b"]["alive"] and by_machine["desktop-b"]["current"]
            assert desktop.post(f"/benchmarks/runs/{run_b}/cancel").status_code == 200
            assert wait_run_finished(desktop, run_b)["status"] == "cancelled"
        runs = {r["id"]: r for r in desktop.get("/benchmarks/runs").json()["runs"]}
        assert runs[run_a]["machine"] == "laptop-a" and runs[run_b]["machine"] == "desktop-b"
        only_b = desktop.get("/benchmarks/runs", params={"machine": "desktop-b"}).json()
        assert [r["id"] for r in only_b["runs"]] == [run_b]
    finally:
        desktop.stop()
        laptop.stop()


def test_a_run_reported_from_another_machine_is_stored_with_its_name(
    server: LiveServer, sim: SimProcess, tmp_path: Path
) -> None:
    out = tmp_path / "run.json"
    env = dict(os.environ, FLPERF_MACHINE_NAME="studio-c", FLPERF_HOME=str(tmp_path / "c"))
    done = subprocess.run(
        [
            sys.executable, "-m", "flperf", "bench", "--endpoint", sim.url, "--model",
            "sim-model", "--prompt", "hi", "--iterations", "4", "--warmup", "0",
            "--json", str(out), "--report-to", server.url,
        ],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "stored on" in done.stdout
    local = out.read_bytes()
    run_id = __import__("json").loads(local)["run"]["id"]
    stored = server.get(f"/benchmarks/runs/{run_id}").json()
    assert stored["run"]["machine"] == "studio-c" and stored["run"]["status"] == "completed"
    assert [r["scenario"] for r in stored["summary"]] == ["*"]
    assert _stored(server, run_id) == 4
    # The stored run exports the document it was sent.
    assert server.get(f"/benchmarks/runs/{run_id}/export/json").content == local
    machines = {m["name"]: m for m in server.get("/system/servers").json()["machines"]}
    assert machines["studio-c"]["runs"] == 1 and machines["studio-c"]["servers_alive"] == 0
    again = server.post("/benchmarks/runs/import", content=local)
    assert again.status_code == 409 and "stored already" in again.json()["error"]


def test_a_document_that_is_not_a_finished_run_is_refused(server: LiveServer) -> None:
    bad = server.post("/benchmarks/runs/import", content=b'{"run": {}}')
    assert bad.status_code == 400 and "not a run document" in bad.json()["error"]
    running = {"run": {"id": None, "suite_name": "s", "model_ids": [], "config": {},
                       "status": "running"}}  # fmt: skip
    refused = server.post("/benchmarks/runs/import", json=running)
    assert refused.status_code == 400 and "finished" in refused.json()["error"]


def test_a_document_the_store_cannot_hold_is_refused_by_name(
    server: LiveServer, sim: SimProcess, tmp_path: Path
) -> None:
    out = tmp_path / "run.json"
    env = dict(os.environ, FLPERF_HOME=str(tmp_path / "d"))
    done = subprocess.run(
        [
            sys.executable, "-m", "flperf", "bench", "--endpoint", sim.url, "--model",
            "sim-model", "--prompt", "hi", "--iterations", "2", "--warmup", "0",
            "--json", str(out), "--quiet",
        ],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    good = __import__("json").loads(out.read_text())
    cases = {
        "run.id": {**good, "run": {**good["run"], "id": "../../etc"}},
        "run.machine": {**good, "run": {**good["run"], "machine": "m" * 201}},
        "requests": {**good, "requests": good["requests"] + good["requests"][:1]},
    }
    for where, document in cases.items():
        refused = server.post("/benchmarks/runs/import", json=document)
        assert refused.status_code == 400 and where in refused.json()["error"], refused.text
    assert server.get(f"/benchmarks/runs/{good['run']['id']}").status_code == 404
