"""Measuring one queued run: each model in turn, its records stored as they complete.

Each model gets its own `Runner` (so a Foundry model is started just before its turn and the
machine is not shared with the next one). Records are moved onto one time axis and one index
sequence for the whole run before they are stored. A model that cannot start gets result rows
with `error` set (error_rate 100) and log records; the other models still run.
"""

from __future__ import annotations

import asyncio
import threading
from time import perf_counter_ns

from flperf.bench.metrics import ResultMetrics, aggregate
from flperf.bench.run_config import RunConfig
from flperf.bench.runner import Runner, RunStatus
from flperf.bench.workload import Suite
from flperf.service.errors import ServiceError
from flperf.service.logbook import Logbook
from flperf.service.models import ModelService
from flperf.service.views import CurrentView, ProgressView
from flperf.store import Database, RecordWriter
from flperf.store.requests_repo import insert_samples
from flperf.store.runs_repo import SUMMARY_SCENARIO, replace_results, result_row
from flperf.store.tables import RunRow

POSITIONS_PER_MODEL = 100_000


def planned_requests(suite: Suite, config: RunConfig) -> int:
    """Requests one model gets: per scenario, the warm-up once plus trials x iterations."""
    return len(suite.scenarios) * (config.warmup + config.trials * config.iterations)


def failed_results(model_id: str, suite: Suite, reason: str) -> list[ResultMetrics]:
    """Results of a model that could not be measured at all: nothing attempted, 100 % failed."""
    names = [s.name for s in suite.scenarios] + [SUMMARY_SCENARIO]
    return [
        aggregate([], model_id, name).model_copy(
            update={"error_rate": 100.0, "errors_by_kind": {"model_start": 1}}
        )
        for name in names
    ]


class RunExecution:
    """One run being measured; `cancel()` and `snapshot()` are safe from any thread."""

    def __init__(
        self,
        row: RunRow,
        suite: Suite,
        config: RunConfig,
        db: Database,
        models: ModelService,
        logbook: Logbook,
        monitor_interval_s: float | None = 0.25,
    ) -> None:
        self.run_id = row.id
        self.model_ids = [str(m) for m in row.model_ids]
        self.aliases = {str(k): str(v) for k, v in row.model_aliases.items()}
        self.total = row.requests_total
        self.suite = suite
        self.config = config
        self._db = db
        self._models = models
        self._logbook = logbook
        self._monitor_interval_s = monitor_interval_s
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._runner: Runner | None = None
        self._done_before = 0
        self._ok_before = 0
        self._failed_before = 0
        self._current_model: str | None = None
        self._started_ns = perf_counter_ns()
        self.models_failed: list[str] = []

    # -- control and observation ---------------------------------------------------------

    def cancel(self) -> None:
        """Stop promptly; what was measured is kept."""
        self._cancelled.set()
        with self._lock:
            runner = self._runner
        if runner is not None:
            runner.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def snapshot(self) -> tuple[ProgressView, CurrentView | None, float | None]:
        """Progress, what runs now, and the ETA in seconds (None until a request ended)."""
        with self._lock:
            runner = self._runner
            done, ok, failed = self._done_before, self._ok_before, self._failed_before
            model = self._current_model
        scenario = None
        if runner is not None:
            progress = runner.progress
            done, ok, failed = done + progress.done, ok + progress.ok, failed + progress.failed
            scenario = progress.scenario
        done = min(done, self.total)
        eta = None
        if 0 < done < self.total:
            elapsed = (perf_counter_ns() - self._started_ns) / 1e9
            eta = elapsed / done * (self.total - done)
        elif self.total and done >= self.total:
            eta = 0.0
        view = ProgressView(
            done=done,
            total=self.total,
            fraction=done / self.total if self.total else 1.0,
            ok=ok,
            failed=failed,
        )
        current = None
        if model is not None:
            current = CurrentView(
                model_id=model, model_alias=self.aliases.get(model), scenario=scenario
            )
        return view, current, eta

    # -- measuring -----------------------------------------------------------------------

    async def run(self) -> RunStatus:
        """Measure every model; returns COMPLETED or CANCELLED (raises on a broken store)."""
        self._started_ns = ref_ns = perf_counter_ns()
        writer = RecordWriter(self._db, self.run_id)
        try:
            for position, model_id in enumerate(self.model_ids):
                if self.cancelled:
                    return RunStatus.CANCELLED
                with self._lock:
                    self._current_model = model_id
                status = await self._measure_model(model_id, position, ref_ns, writer)
                if status is RunStatus.CANCELLED:
                    return RunStatus.CANCELLED
            return RunStatus.CANCELLED if self.cancelled else RunStatus.COMPLETED
        finally:
            await asyncio.to_thread(writer.close)
            with self._lock:
                self._current_model = None

    async def _measure_model(
        self, model_id: str, position: int, ref_ns: int, writer: RecordWriter
    ) -> RunStatus:
        alias = self.aliases.get(model_id, model_id)
        per_model = planned_requests(self.suite, self.config)
        try:
            target, started_here = await asyncio.to_thread(
                self._models.ensure_serving, model_id, f"run {self.run_id}"
            )
        except ServiceError as exc:
            reason = f"model {alias} could not be started: {exc}"
            self._logbook.run(self.run_id, "error", reason, model_id=model_id)
            self.models_failed.append(model_id)
            self._store_results(
                model_id, position, failed_results(model_id, self.suite, reason), reason
            )
            self._advance(per_model, 0, per_model)
            return RunStatus.COMPLETED
        if started_here:
            self._logbook.run(self.run_id, "info", f"Started {alias} for this run")
        runner = Runner(
            [target],
            self.suite,
            self.config,
            on_record=writer.add,
            monitor_interval_s=self._monitor_interval_s,
            ref_ns=ref_ns,
            first_index=position * per_model,
        )
        with self._lock:
            self._runner = runner
        if self.cancelled:
            runner.cancel()
        self._logbook.run(
            self.run_id, "info", f"Measuring {alias} ({runner.progress.total} requests)"
        )
        try:
            outcome = await runner.run()
        finally:
            if started_here:
                await asyncio.to_thread(self._stop_quietly, model_id, alias)
        self._store_results(model_id, position, outcome.results, None)
        with self._db.write() as session:
            for samples in outcome.samples.values():
                insert_samples(session, self.run_id, model_id, samples, ref_ns)
        progress = runner.progress
        with self._lock:
            self._runner = None
        self._advance(progress.done, progress.ok, progress.failed)
        failed = sum(r.requests_failed for r in outcome.results if r.scenario != SUMMARY_SCENARIO)
        level = "warning" if failed else "info"
        self._logbook.run(
            self.run_id,
            level,
            f"Measured {alias}: {progress.ok} ok, {failed} failed"
            + (" (cancelled)" if outcome.status is RunStatus.CANCELLED else ""),
        )
        return outcome.status

    def _advance(self, done: int, ok: int, failed: int) -> None:
        with self._lock:
            self._done_before += done
            self._ok_before += ok
            self._failed_before += failed

    def _store_results(
        self,
        model_id: str,
        position: int,
        results: list[ResultMetrics],
        error: str | None,
    ) -> None:
        alias = self.aliases.get(model_id)
        rows = [
            result_row(self.run_id, position * POSITIONS_PER_MODEL + i, result, alias, error)
            for i, result in enumerate(results)
        ]
        with self._db.write() as session:
            replace_results(session, self.run_id, model_id, rows)

    def _stop_quietly(self, model_id: str, alias: str) -> None:
        try:
            self._models.stop(model_id)
            self._logbook.run(self.run_id, "info", f"Stopped {alias} (started for this run)")
        except ServiceError as exc:
            self._logbook.run(self.run_id, "warning", f"Could not stop {alias}: {exc}")
