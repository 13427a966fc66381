"""The run lifecycle: a queue run in order, consistent polling, cancel, delete, and crashes
that never lose a completed request."""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from tests.api.server import LiveServer, wait_for, wait_run_finished

ORDER = {"queued": 0, "running": 1, "completed": 2, "cancelled": 2, "failed": 2, "interrupted": 2}
SLOW_SIM = SimConfig(model="sim-model", ttft_ms=30.0, itl_ms=3.0, output_tokens=20)


@pytest.fixture(scope="module")
def slow_sim() -> Iterator[SimProcess]:
    """About 90 ms per request, so runs last long enough to be watched."""
    with start_simulator(SLOW_SIM) as process:
        yield process


def _add_model(server: LiveServer, sim: SimProcess, alias: str) -> str:
    response = server.post(
        "/models",
        json={"alias": alias, "model_id": "sim-model", "provider": "openai", "endpoint": sim.url},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["model"]["id"])


def _start(server: LiveServer, model_id: str, **config: Any) -> str:
    config = {"scenarios": ["Short Q&A"], "warmup": 0, **config}
    response = server.post("/benchmarks/run", json={"modelIds": [model_id], "config": config})
    assert response.status_code == 200, response.text
    return str(response.json()["runId"])


def _status(server: LiveServer, run_id: str) -> dict[str, Any]:
    body: dict[str, Any] = server.get(f"/benchmarks/runs/{run_id}/status").json()
    return body


def _stored(server: LiveServer, run_id: str) -> int:
    return int(
        server.get(f"/benchmarks/runs/{run_id}/requests", params={"limit": 1}).json()["total"]
    )


def _wall_span(server: LiveServer, run_id: str) -> tuple[float, float]:
    records = server.get(f"/benchmarks/runs/{run_id}/requests", params={"limit": 10000}).json()
    starts = [r["wall_start"] for r in records["requests"]]
    ends = [r["wall_start"] + (r["end_ms"] - r["start_ms"]) / 1000 for r in records["requests"]]
    return min(starts), max(ends)


def test_queued_runs_are_measured_one_after_the_other(
    server: LiveServer, slow_sim: SimProcess
) -> None:
    model_id = _add_model(server, slow_sim, "queue")
    first = _start(server, model_id, iterations=6)
    second = _start(server, model_id, iterations=6)
    wait_for(lambda: _status(server, first)["status"] == "running", what="first to run")
    assert _status(server, second)["status"] == "queued"
    assert wait_run_finished(server, first)["status"] == "completed"
    assert wait_run_finished(server, second)["status"] == "completed"
    first_end = _wall_span(server, first)[1]
    second_start = _wall_span(server, second)[0]
    assert second_start >= first_end  # never measured at the same time


def test_several_clients_polling_see_one_consistent_story(
    server: LiveServer, slow_sim: SimProcess
) -> None:
    model_id = _add_model(server, slow_sim, "polled")
    run_id = _start(server, model_id, iterations=12, concurrency=2)
    seen: list[list[dict[str, Any]]] = [[] for _ in range(4)]
    failures: list[BaseException] = []

    def poll(into: list[dict[str, Any]]) -> None:
        try:
            with server.client() as client:
                while True:
                    status = client.get(f"/benchmarks/runs/{run_id}/status").json()
                    into.append(status)
                    run = client.get(f"/benchmarks/runs/{run_id}").json()["run"]
                    detail = run["progress_detail"]
                    into.append({"status": run["status"], "progress_detail": detail})
                    if status["status"] not in ("queued", "running"):
                        return
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=poll, args=(into,)) for into in seen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    finals = set()
    for answers in seen:
        assert len(answers) >= 4
        for before, after in itertools.pairwise(answers):
            assert ORDER[after["status"]] >= ORDER[before["status"]], (before, after)
            done_before = before["progress_detail"]["done"]
            assert after["progress_detail"]["done"] >= done_before, (before, after)
        last = answers[-1]
        assert last["progress_detail"]["done"] == last["progress_detail"]["total"] == 12
        finals.add(last["status"])
        for answer in answers:
            if answer["status"] == "running" and answer.get("current"):
                current = answer["current"]
                assert current["model_id"] == model_id and current["model_alias"] == "polled"
                assert current["scenario"] in (None, "Short Q&A")
    assert finals == {"completed"}
    running = [a for answers in seen for a in answers if a["status"] == "running"]
    assert any(a.get("current") for a in running)
    assert any(a.get("eta_s") is not None for a in running)


def test_cancel_a_queued_and_a_running_run(server: LiveServer, slow_sim: SimProcess) -> None:
    model_id = _add_model(server, slow_sim, "cancel")
    running = _start(server, model_id, iterations=500)
    queued = _start(server, model_id, iterations=5)
    wait_for(lambda: _stored(server, running) >= 3, what="a few stored requests")

    response = server.post(f"/benchmarks/runs/{queued}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert server.post(f"/benchmarks/runs/{running}/cancel").status_code == 200
    final = wait_run_finished(server, running)
    assert final["status"] == "cancelled"
    stored = _stored(server, running)
    assert 3 <= stored < 500 and final["progress_detail"]["done"] == stored
    (result,) = server.get(f"/benchmarks/runs/{running}").json()["results"]
    assert result["tps"] > 0  # what was measured before the cancel is kept

    assert _stored(server, queued) == 0
    assert server.post(f"/benchmarks/runs/{running}/cancel").status_code == 409
    logs = server.get(f"/benchmarks/runs/{running}/logs").json()["logs"]
    assert any("Cancel requested" in entry["message"] for entry in logs)


def test_delete_a_run_only_when_it_is_not_running(server: LiveServer, slow_sim: SimProcess) -> None:
    model_id = _add_model(server, slow_sim, "delete")
    run_id = _start(server, model_id, iterations=500)
    wait_for(lambda: _status(server, run_id)["status"] == "running", what="the run to start")
    response = server.delete(f"/benchmarks/runs/{run_id}")
    assert response.status_code == 409 and "cancel" in response.json()["error"]
    server.post(f"/benchmarks/runs/{run_id}/cancel")
    wait_run_finished(server, run_id)
    assert server.delete(f"/benchmarks/runs/{run_id}").json() == {"success": True}
    for path in ("", "/status", "/requests", "/export/csv"):
        assert server.get(f"/benchmarks/runs/{run_id}{path}").status_code == 404


def _completed_in_sim(sim: SimProcess) -> int:
    """Requests the simulator finished writing (its `[DONE]` went out)."""
    log = sim.log()
    return sum(
        1 for entry in log["requests"] if any(kind == "done" for _, kind, _ in entry["chunks"])
    )


def test_sigkill_mid_run_keeps_every_completed_request(
    backend_url: str, launch: Callable[[str], LiveServer]
) -> None:
    concurrency = 2
    with start_simulator(SLOW_SIM) as sim:
        server = launch(backend_url)
        model_id = _add_model(server, sim, "crash")
        run_id = _start(server, model_id, iterations=1000, concurrency=concurrency, warmup=1)
        queued = _start(server, model_id, iterations=5)
        wait_for(lambda: _stored(server, run_id) >= 12, what="stored requests", timeout=60)
        server.kill()
        completed = _completed_in_sim(sim)
        sent = sim.log(summary=True)["counts"]["total"]

    restarted = launch(backend_url)
    detail = restarted.get(f"/benchmarks/runs/{run_id}").json()
    assert detail["run"]["status"] == "interrupted"
    assert "server stopped" in detail["run"]["error"]
    stored = _stored(restarted, run_id)
    # In flight when killed: up to `concurrency` requests, plus those finished within the
    # writer's 50 ms batching window (at ~90 ms per request, at most one per slot).
    assert completed - 2 * concurrency <= stored <= sent
    assert detail["run"]["progress_detail"]["done"] == stored
    (result,) = detail["results"]
    assert (
        result["requests_attempted"] + result["warmup_requests"] + result["requests_cancelled"]
        == stored
    )
    assert result["tps"] > 0
    logs = restarted.get(f"/benchmarks/runs/{run_id}/logs").json()["logs"]
    assert any("Interrupted" in entry["message"] for entry in logs)
    never_started = restarted.get(f"/benchmarks/runs/{queued}").json()["run"]
    assert never_started["status"] == "interrupted" and "before" in never_started["error"]
    assert _stored(restarted, queued) == 0


def test_clean_shutdown_cancels_runs_instead_of_interrupting_them(
    backend_url: str, launch: Callable[[str], LiveServer]
) -> None:
    with start_simulator(SLOW_SIM) as sim:
        server = launch(backend_url)
        model_id = _add_model(server, sim, "shutdown")
        running = _start(server, model_id, iterations=1000)
        queued = _start(server, model_id, iterations=5)
        wait_for(lambda: _stored(server, running) >= 3, what="stored requests")
        status = server.stop()
        # uvicorn re-raises SIGTERM after its graceful shutdown, hence -15 rather than 0.
        if sys.platform != "win32":
            assert status in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in server.log_text()
    restarted = launch(backend_url)
    assert _status(restarted, running)["status"] == "cancelled"
    assert _status(restarted, queued)["status"] == "cancelled"
    assert _stored(restarted, running) >= 3


def test_a_killed_worker_fails_its_run_keeps_its_records_and_the_server_goes_on(
    server: LiveServer,
) -> None:
    concurrency = 2
    with start_simulator(SLOW_SIM) as sim:  # its own, so its log counts only this run
        model_id = _add_model(server, sim, "worker-kill")
        run_id = _start(server, model_id, iterations=1000, concurrency=concurrency)
        queued = _start(server, model_id, iterations=3)
        wait_for(lambda: _stored(server, run_id) >= 10, what="stored requests", timeout=60)
        worker = _status(server, run_id)["worker_pid"]
        assert isinstance(worker, int) and worker != server.process.pid
        os.kill(worker, signal.SIGKILL)
        final = wait_run_finished(server, run_id)
        completed = _completed_in_sim(sim)
        # The server stayed up: the next run is measured by a new worker.
        assert wait_run_finished(server, queued)["status"] == "completed"
    assert final["status"] == "failed" and "killed by signal 9" in final["error"]
    stored = _stored(server, run_id)
    # Lost at most: the requests in flight and those finished in the writer's 50 ms window
    # (at ~90 ms per request, one per slot). The queued run's 3 requests came after.
    assert completed - 3 - 2 * concurrency <= stored and final["progress_detail"]["done"] == stored
    detail = server.get(f"/benchmarks/runs/{run_id}").json()
    (result,) = detail["results"]
    parts = ("requests_attempted", "warmup_requests", "requests_cancelled")
    assert sum(result[p] for p in parts) == stored and result["tps"] > 0
    logs = server.get(f"/benchmarks/runs/{run_id}/logs").json()["logs"]
    assert any("worker process ended without finishing" in entry["message"] for entry in logs)
    assert server.process.poll() is None
