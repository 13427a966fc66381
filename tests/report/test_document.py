"""Reading a run document back: typed results, records, samples and display names."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flperf.bench.monitor import ResourceSample
from flperf.bench.run_document import SampleEntry
from flperf.report.document import DocumentError, RunReport

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


RUN = {"id": "run_0123456789abcdef", "suite_name": "s", "model_ids": ["m"], "config": {}}


def test_samples_are_placed_on_the_run_axis() -> None:
    ref_ns = 5_000_000_000
    sample = ResourceSample(t_ns=ref_ns + 250_000_000, cpu_percent=12.5)
    entry = SampleEntry.from_sample("m", sample, ref_ns)
    assert entry.model_id == "m" and entry.t_ms == 250.0
    doc = {"run": {**RUN, "status": "completed"}, "samples": [entry.model_dump()]}
    report = RunReport.from_document(doc)
    assert report.samples["m"][0].t_ns == 250_000_000
    assert report.samples["m"][0].cpu_percent == 12.5


def test_aliases_name_models_and_clashing_aliases_keep_ids(engine_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(engine_doc)
    doc["run"]["model_aliases"] = ["fast one", None]
    assert RunReport.from_document(doc).name(MODELS[0]) == "fast one"
    doc["run"]["model_aliases"] = ["same", "same"]
    assert RunReport.from_document(doc).name(MODELS[0]) == f"same ({MODELS[0]})"
    doc["run"]["model_aliases"] = {MODELS[0]: "keyed"}  # as earlier versions wrote them
    assert RunReport.from_document(doc).name(MODELS[0]) == "keyed"


def test_a_document_without_samples_has_none(engine_doc: dict[str, Any]) -> None:
    doc = {k: v for k, v in engine_doc.items() if k != "samples"}
    assert RunReport.from_document(doc).samples == {}


GOOD_RUN = {**RUN, "status": "completed"}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "JSON object"),
        ("{not json", "not valid JSON"),
        ({"results": []}, "^run: Field required"),
        ({"run": [], "results": []}, "^run: "),
        ({"run": {**GOOD_RUN, "status": "sleeping"}}, "^run.status: "),
        ({"run": GOOD_RUN, "results": [{"model_id": "m"}]}, r"^results\.0\.scenario: "),
        ({"run": GOOD_RUN, "requests": [{"index": 1}]}, r"^requests\.0: a request record has no"),
        ({"run": GOOD_RUN, "samples": [{"model_id": "m"}]}, r"^samples\.0\.t_ms: "),
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
    assert report.started_at == 1_700_000_000 and report.duration_s == 90
    assert report.fingerprint is None
    assert report.name(MODELS[0]) == MODELS[0]
