"""A run document read back into typed objects, the one input of every report.

The document is `{"run": {...}, "results": [...], "requests": [...], "samples": [...]}` as written
by `flperf.report.json_export` (CLI files) or assembled from the store (API). Results are
`ResultMetrics`, requests are `RequestRecord`s, samples are `ResourceSample`s whose `t_ns` lies on
the run's time axis (origin 0, the axis of the requests' `start_ms`). `samples` may be absent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from flperf.bench.fingerprint import Fingerprint
from flperf.bench.metrics import ResultMetrics
from flperf.bench.monitor import ResourceSample
from flperf.bench.records import RequestRecord, Status

ALL_SCENARIOS = "*"
"""The `scenario` of a result that covers every scenario of one model."""

SAMPLE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(ResourceSample) if f.name not in ("t_ns", "wall_time")
)
"""Readings of a `ResourceSample` carried by a sample row of the document."""


class DocumentError(ValueError):
    """A run document that cannot be read, with a message naming the part that is wrong."""


def sample_rows(
    samples_by_model: Mapping[str, Sequence[ResourceSample]], ref_ns: int
) -> list[dict[str, Any]]:
    """Samples as the document's `samples` rows: `model_id`, `t_ms` on the run axis, readings."""
    rows = []
    for model_id, samples in samples_by_model.items():
        for sample in samples:
            row: dict[str, Any] = {
                "model_id": model_id,
                "t_ms": (sample.t_ns - ref_ns) / 1e6,
                "wall_time": sample.wall_time,
            }
            row.update({name: getattr(sample, name) for name in SAMPLE_FIELDS})
            rows.append(row)
    return rows


def _sample(row: Mapping[str, Any]) -> tuple[str, ResourceSample]:
    model_id = row.get("model_id", row.get("model"))
    if not isinstance(model_id, str):
        raise DocumentError("samples: a row has no model_id")
    readings = {name: row.get(name) for name in SAMPLE_FIELDS}
    sample = ResourceSample(
        t_ns=int(float(row["t_ms"]) * 1e6),
        wall_time=float(row.get("wall_time") or 0.0),
        **readings,
    )
    return model_id, sample


@dataclass(frozen=True)
class RunReport:
    """One run, ready to be laid out: typed results, records and samples plus display names."""

    run: Mapping[str, Any]
    results: list[ResultMetrics]
    records: list[RequestRecord]
    samples: dict[str, list[ResourceSample]] = field(default_factory=dict)
    result_errors: dict[tuple[str, str], str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> RunReport:
        """Read a run document; raises `DocumentError` when a part of it is malformed."""
        if not isinstance(document, Mapping):
            raise DocumentError("a run document is a JSON object")
        run = document.get("run")
        run = {} if run is None else run
        if not isinstance(run, Mapping):
            raise DocumentError("'run' must be an object")
        raw_results = _list(document, "results")
        raw_requests = _list(document, "requests")
        raw_samples = _list(document, "samples")
        try:
            results = [ResultMetrics.model_validate(r) for r in raw_results]
        except ValidationError as exc:
            raise DocumentError(f"results: {exc.errors()[0]['msg']}") from None
        try:
            records = [RequestRecord.from_dict(r) for r in raw_requests]
        except (KeyError, ValueError, TypeError) as exc:
            raise DocumentError(f"requests: not a request record ({exc})") from None
        samples: dict[str, list[ResourceSample]] = {}
        try:
            for row in raw_samples:
                model_id, sample = _sample(row)
                samples.setdefault(model_id, []).append(sample)
        except (KeyError, ValueError, TypeError) as exc:
            raise DocumentError(f"samples: not a resource sample ({exc})") from None
        for series in samples.values():
            series.sort(key=lambda s: s.t_ns)

        aliases = {str(k): str(v) for k, v in (run.get("model_aliases") or {}).items() if v}
        errors: dict[tuple[str, str], str] = {}
        for raw, result in zip(raw_results, results, strict=True):
            if raw.get("model_alias"):
                aliases.setdefault(result.model_id, str(raw["model_alias"]))
            if raw.get("error"):
                errors[(result.model_id, result.scenario)] = str(raw["error"])
        return cls(run, results, records, samples, errors, aliases)

    # -- the run -------------------------------------------------------------------------------

    @property
    def run_id(self) -> str | None:
        """The run's id (None for a document written by `flperf bench --json`)."""
        value = self.run.get("id")
        return str(value) if value is not None else None

    @property
    def suite_name(self) -> str | None:
        """Name of the suite run."""
        value = self.run.get("suite_name", self.run.get("suite"))
        return str(value) if value is not None else None

    @property
    def status(self) -> str:
        """How the run ended (completed, cancelled, failed, interrupted...)."""
        return str(self.run.get("status") or "unknown")

    @property
    def config(self) -> dict[str, Any]:
        """The run's configuration as recorded (`RunConfig` fields; timeout in ms)."""
        value = self.run.get("config")
        return dict(value) if isinstance(value, Mapping) else {}

    @property
    def started_at(self) -> float | None:
        """Unix seconds."""
        return _number(self.run.get("started_at"))

    @property
    def completed_at(self) -> float | None:
        """Unix seconds."""
        return _number(self.run.get("completed_at"))

    @property
    def duration_s(self) -> float | None:
        """Wall time from start to completion, seconds."""
        if self.started_at is None or self.completed_at is None:
            return None
        return max(0.0, self.completed_at - self.started_at)

    @property
    def run_error(self) -> str | None:
        """Why the run failed, when it did."""
        value = self.run.get("error")
        return str(value) if value else None

    @property
    def hardware_info(self) -> dict[str, Any]:
        """The recorded fingerprint as plain data ({} when none was recorded)."""
        value = self.run.get("hardware_info")
        return dict(value) if isinstance(value, Mapping) else {}

    @property
    def fingerprint(self) -> Fingerprint | None:
        """The recorded fingerprint, or None when absent or not in `Fingerprint`'s shape."""
        try:
            return Fingerprint.model_validate(self.hardware_info) if self.hardware_info else None
        except ValidationError:
            return None

    # -- models and scenarios ------------------------------------------------------------------

    @cached_property
    def models(self) -> list[str]:
        """Model ids in run order (the run's list, then any only seen in results or requests)."""
        seen: dict[str, None] = {str(m): None for m in self.run.get("model_ids") or []}
        for result in self.results:
            seen.setdefault(result.model_id, None)
        for record in self.records:
            seen.setdefault(record.model, None)
        return list(seen)

    @cached_property
    def scenarios(self) -> list[str]:
        """Scenario names in first-seen order (`*` excluded)."""
        seen: dict[str, None] = {}
        for result in self.results:
            if result.scenario != ALL_SCENARIOS:
                seen.setdefault(result.scenario, None)
        for record in self.records:
            seen.setdefault(record.scenario, None)
        return list(seen)

    def name(self, model_id: str) -> str:
        """What to call a model: its alias at run time, else its id; unique within the run."""
        alias = self.aliases.get(model_id)
        if alias is None or alias == model_id:
            return model_id
        clashes = [m for m in self.models if m != model_id and self.aliases.get(m, m) == alias]
        return f"{alias} ({model_id})" if clashes else alias

    @property
    def scenario_results(self) -> list[ResultMetrics]:
        """Per-(model, scenario) results in document order."""
        return [r for r in self.results if r.scenario != ALL_SCENARIOS]

    def model_total(self, model_id: str) -> ResultMetrics | None:
        """The `*` result of a model (all its scenarios together)."""
        return self.result(model_id, ALL_SCENARIOS)

    def result(self, model_id: str, scenario: str) -> ResultMetrics | None:
        """The result of one model on one scenario (or `*`)."""
        for result in self.results:
            if result.model_id == model_id and result.scenario == scenario:
                return result
        return None

    def measured(self, model_id: str, scenario: str | None = None) -> list[RequestRecord]:
        """Measured records (warm-up and cancelled excluded) of a model, optionally one scenario."""
        return [
            r
            for r in self.records
            if r.model == model_id
            and (scenario is None or r.scenario == scenario)
            and not r.warmup
            and r.status is not Status.CANCELLED
        ]

    def failed_records(self) -> list[RequestRecord]:
        """Measured records that ended in error or timeout."""
        return [
            r for r in self.records if not r.warmup and r.status in (Status.ERROR, Status.TIMEOUT)
        ]


def _list(document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise DocumentError(f"'{key}' must be a list of objects")
    return value


def json_ready(value: Any) -> Any:
    """`value` with every non-finite float (NaN, inf) replaced by None, which JSON can carry."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
