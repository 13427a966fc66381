"""The Markdown summary: a table per model with the key figures, failures, machine, settings."""

from __future__ import annotations

import re
from typing import Any

from flperf.bench.metric_catalog import metrics
from flperf.report.document import RunReport
from flperf.report.markdown import md_text

from .run_documents import MODELS, SCENARIOS, render_doc

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _tables(text: str) -> list[list[str]]:
    tables: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables + ([current] if current else [])


def test_one_table_per_model_with_a_row_per_scenario_and_a_total(
    engine_doc: dict[str, Any],
) -> None:
    text = render_doc(engine_doc, "md").decode("utf-8")
    tables = _tables(text)
    assert len(tables) == len(MODELS)
    for table in tables:
        assert len(table) == 2 + len(SCENARIOS) + 1  # heading, rule, scenarios, all scenarios
        assert "TTFT p95" in table[0] and "Decode p50" in table[0] and "Timeouts" in table[0]
        assert "**all scenarios**" in table[-1]
    for model in MODELS:
        assert f"#### {md_text(model)}" in text


def test_table_cells_carry_the_results_figures(engine_doc: dict[str, Any]) -> None:
    report = RunReport.from_document(engine_doc)
    total = report.model_total(MODELS[0])
    assert total is not None and total.ttft_ms is not None
    table = _tables(render_doc(engine_doc, "md").decode("utf-8"))[0]
    headings = [c.strip() for c in table[0].strip("|").split("|")]
    cells = dict(zip(headings, (c.strip() for c in table[-1].strip("|").split("|")), strict=True))
    assert len(cells) == 1 + len(metrics("report"))
    assert cells["OK / sent"] == f"{total.successful_iterations}/{total.requests_attempted}"
    assert float(cells["TTFT p50 ms"].rstrip("\\*").replace(",", "")) == round(total.ttft_ms.p50, 2)


def test_header_settings_failures_and_machine_are_present(engine_doc: dict[str, Any]) -> None:
    text = render_doc(engine_doc, "md").decode("utf-8")
    assert text.startswith("### flperf: report-test `run_0123abcd` (completed)")
    assert "**Settings:** iterations 12 · warm-up 1 · closed loop, concurrency 2" in text
    assert "**Failures**" in text and "http\\_500" in text
    assert "**Machine:**" in text and "Python 3." in text


def test_a_hostile_model_name_neither_breaks_tables_nor_injects_html(
    hostile_doc: dict[str, Any],
) -> None:
    text = render_doc(hostile_doc, "md").decode("utf-8")
    outside_code = re.sub(r"`[^`]*`", "", text)  # error messages are quoted as code
    raw_tags = re.findall(r"(?<!\\)<[^>]*>", outside_code)
    assert set(raw_tags) == {"<sub>", "</sub>"}  # only the footnote's own markup
    for table in _tables(text):
        widths = {len(_UNESCAPED_PIPE.findall(line)) for line in table}
        assert widths == {len(metrics("report")) + 2}
    assert "\\<img src=x" in text


def test_slo_verdicts_goodput_and_trial_spread_are_summarised(
    trials_doc: dict[str, Any],
) -> None:
    text = render_doc(trials_doc, "md").decode("utf-8")
    slo_line = next(line for line in text.splitlines() if line.startswith("SLOs: "))
    assert "ttft\\_p95\\_ms=5000 met" in slo_line
    assert "e2e\\_p50\\_ms=0.01 **missed**" in slo_line
    assert "goodput 0 req/s" in slo_line
    trials_line = next(line for line in text.splitlines() if line.startswith("Across trials"))
    assert "tok/s: " in trials_line and "95 % CI" in trials_line and "(n=2)" in trials_line
