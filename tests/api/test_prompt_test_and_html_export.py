"""`POST /models/:id/test` (one timed prompt) and `GET /benchmarks/runs/:id/export/html`."""

from __future__ import annotations

import pytest

from flperf.sim.process import SimProcess

from .server import LiveServer, wait_run_finished


def _sim_model(server: LiveServer, sim: SimProcess, alias: str) -> str:
    body = {"alias": alias, "model_id": "sim-model", "provider": "openai", "endpoint": sim.url}
    return str(server.post("/models", json=body).json()["model"]["id"])


def test_prompt_test_returns_reply_and_engine_timings(server: LiveServer, sim: SimProcess) -> None:
    model_id = _sim_model(server, sim, "prompt-test-sim")
    response = server.post(f"/models/{model_id}/test", json={"prompt": "Hello?", "max_tokens": 7})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and body["reply"]
    assert body["output_tokens"] == 16 and body["token_source"] == "usage"  # the fixture sends 16
    assert body["ttft_ms"] > 0 and body["e2e_ms"] >= body["ttft_ms"]


@pytest.mark.parametrize(
    "payload", [{}, {"prompt": ""}, {"prompt": "x", "max_tokens": 0}, {"prompt": "x", "extra": 1}]
)
def test_prompt_test_rejects_bad_bodies_naming_the_field(
    server: LiveServer, sim: SimProcess, payload: dict[str, object]
) -> None:
    model_id = _sim_model(server, sim, f"bad-body-{len(payload)}-{sorted(payload)}")
    response = server.post(f"/models/{model_id}/test", json=payload)
    assert response.status_code == 400 and set(response.json()) == {"error"}


def test_prompt_test_of_an_unknown_model_is_404(server: LiveServer) -> None:
    response = server.post("/models/model_nope/test", json={"prompt": "hi"})
    assert response.status_code == 404 and "error" in response.json()


def test_html_export_is_a_self_contained_report(server: LiveServer, sim: SimProcess) -> None:
    model_id = _sim_model(server, sim, "html-export-sim")
    run_id = server.post(
        "/benchmarks/run",
        json={"modelIds": [model_id], "config": {"iterations": 3, "scenarios": ["Short Q&A"]}},
    ).json()["runId"]
    assert wait_run_finished(server, run_id)["status"] == "completed"
    response = server.get(f"/benchmarks/runs/{run_id}/export/html")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert f'filename="{run_id}.html"' in response.headers["content-disposition"]
    assert "html-export-sim" in response.text and 'src="http' not in response.text
    assert server.get("/benchmarks/runs/run_nope/export/html").status_code == 404
