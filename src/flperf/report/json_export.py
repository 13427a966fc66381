"""The JSON document of a run: `{"run", "results", "requests", "samples"}`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flperf.bench.metrics import ResultMetrics
from flperf.bench.records import RequestRecord


def run_document(
    run: Mapping[str, Any],
    results: Sequence[ResultMetrics],
    records: Sequence[RequestRecord],
    samples: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Everything about one run as plain JSON data; every aggregate is derivable from `requests`.

    `samples` are resource samples as rows (`model_id`, `t_ms` on the requests' time axis, and
    the readings), see `flperf.report.document.sample_rows`.
    """
    return {
        "run": dict(run),
        "results": [r.model_dump(mode="json") for r in results],
        "requests": [r.to_dict() for r in records],
        "samples": [dict(s) for s in samples],
    }
