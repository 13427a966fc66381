"""CSV export: one row per result, every figure a column, RFC 4180 quoting."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from flperf.report.document import RunReport

from .run_documents import MODELS, renamed, render_doc


def _rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    text = render_doc(doc, "csv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_one_row_per_result_in_document_order(engine_doc: dict[str, Any]) -> None:
    rows = _rows(engine_doc)
    expected = [(r["model_id"], r["scenario"]) for r in engine_doc["results"]]
    assert [(row["model_id"], row["scenario"]) for row in rows] == expected


def test_summaries_and_resources_are_flattened_with_exact_values(
    engine_doc: dict[str, Any],
) -> None:
    rows = _rows(engine_doc)
    report = RunReport.from_document(engine_doc)
    for row, result in zip(rows, report.results, strict=True):
        assert result.ttft_ms is not None and result.e2e_ms is not None
        assert float(row["ttft_ms_p50"]) == result.ttft_ms.p50
        assert float(row["ttft_ms_p95"]) == result.ttft_ms.p95
        assert float(row["e2e_ms_p99"]) == result.e2e_ms.p99
        assert int(row["itl_ms_n"]) == (result.itl_ms.n if result.itl_ms else 0)
        assert row["ttft_ms_small_sample"] == ("true" if result.ttft_ms.small_sample else "false")
        assert float(row["tps"]) == result.tps
        assert result.resources is not None
        assert float(row["resources_proc_cpu_avg"]) == result.resources.proc_cpu_avg
        assert row["resources_gpu_avg"] == ""  # not measured: empty, never 0
        assert row["resources_sources_unavailable"] == ";".join(
            result.resources.sources_unavailable
        )


def test_every_failure_kind_is_a_column_and_absent_kinds_count_zero(
    engine_doc: dict[str, Any],
) -> None:
    rows = _rows(engine_doc)
    report = RunReport.from_document(engine_doc)
    kinds = {k for r in report.results for k in r.errors_by_kind}
    assert len(kinds) >= 2
    for row, result in zip(rows, report.results, strict=True):
        for kind in kinds:
            assert int(row[f"errors_by_kind_{kind}"]) == result.errors_by_kind.get(kind, 0)


def test_a_model_name_with_a_comma_and_quotes_survives(engine_doc: dict[str, Any]) -> None:
    name = 'llama, "the big one"'
    doc = renamed(engine_doc, MODELS[0], name)
    text = render_doc(doc, "csv").decode("utf-8")
    assert '"llama, ""the big one"""' in text
    rows = _rows(doc)
    assert [row["model_id"] for row in rows].count(name) == 4
    assert all(len(row) == len(rows[0]) and None not in row for row in rows)


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+1", "@SUM(A1)"])
def test_a_name_that_a_spreadsheet_would_run_is_written_as_text(
    engine_doc: dict[str, Any], name: str
) -> None:
    rows = _rows(renamed(engine_doc, MODELS[0], name))
    assert rows[0]["model_id"] == "'" + name


def test_slos_and_trial_statistics_get_their_own_columns(trials_doc: dict[str, Any]) -> None:
    rows = _rows(trials_doc)
    total = RunReport.from_document(trials_doc).results[-1]
    row = rows[-1]
    assert row["scenario"] == "*"
    assert row["slo_ttft_p95_ms_threshold"] == "5000.0"
    assert row["slo_ttft_p95_ms_met"] == "true"
    assert row["slo_e2e_p50_ms_met"] == "false"
    assert total.trial_stats is not None
    assert float(row["trial_stats_tps_mean"]) == total.trial_stats["tps"].mean
    assert int(row["trial_stats_tps_n"]) == 2
