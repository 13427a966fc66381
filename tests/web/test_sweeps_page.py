"""The Sweeps page in a real browser: start a sweep from the form, follow it to the end, read the
knee and capacity off its table and charts, open a point's results, and cancel a sweep."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from tests.api.server import LiveServer, wait_for

pytestmark = pytest.mark.browser

POINTS_JS = (
    "id => (document.getElementById(id).data || []).reduce((n, t) => n + (t.x || []).length, 0)"
)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    # Two responses at once, 140 ms each: at 4 in flight half the requests wait 140 ms, so
    # TTFT p95 is ~160 ms there and ~20 ms below; an SLO of 100 ms holds on a loaded machine.
    config = SimConfig(ttft_ms=20, itl_ms=12, output_tokens=11, capacity=2)
    with start_simulator(config) as process:
        yield process


@pytest.fixture(scope="module")
def sim_model(server: LiveServer, sim: SimProcess) -> str:
    body = {
        "alias": "ui-sweep-sim",
        "model_id": "sim-model",
        "provider": "openai",
        "endpoint": sim.url,
    }
    return str(server.post("/models", json=body).json()["model"]["id"])


def test_a_sweep_started_in_the_form_ends_with_its_knee_capacity_and_charts(
    page: Page, server: LiveServer, sim_model: str
) -> None:
    page.goto("/sweeps")
    form = page.locator("#sweep-form")
    form.locator("label", has_text="ui-sweep-sim").locator("input").check()
    form.locator("select[name=mode]").select_option("list")
    expect(form.locator("input[name=start]")).to_be_hidden()
    form.locator("input[name=loads]").fill("1, 2, 4")
    form.locator("input[name=slos]").fill("ttft_p95_ms=100")
    form.locator("input[name=iterations]").fill("4")
    form.locator("input[name=warmup]").fill("0")
    form.locator("input[name=max_tokens]").fill("11")
    form.get_by_role("button", name="Start sweep").click()
    expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=60_000)
    follow = page.locator("#follow-body")
    # Three runs, each in a worker process: far longer than one assertion's wait on a busy CI.
    expect(follow.locator(".badge", has_text="completed")).to_be_visible(timeout=120_000)
    model = page.locator(".sweep-model", has_text="ui-sweep-sim")
    expect(model).to_contain_text("Capacity under SLO2 in flight")
    expect(model).to_contain_text("Knee2 in flight")
    rows = model.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_contain_text("ttft p95")  # 4 in flight: half of them queue
    expect(rows.nth(1).locator(".badge", has_text="knee")).to_be_visible()
    for chart in ("sweep-curve", "sweep-tradeoff", "pareto-chart"):
        wait_for(lambda c=chart: page.evaluate(POINTS_JS, c) >= 3, timeout=10, what=chart)
    sweep_id = page.locator("#follow-id code").inner_text()
    assert server.get(f"/benchmarks/sweeps/{sweep_id}").json()["sweep"]["status"] == "completed"
    expect(page.locator("#sweeps tbody tr", has_text=sweep_id[:12])).to_be_visible()
    rows.nth(0).get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/results\?run=run_[0-9a-f]{16}$"))


def test_a_bad_setting_shows_the_servers_reason_and_a_sweep_can_be_cancelled(
    page: Page, server: LiveServer, sim_model: str, problems: list[str]
) -> None:
    page.goto("/sweeps")
    form = page.locator("#sweep-form")
    form.locator("label", has_text="ui-sweep-sim").locator("input").check()
    form.locator("input[name=max]").fill("4096")
    form.get_by_role("button", name="Start sweep").click()
    expect(page.locator("#sweep-error")).to_contain_text("max: 4096 is outside 1..1024")
    assert all("400" in p for p in problems)
    problems.clear()
    form.locator("input[name=max]").fill("8")
    form.locator("input[name=iterations]").fill("500")
    form.get_by_role("button", name="Start sweep").click()
    cancel = page.locator("#sweep-cancel")
    expect(cancel).to_be_visible(timeout=15_000)
    cancel.click()
    expect(page.locator("#follow-body .badge", has_text="cancelled")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("button", name="Delete sweep")).to_be_visible()
