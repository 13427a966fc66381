"""The HTML report: one self-contained file, every user string escaped, chart data as numbers."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from flperf.report.document import RunReport
from flperf.report.html import plotly_bundle, script_json

from .conftest import HOSTILE
from .run_documents import MODELS, SCENARIOS, render_doc


def _html(doc: dict[str, Any]) -> str:
    return render_doc(doc, "html").decode("utf-8")


def _chart_specs(html: str) -> dict[str, dict[str, Any]]:
    match = re.search(r'<script type="application/json" id="flperf-charts">(.*?)</script>', html)
    assert match is not None
    return {spec["id"]: spec for spec in json.loads(match.group(1))}


@pytest.fixture(scope="module")
def page(engine_doc: dict[str, Any]) -> str:
    return _html(engine_doc)


def test_the_page_loads_nothing_from_the_network(page: str) -> None:
    assert 'src="http' not in page and "src='http" not in page
    assert not re.search(r"<link\b", page)
    assert not re.search(r"""<script[^>]+src=""", page)


def test_the_plotly_bundle_is_inlined_from_the_installed_package(page: str) -> None:
    bundle = plotly_bundle()
    assert len(bundle) > 1_000_000
    assert bundle in page
    assert page.count("<script") == 3  # chart data, Plotly, the page's own script


def test_summary_sections_fingerprint_and_configuration_are_shown(page: str) -> None:
    for heading in ("Summary", "Charts", "All scenarios", "Failures", "Machine", "Configuration"):
        assert f">{heading}</h2>" in page
    for scenario in SCENARIOS:
        escaped = scenario.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert f"<h2>{escaped}</h2>" in page
    assert "run_0123abcd" in page and "completed" in page
    assert "Python" in page and "Execution provider" in page
    assert "simulated internal server error" in page  # an example failure message


def test_chart_data_are_numbers_taken_from_the_results(
    page: str, engine_doc: dict[str, Any]
) -> None:
    report = RunReport.from_document(engine_doc)
    specs = _chart_specs(page)
    throughput = specs["chart-throughput"]["data"]
    assert [t["name"] for t in throughput] == list(MODELS)
    for trace, model in zip(throughput, MODELS, strict=True):
        expected = [
            r.tps
            for s in [*SCENARIOS, "*"]
            if (r := report.result(model, s)) is not None and r.tps is not None
        ]
        assert trace["y"] == pytest.approx(expected, abs=0.01)
        assert all(isinstance(v, float) for v in trace["y"])
    ttft = specs["chart-ttft"]["data"]
    ok = [r for r in report.records if r.model == MODELS[0] and r.ok and not r.warmup]
    assert len(ttft[0]["y"]) == len(ok)
    assert sorted(ttft[0]["y"]) == pytest.approx(sorted(r.ttft_ms for r in ok), abs=1e-3)


def test_every_chart_is_drawn_for_a_full_run(page: str) -> None:
    assert set(_chart_specs(page)) == {
        "chart-throughput",
        "chart-latency",
        "chart-ttft",
        "chart-itl",
        "chart-latency-throughput",
        "chart-failures",
        "chart-resources",
    }
    assert "data-omitted" not in page


def test_resources_chart_is_omitted_with_a_note_without_samples(
    engine_doc: dict[str, Any],
) -> None:
    html = _html({k: v for k, v in engine_doc.items() if k != "samples"})
    assert "chart-resources" not in _chart_specs(html)
    assert 'data-omitted="chart-resources"' in html
    assert "No resource samples were recorded" in html


def test_a_hostile_model_name_is_escaped_everywhere(hostile_doc: dict[str, Any]) -> None:
    html = _html(hostile_doc)
    assert HOSTILE not in html
    assert "<img" not in html and "<b>big" not in html
    assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in html
    assert html.count("</script>") == 3
    specs = _chart_specs(html)  # the JSON block still parses, name intact (Plotly-escaped)
    names = [t["name"] for t in specs["chart-throughput"]["data"]]
    assert names[1] == HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_script_json_cannot_close_its_script_element() -> None:
    value = {"name": "</script><script>alert(1)</script>", "sep": "\u2028", "n": 1.5}
    text = script_json(value)
    assert "</" not in text and "<" not in text and "\u2028" not in text
    assert json.loads(text) == value


def test_non_finite_numbers_become_null_in_chart_data() -> None:
    assert json.loads(script_json({"y": [1.0, float("nan"), float("inf")]})) == {
        "y": [1.0, None, None]
    }


def test_slo_verdicts_and_trial_spread_are_in_the_summary(trials_doc: dict[str, Any]) -> None:
    html = _html(trials_doc)
    summary = html[html.index('<section id="summary">') : html.index('<section id="charts">')]
    assert "<dt>SLOs</dt><dd>1 missed</dd>" in summary
    assert 'class="text verdict-missed">missed<' in summary
    assert 'class="text verdict-met">met<' in summary
    assert "Spread across trials" in summary and "95 % CI" in summary
