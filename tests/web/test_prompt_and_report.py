"""The one-prompt test in the model dialog, and the HTML report link on the results page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from tests.api.server import LiveServer, wait_run_finished

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    with start_simulator(SimConfig(ttft_ms=5, itl_ms=1, output_tokens=12)) as process:
        yield process


@pytest.fixture(scope="module")
def sim_model(server: LiveServer, sim: SimProcess) -> str:
    body = {
        "alias": "ui-prompt-sim",
        "model_id": "sim-model",
        "provider": "openai",
        "endpoint": sim.url,
    }
    return str(server.post("/models", json=body).json()["model"]["id"])


def test_one_prompt_test_shows_the_reply_and_its_timing(page: Page, sim_model: str) -> None:
    page.goto("/models")
    row = page.locator("tr", has_text="ui-prompt-sim")
    row.get_by_role("button", name="Test & logs").click()
    page.locator("#test-prompt").fill("Hello there?")
    page.locator("#detail-dialog").get_by_role("button", name="Send").click()
    reply = page.locator("#test-reply")
    expect(reply.locator(".reply-text")).not_to_be_empty(timeout=20_000)
    expect(reply).to_contain_text("Time to first token")
    expect(reply).to_contain_text("12")  # output tokens, as the simulator sent


def test_results_page_offers_the_html_report(
    page: Page, server: LiveServer, sim_model: str
) -> None:
    body = {"modelIds": [sim_model], "config": {"iterations": 2, "scenarios": ["Short Q&A"]}}
    run_id = server.post("/benchmarks/run", json=body).json()["runId"]
    assert wait_run_finished(server, run_id)["status"] == "completed"
    page.goto(f"/results?run={run_id}")
    link = page.locator("#export-html")
    expect(link).to_be_visible(timeout=15_000)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"{run_id}.html"
