"""A benchmark run over one or more models: the one loop `flperf bench` and the server share.

Models are measured one after another, each served just before its turn and released right after
it (so a Foundry model does not share the machine with the next one). How a model is served
(`ModelServing`) and where its measurements go (`RunSink`) are the callers' parts: the CLI serves
from an endpoint or starts Foundry hosts itself and keeps everything in memory; the server's
worker process asks the server for each model and writes to the database as it measures.

A model that cannot be served gets result rows with `error` set (error rate 100) and the run goes
on with the next; only when no model could be served does the run end `failed`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from time import perf_counter_ns
from typing import Any, Protocol

from flperf.bench.fingerprint import Fingerprint, run_fingerprint
from flperf.bench.lifecycle import ModelLifecycle
from flperf.bench.metrics import ResultMetrics, aggregate
from flperf.bench.records import RequestRecord, Status
from flperf.bench.resource_figures import ResourceSample
from flperf.bench.run_config import RunConfig
from flperf.bench.run_document import ALL_SCENARIOS, RunState
from flperf.bench.runner import Runner, Target
from flperf.bench.workload import Suite


@dataclass(frozen=True)
class ModelRef:
    """A model of the run: `key` is what its records call it, `alias` what people call it."""

    key: str
    alias: str | None = None

    @property
    def label(self) -> str:
        return self.alias or self.key


class ServeError(Exception):
    """A model could not be served; the message says why."""


class ModelServing(Protocol):
    """How the models of a run are made to answer, and given back afterwards."""

    def describe(self, key: str) -> dict[str, Any]:
        """Facts a run's fingerprint records about the model (variant, EP, size); never raises."""
        ...

    def serve(self, key: str) -> Target:
        """Make the model answer (starting its server when needed); raises `ServeError`.

        The target's `lifecycle` says what serving it took, when known: whether it was started
        (`started_for_run`) and loaded (`cold_start`) for this run, load time, memory."""
        ...

    def release(self, key: str) -> ModelLifecycle | None:
        """Undo what `serve` started for this run (a server already running stays up); what
        stopping took (the unload), when something was stopped or the server tells."""
        ...


class RunSink(Protocol):
    """Where a run's measurements go as they are taken."""

    def started(self, fingerprint: Fingerprint, ref_ns: int) -> None:
        """The run begins on the machine (and models) the fingerprint describes; record and
        sample times are offsets from `ref_ns` (`perf_counter_ns` at the start)."""
        ...

    def record(self, record: RequestRecord) -> None:
        """One request's record; called on the event loop, so it must never block."""
        ...

    def measured(
        self,
        model: ModelRef,
        position: int,
        results: list[ResultMetrics],
        samples: list[ResourceSample],
        error: str | None,
    ) -> None:
        """A model's results (and resource samples); `error` when it could not be served."""
        ...

    def log(self, level: str, message: str) -> None:
        """Something worth telling about the run."""
        ...

    def lifecycle(self, model: ModelRef, facts: ModelLifecycle) -> None:
        """What serving (and, later, releasing) the model took in this run; the latest call
        holds all that is known."""
        ...


class StaticServing:
    """Models already answering at known endpoints: nothing to start or stop."""

    def __init__(
        self, targets: Sequence[Target], facts: dict[str, dict[str, Any]] | None = None
    ) -> None:
        self._targets = {t.name: t for t in targets}
        self._facts = facts or {}
        self.models = [ModelRef(t.name) for t in targets]

    def describe(self, key: str) -> dict[str, Any]:
        target = self._targets[key]
        default = {"provider": "openai", "model_variant_id": target.served_model}
        return {**default, "endpoint": target.endpoint, **self._facts.get(key, {})}

    def serve(self, key: str) -> Target:
        return self._targets[key]

    def release(self, key: str) -> ModelLifecycle | None:
        return None

    def close(self) -> None:
        return None


def planned_requests(suite: Suite, config: RunConfig) -> int:
    """Requests one model gets: per scenario, the warm-up once plus trials x iterations."""
    return len(suite.scenarios) * (config.warmup + config.trials * config.iterations)


def failed_results(model_key: str, suite: Suite) -> list[ResultMetrics]:
    """Results of a model that could not be measured at all: nothing attempted, 100 % failed."""
    names = [s.name for s in suite.scenarios] + [ALL_SCENARIOS]
    return [
        aggregate([], model_key, name).model_copy(
            update={"error_rate": 100.0, "errors_by_kind": {"model_start": 1}}
        )
        for name in names
    ]


@dataclass(frozen=True)
class ProgressSnapshot:
    """Where a run stands: requests done of total, what is measured now, the ETA."""

    done: int
    total: int
    ok: int
    failed: int
    model: str | None
    scenario: str | None
    eta_s: float | None


@dataclass(frozen=True)
class SessionOutcome:
    """How the run ended: `completed`, `cancelled` or `failed` (no model could be served)."""

    status: RunState
    error: str | None
    started_at: float
    completed_at: float
    ref_ns: int
    models_failed: list[str]

    @property
    def duration_s(self) -> float:
        return max(0.0, self.completed_at - self.started_at)


class BenchSession:
    """One run of `suite` on `models`. `run()` once; `cancel()` and `snapshot()` from any thread."""

    def __init__(
        self,
        models: Sequence[ModelRef],
        suite: Suite,
        config: RunConfig,
        serving: ModelServing,
        sink: RunSink,
        *,
        monitor_interval_s: float | None = 0.25,
    ) -> None:
        if not models:
            raise ValueError("a run needs at least one model")
        self.models = list(models)
        self.suite = suite.select(config.scenarios)
        self.config = config
        self._serving = serving
        self._sink = sink
        self._monitor_interval_s = monitor_interval_s
        self.per_model = planned_requests(self.suite, config)
        self.total = self.per_model * len(self.models)
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._runner: Runner | None = None
        self._before = (0, 0, 0)  # done, ok, failed of the models measured so far
        self._model: str | None = None
        self._started_ns = perf_counter_ns()

    # -- control and observation ---------------------------------------------------------

    def cancel(self) -> None:
        """Stop promptly: requests in flight end `cancelled`, what was measured is kept."""
        self._cancelled.set()
        with self._lock:
            runner = self._runner
        if runner is not None:
            runner.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def snapshot(self) -> ProgressSnapshot:
        """Progress of the whole run (all models), safe to call from any thread."""
        with self._lock:
            runner, (done, ok, failed), model = self._runner, self._before, self._model
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
        elif done >= self.total:
            eta = 0.0
        return ProgressSnapshot(done, self.total, ok, failed, model, scenario, eta)

    # -- measuring -----------------------------------------------------------------------

    async def run(self) -> SessionOutcome:
        """Measure every model in turn; raises only when the sink itself fails."""
        started_at = time.time()
        self._started_ns = ref_ns = perf_counter_ns()
        fingerprint = await asyncio.to_thread(self._fingerprint)
        await asyncio.to_thread(self._sink.started, fingerprint, ref_ns)
        failed: list[str] = []
        reasons: list[str] = []
        try:
            for position, model in enumerate(self.models):
                if self.cancelled:
                    break
                with self._lock:
                    self._model = model.key
                reason = await self._measure(model, position, ref_ns)
                if reason is not None:
                    failed.append(model.key)
                    reasons.append(reason)
        finally:
            with self._lock:
                self._model = None
        if self.cancelled:
            status, error = RunState.CANCELLED, None
        elif len(failed) == len(self.models):
            reason = "; ".join(reasons)
            status, error = RunState.FAILED, f"no model could be started ({reason})"
        else:
            status, error = RunState.COMPLETED, None
        return SessionOutcome(status, error, started_at, time.time(), ref_ns, failed)

    def _fingerprint(self) -> Fingerprint:
        return run_fingerprint({m.key: self._serving.describe(m.key) for m in self.models})

    async def _measure(self, model: ModelRef, position: int, ref_ns: int) -> str | None:
        """Serve, measure and release one model; the reason when it could not be served."""
        try:
            target = await asyncio.to_thread(self._serving.serve, model.key)
        except ServeError as exc:
            reason = f"model {model.label} could not be started: {exc or type(exc).__name__}"
            self._sink.log("error", reason)
            results = failed_results(model.key, self.suite)
            await asyncio.to_thread(self._sink.measured, model, position, results, [], reason)
            self._advance(self.per_model, 0, self.per_model)
            return reason
        loaded = target.lifecycle
        if loaded is not None:
            await asyncio.to_thread(self._sink.lifecycle, model, loaded)
        runner = Runner(
            target,
            self.suite,
            self.config,
            on_record=self._sink.record,
            monitor_interval_s=self._monitor_interval_s,
            ref_ns=ref_ns,
            first_index=position * self.per_model,
        )
        with self._lock:
            self._runner = runner
        if self.cancelled:
            runner.cancel()
        self._sink.log("info", f"Measuring {model.label} ({runner.progress.total} requests)")
        try:
            outcome = await runner.run()
        finally:
            released = await asyncio.to_thread(self._serving.release, model.key)
            if loaded is not None or released is not None:
                after = released.without_run_flags() if released is not None else None
                facts = (loaded or ModelLifecycle()).merged(after)
                await asyncio.to_thread(self._sink.lifecycle, model, facts)
        await asyncio.to_thread(
            self._sink.measured, model, position, outcome.results, outcome.samples, None
        )
        progress = runner.progress
        with self._lock:
            self._runner = None
        self._advance(progress.done, progress.ok, progress.failed)
        failures = (Status.ERROR, Status.TIMEOUT)
        errors = sum(1 for r in outcome.records if not r.warmup and r.status in failures)
        self._sink.log(
            "warning" if errors else "info",
            f"Measured {model.label}: {progress.ok} ok, {errors} failed"
            + (" (cancelled)" if outcome.cancelled else ""),
        )
        return None

    def _advance(self, done: int, ok: int, failed: int) -> None:
        with self._lock:
            d, o, f = self._before
            self._before = (d + done, o + ok, f + failed)
