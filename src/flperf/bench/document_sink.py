"""A `RunSink` that keeps a run in memory and hands it over as a `RunDocument` (the CLI's sink)."""

from __future__ import annotations

from collections.abc import Sequence

from flperf.bench import event_loop
from flperf.bench.fingerprint import Fingerprint
from flperf.bench.lifecycle import ModelLifecycle
from flperf.bench.metrics import ResultMetrics
from flperf.bench.records import RequestRecord
from flperf.bench.resource_figures import ResourceSample
from flperf.bench.run_config import RunConfig, workload_hash
from flperf.bench.run_document import (
    ProgressDetail,
    ResultEntry,
    RunDocument,
    RunInfo,
    SampleEntry,
    new_run_id,
)
from flperf.bench.session import BenchSession, ModelRef, ModelServing, SessionOutcome
from flperf.bench.workload import Suite
from flperf.config import machine_name


class DocumentSink:
    """Collects records, results, samples and log lines of one session."""

    def __init__(self) -> None:
        self.run_id = new_run_id()
        self.fingerprint: Fingerprint | None = None
        self.records: list[RequestRecord] = []
        self.logs: list[tuple[str, str]] = []
        self._results: list[tuple[int, list[ResultEntry]]] = []
        self._samples: list[tuple[str, list[ResourceSample]]] = []
        self.lifecycles: dict[str, ModelLifecycle] = {}

    def started(self, fingerprint: Fingerprint, ref_ns: int) -> None:
        self.fingerprint = fingerprint

    def record(self, record: RequestRecord) -> None:
        self.records.append(record)

    def measured(
        self,
        model: ModelRef,
        position: int,
        results: list[ResultMetrics],
        samples: list[ResourceSample],
        error: str | None,
    ) -> None:
        entries = [
            ResultEntry.model_validate(
                {**r.model_dump(), "model_alias": model.alias, "error": error}
            )
            for r in results
        ]
        self._results.append((position, entries))
        self._samples.append((model.key, samples))

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))

    def lifecycle(self, model: ModelRef, facts: ModelLifecycle) -> None:
        self.lifecycles[model.key] = facts

    def document(
        self, session: BenchSession, outcome: SessionOutcome, endpoint: str | None = None
    ) -> RunDocument:
        """The whole run, as the server would export it."""
        records = sorted(self.records, key=lambda r: r.index)
        detail = ProgressDetail(done=len(records), total=session.total)
        run = RunInfo(
            id=self.run_id,
            suite_name=session.suite.name,
            suite_version=session.suite.version,
            model_ids=[m.key for m in session.models],
            model_aliases=[m.alias for m in session.models],
            endpoint=endpoint,
            machine=machine_name(),
            config=session.config,
            hardware_info=self.fingerprint,
            status=outcome.status,
            error=outcome.error,
            created_at=int(outcome.started_at),
            started_at=int(outcome.started_at),
            completed_at=int(outcome.completed_at),
            duration_s=outcome.duration_s,
            scenarios=[s.name for s in session.suite.scenarios],
            workload_hash=workload_hash(session.suite.content_dict(), session.config),
            lifecycle=dict(self.lifecycles),
            progress=detail.percent,
            progress_detail=detail,
        )
        ordered = sorted(self._results, key=lambda pair: pair[0])
        results = [entry for _, entries in ordered for entry in entries]
        samples = [
            SampleEntry.from_sample(key, sample, outcome.ref_ns)
            for key, series in self._samples
            for sample in series
        ]
        return RunDocument(run=run, results=results, requests=records, samples=samples)


def measure_to_document(
    models: Sequence[ModelRef],
    suite: Suite,
    config: RunConfig,
    serving: ModelServing,
    *,
    endpoint: str | None = None,
    monitor_interval_s: float | None = 0.25,
) -> RunDocument:
    """Run `suite` on `models` to the end and return the run document (blocking)."""
    sink = DocumentSink()
    session = BenchSession(
        models, suite, config, serving, sink, monitor_interval_s=monitor_interval_s
    )
    outcome = event_loop.run(session.run())
    return sink.document(session, outcome, endpoint)
