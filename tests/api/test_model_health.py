"""`GET /models/:id/health` says why a model is unhealthy."""

from __future__ import annotations

from flperf.sim.process import SimProcess
from tests.api.conftest import FAST_SIM
from tests.api.server import LiveServer


def test_health_of_a_model_the_server_does_not_serve_names_what_it_serves(
    server: LiveServer, sim: SimProcess
) -> None:
    body = {"alias": "wrong-name", "model_id": "no-such-model", "provider": "openai",
            "endpoint": sim.url}  # fmt: skip
    model_id = server.post("/models", json=body).json()["model"]["id"]
    health = server.get(f"/models/{model_id}/health")
    assert health.status_code == 200
    answer = health.json()
    assert answer["healthy"] is False
    assert answer["detail"] == (
        f"model 'no-such-model' is not served by {sim.url}/v1; it serves: {FAST_SIM.model}"
    )
