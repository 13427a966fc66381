"""Reading a run document back: typed results, records, samples and display names."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flperf.bench.monitor import ResourceSample
from flperf.report.document import DocumentError, RunReport, sample_rows

from .run_documents import MODELS, SCENARIOS


def test_engine_document_reads_into_typed_parts(engine_doc: dict[str, Any]) -> None:
    report = RunReport.from_document(engine_doc)
    assert report.models == list(MODELS)
    assert report.scenarios == list(SCENARIOS)
    assert len(report.results) == len(MODELS) * (len(SCENARIOS) + 1)
    assert len(report.records) == len(engine_doc["requests"])
    assert set(report.samples) == set(MODELS)
    assert report.fingerprint is not None and report.fingerprint.python_version
    total = report.model_total(MODELS[0])
    assert total is not None and total.scenario == "*"


def test_samples_lie_on_the_requests_time_axis(engine_doc: dict[str, Any]) -> None:
    report = RunReport.from_document(engine_doc)
    first = report.measured(MODELS[0])
    times_ms = [s.t_ns / 1e6 for s in report.samples[MODELS[0]]]
    # The sampler runs while the model is measured, so its readings bracket the requests.
    assert min(times_ms) <= min(r.start_ms for r in first) + 100
    assert max(times_ms) >= max(r.end_ms for r in first) - 100


def test_sample_rows_put_samples_on_the_run_axis() -> None:
    ref_ns = 5_000_000_000
    rows = sample_rows({"m": [ResourceSample(t_ns=ref_ns + 250_000_000, cpu_percent=12.5)]}, ref_ns)
    assert rows[0]["model_id"] == "m" and rows[0]["t_ms"] == 250.0
    report = RunReport.from_document({"run": {}, "results": [], "requests": [], "samples": rows})
    assert report.samples["m"][0].t_ns == 250_000_000
    assert report.samples["m"][0].cpu_percent == 12.5


def test_aliases_name_models_and_clashing_aliases_keep_ids(engine_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(engine_doc)
    doc["run"]["model_aliases"] = {MODELS[0]: "fast one"}
    assert RunReport.from_document(doc).name(MODELS[0]) == "fast one"
    doc["run"]["model_aliases"] = {MODELS[0]: "same", MODELS[1]: "same"}
    assert RunReport.from_document(doc).name(MODELS[0]) == f"same ({MODELS[0]})"


def test_a_document_without_samples_has_none(engine_doc: dict[str, Any]) -> None:
    doc = {k: v for k, v in engine_doc.items() if k != "samples"}
    assert RunReport.from_document(doc).samples == {}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "JSON object"),
        ({"run": [], "results": []}, "'run'"),
        ({"results": [{"model_id": "m"}]}, "results"),
        ({"requests": [{"index": 1}]}, "requests"),
        ({"samples": [{"model_id": "m"}]}, "samples"),
    ],
)
def test_malformed_documents_say_which_part_is_wrong(doc: Any, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        RunReport.from_document(doc)


def test_a_bench_json_run_header_is_read_too(engine_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(engine_doc)
    doc["run"] = {
        "suite": "default",
        "endpoint": "http://127.0.0.1:1/v1",
        "model_ids": list(MODELS),
        "config": engine_doc["run"]["config"],
        "status": "cancelled",
        "started_at": 1_700_000_000.0,
        "completed_at": 1_700_000_090.5,
    }
    report = RunReport.from_document(doc)
    assert (report.run_id, report.suite_name, report.status) == (None, "default", "cancelled")
    assert report.duration_s == 90.5
    assert report.fingerprint is None and report.hardware_info == {}
