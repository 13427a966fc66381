"""Chart specifications: categorical axes for names, the right traces, omissions with notes."""

from __future__ import annotations

from typing import Any

from flperf.report.charts import build_charts, plot_text
from flperf.report.document import RunReport

from .run_documents import MODELS, renamed


def _charts(doc: dict[str, Any]) -> dict[str, Any]:
    return {c.id: c for c in build_charts(RunReport.from_document(doc))}


def test_names_that_look_like_numbers_or_dates_stay_categories(
    engine_doc: dict[str, Any],
) -> None:
    doc = renamed(renamed(engine_doc, MODELS[0], "1.5"), MODELS[1], "2024-01-02")
    charts = _charts(doc)
    assert charts["chart-throughput"].layout["xaxis"]["type"] == "category"
    assert charts["chart-ttft"].layout["xaxis"]["type"] == "category"
    assert charts["chart-latency"].layout["yaxis"]["type"] == "multicategory"
    assert [t["name"] for t in charts["chart-throughput"].data] == ["1.5", "2024-01-02"]
    assert charts["chart-latency"].data[0]["y"][1][:2] == ["1.5", "1.5"]


def test_one_model_uses_plain_scenario_categories(engine_doc: dict[str, Any]) -> None:
    doc = dict(engine_doc)
    doc["results"] = [r for r in engine_doc["results"] if r["model_id"] == MODELS[0]]
    doc["requests"] = [r for r in engine_doc["requests"] if r["model"] == MODELS[0]]
    doc["run"] = {**engine_doc["run"], "model_ids": [MODELS[0]]}
    latency = _charts(doc)["chart-latency"]
    assert latency.layout["yaxis"]["type"] == "category"
    assert all(isinstance(label, str) for label in latency.data[0]["y"])


def test_small_sample_tails_are_drawn_hollow(engine_doc: dict[str, Any]) -> None:
    latency = _charts(engine_doc)["chart-latency"]
    p50, p95, _ = latency.data
    assert "#ffffff" not in p50["marker"]["color"]
    assert set(p95["marker"]["color"]) == {"#ffffff"}  # 12 requests per scenario: all small


def test_a_run_without_failures_or_successes_omits_charts_with_notes(
    engine_doc: dict[str, Any],
) -> None:
    doc = dict(engine_doc)
    doc["results"] = [{**r, "errors_by_kind": {}} for r in engine_doc["results"]]
    assert _charts(doc)["chart-failures"].note == "No measured request failed."
    run = {"id": None, "suite_name": "s", "model_ids": [], "config": {}, "status": "failed"}
    empty = _charts({"run": run, "results": [], "requests": []})
    assert all(not chart.rendered and chart.note for chart in empty.values())


def test_plot_text_keeps_plotly_from_reading_markup() -> None:
    assert plot_text("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
