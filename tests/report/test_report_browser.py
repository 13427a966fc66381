"""The HTML report opened in headless Chromium: every chart drawn, nothing fetched, no errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import chromium_missing, launch_chromium

from .conftest import HOSTILE
from .run_documents import MODELS, renamed, render_doc

pytestmark = pytest.mark.browser

# For each plot: does it have an SVG, how many traces Plotly was given, how many trace groups
# hold a drawn path (bar, box, marker or line), and how many points each trace computed.
_PLOT_STATE = """
() => [...document.querySelectorAll("[data-chart]")].map((gd) => ({
  id: gd.id,
  svg: gd.querySelectorAll(".main-svg").length,
  traces: (gd.data || []).length,
  drawn: [...gd.querySelectorAll(".main-svg g.trace")].filter((trace) =>
    [...trace.querySelectorAll("path")].some((p) => (p.getAttribute("d") || "").length > 2)
  ).length,
  points: (gd.calcdata || []).map((trace) => trace.filter((p) => p && !p.empty).length),
}))
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = chromium_missing()
    if missing:
        pytest.skip(missing)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        instance = launch_chromium(playwright)
        yield instance
        instance.close()


def _open(browser: Any, html_path: Path) -> tuple[Any, list[str], list[str]]:
    """Open the report; returns the page, console errors/page errors, and other URLs requested."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    fetched: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    url = html_path.as_uri()

    def route(r: Any) -> None:
        if r.request.url != url:
            fetched.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    page.goto(url)
    page.wait_for_selector("body[data-charts]", timeout=30_000)
    return page, problems, fetched


def _check_all_charts_drawn(page: Any) -> list[dict[str, Any]]:
    assert page.get_attribute("body", "data-charts") == "rendered"
    plots = page.evaluate(_PLOT_STATE)
    for plot in plots:
        assert plot["svg"] >= 1, plot["id"]
        assert plot["traces"] >= 1 and plot["drawn"] == plot["traces"], plot
        assert all(n > 0 for n in plot["points"]), plot
    return plots


def test_every_chart_of_an_engine_run_renders(
    browser: Any, engine_doc: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "report.html"
    path.write_bytes(render_doc(engine_doc, "html"))
    page, problems, fetched = _open(browser, path)
    plots = _check_all_charts_drawn(page)
    assert {p["id"] for p in plots} == {
        "chart-throughput",
        "chart-latency",
        "chart-ttft",
        "chart-itl",
        "chart-latency-throughput",
        "chart-failures",
        "chart-resources",
    }
    assert problems == []
    assert fetched == []
    legend = page.locator("#chart-throughput .legendtext").all_text_contents()
    assert legend == list(MODELS)


def test_hostile_and_number_like_model_names_render_as_text(
    browser: Any, engine_doc: dict[str, Any], tmp_path: Path
) -> None:
    doc = renamed(renamed(engine_doc, MODELS[0], "1.5"), MODELS[1], HOSTILE)
    path = tmp_path / "hostile.html"
    path.write_bytes(render_doc(doc, "html"))
    page, problems, fetched = _open(browser, path)
    _check_all_charts_drawn(page)
    assert problems == [] and fetched == []
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#chart-throughput .legendtext").all_text_contents() == ["1.5", HOSTILE]
    assert HOSTILE in page.locator("#summary").inner_text()
    ticks = page.locator("#chart-throughput .xtick text").all_text_contents()
    assert "all scenarios" in ticks


@pytest.mark.foundry
def test_report_of_a_real_demo_model_run_renders_every_chart(browser: Any, tmp_path: Path) -> None:
    """A run of the built-in demo model through Foundry Local, written by `flperf bench --json`."""
    import json
    import subprocess
    import sys

    run_json = tmp_path / "demo.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "flperf",
            "bench",
            "--model",
            "flperf-demo",
            "--iterations",
            "5",
            "--scenario",
            "Short Q&A",
            "--scenario",
            "Long-form answer",
            "--json",
            str(run_json),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(run_json.read_text())
    assert doc["samples"], "resource samples of the host process are part of the document"
    path = tmp_path / "demo.html"
    path.write_bytes(render_doc(doc, "html"))
    page, problems, fetched = _open(browser, path)
    plots = _check_all_charts_drawn(page)
    assert {"chart-throughput", "chart-latency", "chart-ttft", "chart-itl", "chart-resources"} <= {
        p["id"] for p in plots
    }
    assert problems == [] and fetched == []
