"""Quality beside speed in a real browser: a run of a model that answers right and a faster one
that does not; the Results cards and the Compare table show each pass rate with its n, and the
faster model's quality is marked worse while its throughput is marked better."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from flperf.sim.config import SimConfig
from flperf.sim.process import start_simulator
from tests.api.server import LiveServer, wait_run_finished

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def run_id(server: LiveServer) -> Iterator[str]:
    # Decode 200 against 2,000 tokens/s: "better" survives a loaded machine's noise.
    right = SimConfig(ttft_ms=3, itl_ms=5, output_tokens=16, answer="It is Canberra.")
    wrong = SimConfig(ttft_ms=1, itl_ms=0.5, output_tokens=16)
    with start_simulator(right) as good, start_simulator(wrong) as fast:
        ids = []
        for alias, sim in (("answers-right", good), ("answers-fast", fast)):
            body = {"alias": alias, "model_id": "sim-model", "provider": "openai",
                    "endpoint": sim.url}  # fmt: skip
            ids.append(server.post("/models", json=body).json()["model"]["id"])
        config = {"iterations": 8, "warmup": 0, "scenarios": ["Short Q&A"]}
        run = server.post("/benchmarks/run", json={"modelIds": ids, "config": config}).json()
        assert wait_run_finished(server, run["runId"])["status"] == "completed"
        yield run["runId"]


def test_result_cards_show_each_models_quality_with_n(page: Page, run_id: str) -> None:
    page.goto(f"/results?run={run_id}")
    right = page.locator(".model-card", has_text="answers-right").locator(
        ".kpi", has_text="Quality"
    )
    fast = page.locator(".model-card", has_text="answers-fast").locator(".kpi", has_text="Quality")
    expect(right.locator(".kpi-value")).to_have_text("100 % (n=8)")
    expect(fast.locator(".kpi-value")).to_have_text("0 % (n=8)")


def test_compare_marks_the_faster_model_worse_on_quality(page: Page, run_id: str) -> None:
    page.goto(f"/compare?runs={run_id}")
    table = page.locator("#comparison section.card", has_text="Short Q&A").locator("table")
    quality = table.locator("tbody tr", has_text="Quality")
    expect(quality.locator("td").nth(1)).to_contain_text("100 % (n=8)")
    other = quality.locator("td").nth(2)
    expect(other).to_contain_text("0 % (n=8)")
    expect(other.locator(".badge")).to_have_text("worse")
    expect(other.locator(".delta")).to_have_attribute(
        "title", "Fisher exact p = 0.0002 on quality_pass"
    )
    throughput = table.locator("tbody tr", has_text="Throughput").locator("td").nth(2)
    expect(throughput.locator(".badge")).to_have_text("better")
