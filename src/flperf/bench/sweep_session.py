"""A sweep measured in this process (`flperf sweep`): one `BenchSession` per point.

Each model is served once for all its points (a Foundry host is not restarted between loads)
and released when its sweep ends. Which load comes next is `flperf.bench.sweep.next_step`, the
same function the server's sweeps use, so both measure the same points.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flperf.bench.document_sink import DocumentSink
from flperf.bench.lifecycle import ModelLifecycle
from flperf.bench.run_config import RunConfig
from flperf.bench.run_document import ALL_SCENARIOS, RunDocument, RunState
from flperf.bench.runner import Target
from flperf.bench.session import BenchSession, ModelRef, ModelServing, ProgressSnapshot
from flperf.bench.sweep import SweepPoint, SweepSettings, next_step
from flperf.bench.sweep_document import ModelSweep, SweepDocument, SweepInfo
from flperf.bench.workload import Suite


def new_sweep_id() -> str:
    """A fresh sweep id such as `sweep_3f9a0c1b2d4e5f60` (the store's id shape)."""
    return f"sweep_{secrets.token_hex(8)}"


class HeldServing:
    """Serves each model once and keeps it up across points until `release_now`."""

    def __init__(self, inner: ModelServing) -> None:
        self._inner = inner
        self._held: dict[str, Target] = {}

    def describe(self, key: str) -> dict[str, Any]:
        return self._inner.describe(key)

    def serve(self, key: str) -> Target:
        if key not in self._held:
            self._held[key] = self._inner.serve(key)
            return self._held[key]
        target = self._held[key]
        if target.lifecycle is None:
            return target
        # Served for an earlier point: this point neither started nor loaded it.
        warm = target.lifecycle.model_copy(update={"started_for_run": False, "cold_start": False})
        return replace(target, lifecycle=warm)

    def release(self, key: str) -> ModelLifecycle | None:
        return None  # a point ends; the model stays up for the next one

    def release_now(self, key: str) -> None:
        """The model's sweep is over: undo what serving it started."""
        if self._held.pop(key, None) is not None:
            self._inner.release(key)


@dataclass(frozen=True)
class SweepProgress:
    """Where a sweep stands: the model and load measured now, points done, the point's run."""

    model: str | None
    load: float | None
    points: int
    run: ProgressSnapshot | None


PointCallback = Callable[[ModelRef, SweepPoint, RunDocument], None]


class SweepSession:
    """One sweep of `models`. `run()` once; `cancel()` and `snapshot()` from any thread."""

    def __init__(
        self,
        models: Sequence[ModelRef],
        suite: Suite,
        config: RunConfig,
        settings: SweepSettings,
        serving: ModelServing,
        *,
        endpoint: str | None = None,
        monitor_interval_s: float | None = 0.25,
        on_point: PointCallback | None = None,
    ) -> None:
        if not models:
            raise ValueError("a sweep needs at least one model")
        self.id = new_sweep_id()
        self.models = list(models)
        self.suite = suite.select(config.scenarios)
        self.config = config
        self.settings = settings
        self._serving = HeldServing(serving)
        self._endpoint = endpoint
        self._monitor_interval_s = monitor_interval_s
        self._on_point = on_point
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._session: BenchSession | None = None
        self._model: str | None = None
        self._load: float | None = None
        self._points = 0

    def cancel(self) -> None:
        """Stop the point being measured and measure no more."""
        self._cancelled.set()
        with self._lock:
            session = self._session
        if session is not None:
            session.cancel()

    def snapshot(self) -> SweepProgress:
        with self._lock:
            session, model, load, points = self._session, self._model, self._load, self._points
        return SweepProgress(model, load, points, session.snapshot() if session else None)

    async def run(self) -> SweepDocument:
        """Measure every model's points in turn; the document of what was measured."""
        started_at = time.time()
        models: list[ModelSweep] = []
        runs: list[RunDocument] = []
        failed: list[str] = []
        for model in self.models:
            if self._cancelled.is_set():
                break
            sweep, model_runs, error = await self._sweep_model(model)
            models.append(sweep)
            runs += model_runs
            if error is not None:
                failed.append(f"{model.label}: {error}")
        if self._cancelled.is_set():
            status, error_text = RunState.CANCELLED, None
        elif failed and len(failed) == len(self.models):
            status, error_text = RunState.FAILED, "; ".join(failed)
        else:
            status, error_text = RunState.COMPLETED, None
        info = SweepInfo(
            id=self.id,
            suite_name=self.suite.name,
            model_ids=[m.key for m in self.models],
            model_aliases=[m.alias for m in self.models],
            endpoint=self._endpoint,
            config=self.config,
            settings=self.settings,
            status=status,
            error=error_text,
            created_at=int(started_at),
            started_at=int(started_at),
            completed_at=int(time.time()),
        )
        return SweepDocument.build(info, models, runs)

    async def _sweep_model(
        self, model: ModelRef
    ) -> tuple[ModelSweep, list[RunDocument], str | None]:
        points: list[SweepPoint] = []
        runs: list[RunDocument] = []
        reason: str | None = None
        error: str | None = None
        with self._lock:
            self._model = model.key
        try:
            while not self._cancelled.is_set():
                step = next_step(self.settings, points)
                if step.load is None:
                    reason = step.reason
                    break
                document = await self._measure(model, step.load)
                runs.append(document)
                summary = next(
                    (
                        r
                        for r in document.results
                        if r.scenario == ALL_SCENARIOS and r.model_id == model.key
                    ),
                    None,
                )
                point = SweepPoint.of(
                    step.load, summary, self.settings, document.run.id, document.run.status
                )
                points.append(point)
                with self._lock:
                    self._points += 1
                if self._on_point is not None:
                    self._on_point(model, point, document)
                if document.run.status is RunState.FAILED:
                    error = reason = document.run.error or "the run failed"
                    break
        finally:
            with self._lock:
                self._session, self._load = None, None
            await asyncio.to_thread(self._serving.release_now, model.key)
        done = not self._cancelled.is_set()
        sweep = ModelSweep.of(
            model.key, model.alias, points, self.settings, done=done, stop_reason=reason
        )
        return sweep, runs, error

    async def _measure(self, model: ModelRef, load: float) -> RunDocument:
        config = self.settings.point_config(self.config, load)
        sink = DocumentSink()
        session = BenchSession(
            [model],
            self.suite,
            config,
            self._serving,
            sink,
            monitor_interval_s=self._monitor_interval_s,
        )
        with self._lock:
            self._session, self._load = session, load
        if self._cancelled.is_set():
            session.cancel()
        outcome = await session.run()
        document = sink.document(session, outcome, self._endpoint)
        run = document.run.model_copy(update={"sweep_id": self.id})
        return document.model_copy(update={"run": run})
