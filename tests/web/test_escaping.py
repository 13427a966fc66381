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


def test_chart_labels_show_names_as_typed(page: Page) -> None:
    """Plotly reads tags in labels and guesses numbers from category names; neither may happen."""
    page.goto("/results")
    page.wait_for_function("window.Plotly !== undefined")
    legend, images, tick, axis_type = page.evaluate(
        """async (name) => {
          const { label, plot, categoryAxis } = await import('/static/js/charts.js');
          const div = document.createElement('div');
          document.body.appendChild(div);
          plot(div, [{ type: 'bar', name: label(name), x: [label('1.5')], y: [3] }],
               { showlegend: true, xaxis: categoryAxis('Model') });
          return [div.querySelector('.legendtext').textContent, div.querySelectorAll('img').length,
                  div.querySelector('.xtick text').textContent, div._fullLayout.xaxis.type];
        }""",
        ALIAS + " & qwen2.5-0.5b",
    )
    assert legend == ALIAS + " & qwen2.5-0.5b"
    assert images == 0
    assert (tick, axis_type) == ("1.5", "category")
