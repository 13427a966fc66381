"""User text reaches the page as text: a model alias full of markup is shown, never run."""

from __future__ import annotations

import socket

import pytest
from playwright.sync_api import Page, expect

from tests.api.server import LiveServer, wait_run_finished

pytestmark = pytest.mark.browser

ALIAS = "<img src=x onerror=alert(1)>"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def hostile(server: LiveServer) -> dict[str, str]:
    """A model with a markup alias on an endpoint that refuses connections, and a run of it."""
    model = server.post(
        "/models",
        json={
            "alias": ALIAS,
            "model_id": "m<b>x</b>",
            "provider": "openai",
            "endpoint": f"http://127.0.0.1:{closed_port()}",
        },
    ).json()["model"]
    body = {"modelIds": [model["id"]], "config": {"iterations": 1, "scenarios": ["Short Q&A"]}}
    run_id = server.post("/benchmarks/run", json=body).json()["runId"]
    wait_run_finished(server, run_id, timeout=60)
    return {"model": model["id"], "run": run_id}


@pytest.mark.parametrize("path", ["/", "/models", "/benchmarks", "/results?run={run}"])
def test_markup_in_an_alias_is_shown_as_text(
    page: Page, hostile: dict[str, str], path: str
) -> None:
    page.goto(path.format(**hostile))
    expect(page.get_by_text(ALIAS, exact=True).first).to_be_visible()
    assert page.locator("img").count() == 0
