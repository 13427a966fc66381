"""Model lifecycle in a real browser: the Models page shows each model's last load, memory after
it, last unload and download (or n/a with the reason); the Results page shows each model of a
run, whether the run started it, and its cold and warm TTFT."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from flperf.sim.process import SimProcess, start_simulator
from tests.api.conftest import FAST_SIM
from tests.api.server import LiveServer, wait_run_finished
from tests.web.conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.foundry]


@pytest.fixture(scope="module")
def sim() -> Any:
    with start_simulator(FAST_SIM) as process:
        yield process


def _add(server: LiveServer, body: dict[str, Any]) -> str:
    model_id: str = server.post("/models", json=body).json()["model"]["id"]
    return model_id


def _run(server: LiveServer, *model_ids: str) -> str:
    config = {"iterations": 3, "warmup": 0, "scenarios": ["Short Q&A"]}
    run_id: str = server.post(
        "/benchmarks/run", json={"modelIds": list(model_ids), "config": config}
    ).json()["runId"]
    assert wait_run_finished(server, run_id, timeout=120)["status"] == "completed"
    return run_id


def test_models_and_results_pages_show_lifecycle_facts(
    page: Page, server: LiveServer, sim: SimProcess
) -> None:
    if server.get("/system/health").json()["foundryLocal"] != "available":
        pytest.skip("Foundry Local is not usable here")
    demo = _add(server, {"alias": "lc-demo", "model_id": "flperf-demo"})
    external = _add(
        server,
        {"alias": "lc-sim", "model_id": "sim-model", "provider": "openai", "endpoint": sim.url},
    )
    run_id = _run(server, demo, external)  # the run starts the demo model and stops it after
    facts = server.get(f"/benchmarks/runs/{run_id}").json()["lifecycle"]
    demo_row = next(r for r in facts if r["model_id"] == demo)

    page.goto("/models")
    row = page.locator("#configured tbody tr", has_text="lc-demo")
    expect(page.locator("#configured thead th", has_text="Lifecycle")).to_have_count(1)
    lines = row.locator(".lc-line")
    expect(lines).to_have_count(4)
    expect(lines.nth(0)).to_contain_text("load")
    expect(lines.nth(0)).to_contain_text(" ms")  # the last load took this long
    expect(lines.nth(1)).to_contain_text(" MB")  # the host's memory after it
    expect(lines.nth(2)).to_contain_text(" ms")  # the run stopped it: its unload
    expect(lines.nth(3)).to_contain_text(" MB")  # the size of its files
    expect(row.locator(".na")).to_have_count(1)  # the demo model was never downloaded...
    built = "the demo model is built locally from flperf's recipe: nothing is downloaded"
    expect(row.locator(".na")).to_have_attribute("title", built)
    sim_row = page.locator("#configured tbody tr", has_text="lc-sim")
    expect(sim_row.locator(".na")).to_have_count(4)  # an OpenAI server tells none of them
    assert "tells nothing" in (sim_row.locator(".na").first.get_attribute("title") or "")

    # The lifecycle column leaves the actions in view at desktop width.
    box = row.get_by_role("button", name="Delete").bounding_box()
    assert box is not None and box["x"] + box["width"] <= DESKTOP["width"]
    row.get_by_role("button", name="Test & logs").click()
    lifecycle = page.locator("#detail-lifecycle")
    expect(lifecycle).to_contain_text("Last load")
    expect(lifecycle).to_contain_text("Server start to ready")
    expect(lifecycle).to_contain_text("built locally")
    page.locator("#detail-close").click()

    page.goto(f"/results?run={run_id}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=30_000)
    card = page.locator("#lifecycle")
    expect(card.locator("h2")).to_have_text("Model lifecycle")
    lines = card.locator("tbody tr")
    expect(lines).to_have_count(2)
    demo_line = lines.filter(has_text="lc-demo")
    expect(demo_line).to_have_class("lifecycle-row cold")
    expect(demo_line.locator("td").nth(1)).to_have_text("yes")  # started for the run
    assert demo_row["cold_ttft_ms"] is not None
    expect(demo_line.locator("td").nth(5)).to_contain_text(" ms")  # cold TTFT: a value
    expect(demo_line.locator("td").nth(6)).to_contain_text(" ms")  # warm TTFT
    sim_line = lines.filter(has_text="lc-sim")
    expect(sim_line.locator("td").nth(1)).to_have_text("no")
    expect(sim_line.locator("td").nth(5)).to_have_text("n/a")  # not known to be cold
    expect(sim_line.locator(".reasons")).to_contain_text("unknown whether")
