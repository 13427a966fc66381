"""A run document prepared for layout: the one input of every report.

`RunReport` wraps a `flperf.bench.run_document.RunDocument` (written by `flperf bench --json` or
assembled from the store) with what reports need besides the data: unique display names, each
model's records and results, samples per model on the run's time axis (origin 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from flperf.bench.fingerprint import Fingerprint
from flperf.bench.metrics import ResultMetrics
from flperf.bench.records import RequestRecord, Status
from flperf.bench.resource_figures import ResourceSample
from flperf.bench.run_config import RunConfig
from flperf.bench.run_document import ALL_SCENARIOS, DocumentError, RunDocument

__all__ = ["ALL_SCENARIOS", "DocumentError", "RunReport", "json_ready"]


class RunReport:
    """One run document, ready to be laid out: typed results, records and samples plus names."""

    def __init__(self, document: RunDocument) -> None:
        self.document = document
        self.run = document.run
        self.results: list[ResultMetrics] = list(document.results)
        self.records: list[RequestRecord] = list(document.requests)
        self.samples: dict[str, list[ResourceSample]] = document.samples_by_model()
        self.aliases: dict[str, str] = {
            m: a for m, a in zip(self.run.model_ids, self.run.model_aliases, strict=False) if a
        }
        for entry in document.results:
            if entry.model_alias:
                self.aliases.setdefault(entry.model_id, entry.model_alias)
        self.result_errors: dict[tuple[str, str], str] = {
            (e.model_id, e.scenario): e.error for e in document.results if e.error
        }

    @classmethod
    def from_document(cls, data: RunDocument | Mapping[str, Any] | bytes | str) -> RunReport:
        """A report of a document given as data or JSON (raises `DocumentError`)."""
        return cls(data if isinstance(data, RunDocument) else RunDocument.parse(data))

    # -- the run -------------------------------------------------------------------------------

    @property
    def run_id(self) -> str | None:
        """The run's id (None for a document of an old `flperf bench --json`)."""
        return self.run.id

    @property
    def suite_name(self) -> str:
        """Name of the suite run."""
        return self.run.suite_name

    @property
    def status(self) -> str:
        """How the run ended (completed, cancelled, failed, interrupted...)."""
        return self.run.status.value

    @property
    def config(self) -> RunConfig:
        """The run's settings (`timeout` in ms)."""
        return self.run.config

    @property
    def started_at(self) -> float | None:
        """Unix seconds."""
        return self.run.started_at

    @property
    def completed_at(self) -> float | None:
        """Unix seconds."""
        return self.run.completed_at

    @property
    def duration_s(self) -> float | None:
        """Length of the run, seconds."""
        if self.run.duration_s is not None:
            return self.run.duration_s
        if self.started_at is None or self.completed_at is None:
            return None
        return max(0.0, self.completed_at - self.started_at)

    @property
    def run_error(self) -> str | None:
        """Why the run failed, when it did."""
        return self.run.error

    @property
    def fingerprint(self) -> Fingerprint | None:
        """The recorded fingerprint (None when none was recorded)."""
        return self.run.hardware_info

    # -- models and scenarios ------------------------------------------------------------------

    @cached_property
    def models(self) -> list[str]:
        """Model ids in run order (the run's list, then any only seen in results or requests)."""
        seen: dict[str, None] = dict.fromkeys(self.run.model_ids)
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


def json_ready(value: Any) -> Any:
    """`value` with every non-finite float (NaN, inf) replaced by None, which JSON can carry."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value
