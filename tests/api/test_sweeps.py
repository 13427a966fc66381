"""Sweeps over HTTP: points queued one after another as ordinary runs, the findings, the Pareto
front, cancel and delete, and errors that name the field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from tests.api.server import LiveServer, wait_for

# Two responses at once, 60 ms each: a third request in flight waits 60 ms for its first token.
CAPACITY_SIM = SimConfig(model="sim-model", ttft_ms=20, itl_ms=5, output_tokens=9, capacity=2)
BASE = {"scenarios": ["Short Q&A"], "warmup": 0, "iterations": 4, "max_tokens": 9}


@pytest.fixture(scope="module")
def capacity_sim() -> Iterator[SimProcess]:
    with start_simulator(CAPACITY_SIM) as process:
        yield process


@pytest.fixture(scope="module")
def bad_input_model(server: LiveServer, capacity_sim: SimProcess) -> str:
    return add_model(server, capacity_sim, "sweep-bad")


def add_model(server: LiveServer, sim: SimProcess, alias: str) -> str:
    body = {"alias": alias, "model_id": "sim-model", "provider": "openai", "endpoint": sim.url}
    response = server.post("/models", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["model"]["id"])


def start(server: LiveServer, model_ids: list[str], sweep: dict[str, Any], **config: Any) -> str:
    body = {"modelIds": model_ids, "config": {**BASE, **config}, "sweep": sweep}
    response = server.post("/benchmarks/sweeps", json=body)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["runId"].startswith("run_")
    return str(reply["sweepId"])


def finished(server: LiveServer, sweep_id: str, timeout: float = 90) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = server.get(f"/benchmarks/sweeps/{sweep_id}").json()
        return body if body["sweep"]["status"] != "running" else None

    return wait_for(done, timeout, interval=0.2, what=f"sweep {sweep_id} to end")


def test_each_point_is_a_run_of_the_sweep_and_the_findings_come_with_it(
    server: LiveServer, capacity_sim: SimProcess
) -> None:
    first = add_model(server, capacity_sim, "sweep-a")
    nowhere = server.post(  # a server that is not there: its point fails, the sweep goes on
        "/models",
        json={"alias": "sweep-gone", "model_id": "m", "provider": "openai",
              "endpoint": "http://127.0.0.1:9/v1"},
    ).json()["model"]["id"]  # fmt: skip
    sweep = {"axis": "concurrency", "mode": "list", "loads": [1, 4]}
    sweep_id = start(server, [first, nowhere], sweep, slos=["ttft_p95_ms=50"])
    doc = finished(server, sweep_id)
    assert doc["sweep"]["status"] == "completed", doc["sweep"]
    assert doc["sweep"]["current_run_id"] is None
    measured, failed = doc["models"]
    assert (measured["model_id"], failed["model_id"]) == (first, nowhere)
    analysis = measured["analysis"]
    points = analysis["points"]
    assert [p["load"] for p in points] == [1, 4]
    # at 4 in flight, half the requests queue behind the capacity of 2
    assert [p["passed"] for p in points] == [True, False]
    assert points[1]["failures"][0].startswith("ttft p95")
    assert analysis["capacity"] == 1 and analysis["capacity_bounded"]
    assert measured["done"] and "ttft p95" in measured["stop_reason"]
    assert failed["analysis"]["points"] == [] and "ended failed" in failed["stop_reason"]
    for p in points:
        run = server.get(f"/benchmarks/runs/{p['run_id']}").json()["run"]
        assert run["sweep_id"] == sweep_id and run["model_ids"] == [first]
        assert run["config"]["load"] == {"kind": "closed", "concurrency": p["load"]}
        assert run["progress_detail"]["total"] == 4 * p["load"]  # iterations x load
    exported = server.get(f"/benchmarks/runs/{points[0]['run_id']}/export/json")
    assert exported.status_code == 200 and exported.json()["run"]["sweep_id"] == sweep_id
    runs = server.get("/benchmarks/runs", params={"limit": 1000}).json()["runs"]
    assert len([r for r in runs if r["sweep_id"] == sweep_id]) == 3
    summary = server.get(f"/benchmarks/sweeps/{sweep_id}/export/md")
    assert summary.status_code == 200 and summary.headers["content-type"].startswith(
        "text/markdown"
    )
    assert "- **capacity under SLO:** concurrency 1" in summary.text
    listed = server.get("/benchmarks/sweeps").json()
    assert sweep_id in [s["sweep"]["id"] for s in listed["sweeps"]] and listed["total"] >= 1
    pareto = server.get("/benchmarks/sweeps/pareto", params={"sweeps": sweep_id}).json()
    # 4 in flight doubles the throughput of 1 but waits longer: neither beats the other
    assert [(p["load"], p["optimal"]) for p in pareto["points"]] == [(1, True), (4, True)]


def test_cancelling_a_sweep_cancels_its_point_and_queues_no_more(
    server: LiveServer, capacity_sim: SimProcess
) -> None:
    model = add_model(server, capacity_sim, "sweep-cancel")
    sweep = {"axis": "concurrency", "mode": "list", "loads": [1, 2, 4]}
    sweep_id = start(server, [model], sweep, iterations=400)
    run_id = server.get(f"/benchmarks/sweeps/{sweep_id}").json()["sweep"]["current_run_id"]
    wait_for(
        lambda: server.get(f"/benchmarks/runs/{run_id}/status").json()["status"] == "running",
        what="the first point to run",
    )
    deleted = server.delete(f"/benchmarks/sweeps/{sweep_id}")
    assert deleted.status_code == 409 and "cancel it first" in deleted.json()["error"]
    cancelled = server.post(f"/benchmarks/sweeps/{sweep_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["sweep"]["status"] == "cancelled"
    wait_for(
        lambda: server.get(f"/benchmarks/runs/{run_id}/status").json()["status"] == "cancelled",
        what="the point to be cancelled",
    )
    again = server.post(f"/benchmarks/sweeps/{sweep_id}/cancel")
    assert again.status_code == 409 and "already ended" in again.json()["error"]
    runs = server.get("/benchmarks/runs", params={"limit": 1000}).json()["runs"]
    assert [r["id"] for r in runs if r["sweep_id"] == sweep_id] == [run_id]
    assert server.delete(f"/benchmarks/sweeps/{sweep_id}").status_code == 200
    assert server.get(f"/benchmarks/runs/{run_id}").status_code == 404
    assert server.get(f"/benchmarks/sweeps/{sweep_id}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sweep": {"mode": "list", "loads": [2.5]}}, "a concurrency is a whole number"),
        ({"sweep": {"mode": "auto", "start": 1, "max": 8, "factor": 0.5}}, "'sweep.factor'"),
        ({"sweep": {"mode": "auto", "start": 1}}, "max: a auto sweep needs its highest load"),
        ({"sweep": {"axis": "tokens", "mode": "auto"}}, "'sweep.axis'"),
        ({"config": {"temperature": 5}}, "'config.temperature'"),
        ({"sweep": None}, "'sweep'"),
    ],
)
def test_bad_input_is_400_naming_the_field(
    server: LiveServer, bad_input_model: str, body: dict[str, Any], field: str
) -> None:
    model = bad_input_model
    request: dict[str, Any] = {
        "modelIds": [model],
        "config": BASE,
        "sweep": {"mode": "list", "loads": [1]},
        **body,
    }
    if request["sweep"] is None:
        del request["sweep"]
    response = server.post("/benchmarks/sweeps", json=request)
    assert response.status_code == 400, response.text
    assert field in response.json()["error"]


def test_a_suite_or_model_that_does_not_exist_is_404(
    server: LiveServer, bad_input_model: str
) -> None:
    request = {
        "modelIds": [bad_input_model],
        "config": BASE,
        "sweep": {"mode": "list", "loads": [1]},
    }
    for body, part in (
        ({"suiteName": "nope"}, "suiteName"),
        ({"modelIds": ["model_0000000000000000"]}, "modelIds[0]"),
    ):
        response = server.post("/benchmarks/sweeps", json={**request, **body})
        assert response.status_code == 404 and part in response.json()["error"], response.text


def test_list_loads_are_measured_in_order_each_once(
    server: LiveServer, bad_input_model: str
) -> None:
    sweep = {"mode": "list", "loads": [4, 2, 4]}
    response = server.post(
        "/benchmarks/sweeps", json={"modelIds": [bad_input_model], "config": BASE, "sweep": sweep}
    )
    assert response.status_code == 200, response.text
    sweep_id = response.json()["sweepId"]
    document = server.get(f"/benchmarks/sweeps/{sweep_id}").json()
    assert document["sweep"]["settings"]["loads"] == [2.0, 4.0]
    server.post(f"/benchmarks/sweeps/{sweep_id}/cancel")


def test_a_point_too_large_for_a_run_is_refused_before_anything_is_queued(
    server: LiveServer, capacity_sim: SimProcess
) -> None:
    model = add_model(server, capacity_sim, "sweep-huge")
    before = server.get("/benchmarks/sweeps").json()["total"]
    sweep = {"axis": "rate", "mode": "geometric", "start": 1, "max": 90_000}
    body = {"modelIds": [model], "config": {"iterations": 50, "trials": 20}, "sweep": sweep}
    response = server.post("/benchmarks/sweeps", json=body)
    assert response.status_code == 400 and "the limit is 1,000,000" in response.json()["error"]
    assert server.get("/benchmarks/sweeps").json()["total"] == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/benchmarks/sweeps/sweep_0000000000000000"),
        ("post", "/benchmarks/sweeps/sweep_0000000000000000/cancel"),
        ("delete", "/benchmarks/sweeps/sweep_0000000000000000"),
        ("get", "/benchmarks/sweeps/pareto?sweeps=sweep_0000000000000000"),
    ],
)
def test_unknown_sweeps_are_404(server: LiveServer, method: str, path: str) -> None:
    response = getattr(server, method)(path)
    assert response.status_code == 404 and "not found" in response.json()["error"]
