"""The acceptance path in a real browser: add the demo model, start it, benchmark it, watch the
progress reach 100 %, read the results and charts, export CSV, compare runs, delete the model."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.api.server import LiveServer, wait_run_finished

pytestmark = [pytest.mark.browser, pytest.mark.foundry]

DEMO_ID = "flperf-demo-generic-cpu:1"
CHARTS = (
    "chart-tps",
    "chart-latency",
    "chart-ttft",
    "chart-itl",
    "chart-tradeoff",
    "chart-resources",
)
POINTS_JS = (
    "id => (document.getElementById(id).data || []).reduce((n, t) => n + (t.x || []).length, 0)"
)


@pytest.fixture(autouse=True)
def foundry_usable(server: LiveServer) -> None:
    health = server.get("/system/health").json()
    if health["foundryLocal"] != "available":
        pytest.skip(f"Foundry Local is not usable here: {health.get('foundryLocalReason')}")


def add_demo_model_through_the_ui(page: Page, alias: str) -> None:
    page.goto("/models")
    demo = page.locator("#catalog tbody tr", has_text=DEMO_ID)
    expect(demo.locator(".badge.demo")).to_have_text("demo")
    demo.get_by_role("button", name="Add").click()
    dialog = page.locator("#add-dialog")
    expect(dialog.locator("input[name=model_id]")).to_have_value(DEMO_ID)
    dialog.locator("input[name=alias]").fill(alias)
    dialog.get_by_role("button", name="Add model").click()
    expect(dialog).to_be_hidden()


def test_demo_model_from_catalog_to_results_charts_and_csv(page: Page, server: LiveServer) -> None:
    alias = "demo.v1-cpu"  # dots and dashes must survive tables and charts
    add_demo_model_through_the_ui(page, alias)
    row = page.locator("#configured tbody tr", has_text=alias)
    expect(row.locator(".badge")).to_have_text("stopped")
    row.get_by_role("button", name="Start").click()
    expect(row.locator(".badge")).to_have_text("running", timeout=90_000)

    page.goto("/benchmarks")
    page.locator("#model-picks label", has_text=alias).locator("input").check()
    page.locator("#scen-none").click()
    for scenario in ("Short Q&A", "Medium Q&A"):
        page.locator("#scenario-picks label", has_text=scenario).locator("input").check()
    page.fill("input[name=iterations]", "4")
    page.fill("input[name=warmup]", "1")
    page.fill("input[name=temperature]", "0")
    page.fill("input[name=max_tokens]", "24")
    page.get_by_role("button", name="Start benchmark").click()

    expect(page.locator("#live-pct")).to_have_text("100 %", timeout=90_000)
    expect(page.locator("#live-facts")).to_contain_text("10 / 10")
    expect(page.locator("#spark-ttft .trace")).to_have_count(1)
    page.get_by_role("link", name="Open results").click()

    run_id = parse_qs(urlsplit(page.url).query)["run"][0]
    config = server.get(f"/benchmarks/runs/{run_id}").json()["run"]["config"]
    assert config["temperature"] == 0
    assert config["max_tokens"] == 24

    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=30_000)
    expect(page.locator(".model-card h3")).to_have_text(alias)
    expect(page.locator("#metrics table")).to_contain_text("Medium Q&A")
    for chart in CHARTS:
        assert page.evaluate(POINTS_JS, chart) > 0, f"{chart} has no data points"
    # Drawn, not just handed to Plotly: bars and markers exist in the SVG.
    assert page.locator("#chart-tps .trace.bars .point").count() == 2
    assert page.locator("#chart-tradeoff .scatterlayer .point").count() == 2
    legend = page.locator("#chart-tps .legendtext")
    expect(legend).to_have_text(alias)

    # Every metric table is laid out from the catalogue the API serves, tab by tab.
    catalog = server.get("/metrics").json()["metrics"]
    for tab, group in (("Reliability", "reliability"), ("Resources", "resources")):
        page.get_by_role("tab", name=tab).click()
        labels = [m["label"] for m in catalog if "ui" in m["views"] and m["group"] == group]
        expect(page.locator("#metrics thead th")).to_have_text(["Scenario", "Model", *labels])
    expect(page.locator("#metrics th", has_text="Server CPU avg")).to_be_visible()
    cards = [m["label"] for m in catalog if "ui_card" in m["views"]]
    expect(page.locator(".model-card .kpi-label")).to_have_text(cards)
    expect(page.locator("#requests tbody tr")).to_have_count(10)

    with page.expect_download() as download:
        page.locator("#export-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"Short Q&A", "Medium Q&A"} <= {r["scenario"] for r in rows}
    assert all("timeout_rate" in r and "tps" in r for r in rows)


def test_two_runs_compare_side_by_side_with_noise_verdicts(page: Page, server: LiveServer) -> None:
    model = server.post("/models", json={"alias": "cmp-demo", "model_id": DEMO_ID}).json()["model"]
    body = {
        "modelIds": [model["id"]],
        "suiteName": "default",
        "config": {"iterations": 5, "warmup": 1, "max_tokens": 16, "scenarios": ["Short Q&A"]},
    }
    runs = [server.post("/benchmarks/run", json=body).json()["runId"] for _ in range(2)]
    for run_id in runs:
        assert wait_run_finished(server, run_id, timeout=90)["status"] == "completed"

    page.goto("/benchmarks")
    for run_id in runs:
        page.get_by_label(f"select run {run_id}").check()
    page.get_by_role("link", name="Compare selected (2)").click()

    expect(page.locator("#comparison .notice.ok")).to_contain_text("Same workload")
    table = page.locator("#comparison section", has_text="Short Q&A").locator("table")
    expect(table.locator("thead th")).to_have_count(3)
    expect(table.locator("thead th").nth(1)).to_contain_text("(baseline)")
    compared = [
        m["label"] for m in server.get("/metrics").json()["metrics"] if "compare" in m["views"]
    ]
    expect(table.locator("tbody tr td:first-child")).to_have_text(compared)
    verdicts = table.locator("tbody .badge")
    expect(verdicts.first).to_be_visible()
    assert set(verdicts.all_inner_texts()) <= {"within noise", "better", "worse", "too few samples"}
    assert page.evaluate(POINTS_JS, "cmp-tps") == 2


def test_deleting_a_model_asks_first_and_keeps_its_results(page: Page, server: LiveServer) -> None:
    model = server.post("/models", json={"alias": "to-delete", "model_id": DEMO_ID}).json()["model"]
    body = {
        "modelIds": [model["id"]],
        "config": {"iterations": 1, "warmup": 0, "max_tokens": 8, "scenarios": ["Short Q&A"]},
    }
    run_id = server.post("/benchmarks/run", json=body).json()["runId"]
    wait_run_finished(server, run_id, timeout=90)

    page.goto("/models")
    row = page.locator("#configured tbody tr", has_text="to-delete")
    row.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Confirm")
    expect(confirm).to_contain_text("to-delete")
    confirm.get_by_role("button", name="Cancel").click()
    expect(row).to_have_count(1)

    row.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name="Confirm").get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert model["id"] not in {m["id"] for m in server.get("/models").json()["models"]}
    assert server.get(f"/benchmarks/runs/{run_id}").status_code == 200
