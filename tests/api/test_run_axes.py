"""A run of several models keeps one index sequence and one time axis for all its requests."""

from __future__ import annotations

from flperf.sim.process import SimProcess

from .server import LiveServer, wait_run_finished


def test_models_measured_one_after_another_share_the_runs_indexes_and_clock(
    server: LiveServer, sim: SimProcess
) -> None:
    ids = [
        server.post(
            "/models",
            json={
                "alias": f"axis-{n}",
                "model_id": "sim-model",
                "provider": "openai",
                "endpoint": sim.url,
            },
        ).json()["model"]["id"]
        for n in range(2)
    ]
    body = {"modelIds": ids, "config": {"iterations": 3, "warmup": 1, "scenarios": ["Short Q&A"]}}
    run_id = server.post("/benchmarks/run", json=body).json()["runId"]
    assert wait_run_finished(server, run_id)["status"] == "completed"
    records = server.get(f"/benchmarks/runs/{run_id}/requests").json()["requests"]
    assert [r["index"] for r in records] == list(range(8))
    first = [r for r in records if r["model"] == ids[0]]
    second = [r for r in records if r["model"] == ids[1]]
    assert len(first) == len(second) == 4
    assert max(r["end_ms"] for r in first) <= min(r["start_ms"] for r in second)
    assert min(r["start_ms"] for r in first) >= 0
