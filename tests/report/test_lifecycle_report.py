"""Reports show each model's lifecycle in the run: load, memory, unload, first and warm TTFT,
whether the first request was cold, and why a fact is not available."""

from __future__ import annotations

import copy
import html
from typing import Any

import pytest

from flperf.report.document import RunReport

from .run_documents import MODELS, render_doc


@pytest.fixture(scope="module")
def lifecycle_doc(engine_doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(engine_doc)
    cold, external = MODELS
    doc["run"]["lifecycle"] = {
        cold: {
            "source": "flperf-host",
            "started_for_run": True,
            "cold_start": True,
            "load_ms": 123.4,
            "memory_after_load_mb": 456.7,
            "unload_ms": 8.9,
            "unavailable": {"download": "built locally <b>nothing</b> downloaded"},
        },
        external: {
            "source": "openai",
            "started_for_run": False,
            "unavailable": {"load": "a openai server tells nothing | about loading"},
        },
    }
    return doc


def _first_ttft(doc: dict[str, Any], model: str) -> float:
    summary = next(r for r in doc["results"] if r["model_id"] == model and r["scenario"] == "*")
    return float(summary["cold_ttft_ms"])


def test_markdown_has_a_lifecycle_table_and_the_reasons(lifecycle_doc: dict[str, Any]) -> None:
    text = render_doc(lifecycle_doc, "md").decode("utf-8")
    assert "**Model lifecycle**" in text
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    heading = next(line for line in lines if "Memory after load" in line)
    assert "Warm TTFT" in heading and "Cold start" in heading
    cold, external = MODELS
    cold_row = next(line for line in lines if line.startswith(f"| {cold} | yes"))
    assert "| 123.4 | 456.7 | 8.90 |" in cold_row
    external_row = next(line for line in lines if line.startswith(f"| {external} | no"))
    assert "| n/a |" in external_row  # its load time: the server does not tell
    # Reasons are listed, escaped for Markdown (a pipe cannot break the table).
    assert "nothing \\| about loading" in text and "\\<b\\>nothing\\</b\\>" in text


def test_html_lifecycle_table_marks_only_a_loaded_first_request_cold(
    lifecycle_doc: dict[str, Any],
) -> None:
    page = render_doc(lifecycle_doc, "html").decode("utf-8")
    start = page.index('id="lifecycle"')
    section = page[start : page.index("</ul>", start)]
    assert "Memory after load" in section and "Warm TTFT" in section
    cold = MODELS[0]
    report = RunReport.from_document(lifecycle_doc)
    assert report.document.lifecycle_rows()[0].cold_ttft_ms == _first_ttft(lifecycle_doc, cold)
    assert report.document.lifecycle_rows()[1].cold_ttft_ms is None
    assert "<b>nothing</b>" not in section  # reasons are text, never markup
    assert html.escape("built locally <b>nothing</b> downloaded", quote=True) in section
    assert "already loaded" not in section and "unknown whether" in section


def test_reports_without_lifecycle_facts_have_no_lifecycle_table(
    engine_doc: dict[str, Any],
) -> None:
    assert "Model lifecycle" not in render_doc(engine_doc, "md").decode("utf-8")
    assert 'id="lifecycle"' not in render_doc(engine_doc, "html").decode("utf-8")
