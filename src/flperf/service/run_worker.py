"""The worker of the run queue: one thread, with its own event loop, measuring queued runs in
order. While a run is measured it is the worker's active run; its status and progress come from
memory, and become the database's only once the database says the run ended."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time

from sqlalchemy import select, update
from sqlalchemy.orm import undefer

from flperf.bench import event_loop
from flperf.bench.fingerprint import Fingerprint, run_fingerprint
from flperf.bench.run_config import RunConfig
from flperf.bench.runner import RunStatus
from flperf.bench.workload import parse_suite
from flperf.service.logbook import Logbook
from flperf.service.models import ModelService
from flperf.service.run_execution import RunExecution
from flperf.service.views import ProgressView
from flperf.store import Database, RunRow
from flperf.store.logs_repo import add_log
from flperf.store.runs_repo import get_run, rowcount

log = logging.getLogger(__name__)


class RunWorker:
    """Measures queued runs one at a time; `active`/`live` tell which one, `close` stops it."""

    def __init__(
        self,
        db: Database,
        models: ModelService,
        logbook: Logbook,
        monitor_interval_s: float | None = 0.25,
    ) -> None:
        self._db = db
        self._models = models
        self._logbook = logbook
        self._monitor_interval_s = monitor_interval_s
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._active: RunExecution | None = None
        self._started = False  # the active run is `running` in the database
        self._thread: threading.Thread | None = None
        self.closing = False

    def submit(self, run_id: str) -> None:
        """Queue a run (already stored as `queued`)."""
        self._queue.put(run_id)

    def active(self, run_id: str) -> RunExecution | None:
        """The execution of `run_id` if the worker holds it (even before it is `running`)."""
        with self._lock:
            active = self._active
        return active if active is not None and active.run_id == run_id else None

    def live(self, run_id: str) -> RunExecution | None:
        """The execution of `run_id` once the database says it is `running`."""
        with self._lock:
            active, started = self._active, self._started
        if active is not None and started and active.run_id == run_id:
            return active
        return None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="flperf-runs", daemon=True)
            self._thread.start()

    def close(self, timeout_s: float = 30.0) -> None:
        """Cancel the active run (it ends `cancelled`) and stop the thread."""
        self.closing = True
        with self._lock:
            active = self._active
        if active is not None:
            active.cancel()
            self._logbook.run(active.run_id, "info", "Cancelling: the server is shutting down")
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _work(self) -> None:
        while True:
            run_id = self._queue.get()
            if run_id is None or self.closing:
                return
            try:
                self._execute(run_id)
            except Exception as exc:  # the worker must survive anything one run does
                log.exception("run %s failed in the worker", run_id)
                self._fail_unfinished(run_id, f"{type(exc).__name__}: {exc}")

    def _fail_unfinished(self, run_id: str, error: str) -> None:
        """A run the worker could not handle ends `failed` (never stays queued or running)."""
        with contextlib.suppress(Exception), self._db.write() as session:
            row = get_run(session, run_id)
            if row is not None and row.status in ("queued", "running"):
                row.status = "failed"
                row.error = error
                row.completed_at = time.time()
                add_log(session, "run", run_id, "error", f"Run failed: {error}")

    def _execute(self, run_id: str) -> None:
        with self._db.read() as session:
            row = session.scalars(
                select(RunRow).where(RunRow.id == run_id).options(undefer(RunRow.suite))
            ).first()
        if row is None or row.status != "queued":
            return
        execution = RunExecution(
            row,
            parse_suite(row.suite, f"run {run_id}"),
            RunConfig.model_validate(row.config),
            self._db,
            self._models,
            self._logbook,
            self._monitor_interval_s,
        )
        with self._lock:
            self._active, self._started = execution, False
        try:
            hardware = self._fingerprint(row.model_ids).model_dump(mode="json")
            with self._db.write() as session:
                changed = rowcount(
                    session.execute(
                        update(RunRow)
                        .where(RunRow.id == run_id, RunRow.status == "queued")
                        .values(status="running", started_at=time.time(), hardware_info=hardware)
                    )
                )
                if changed:
                    add_log(session, "run", run_id, "info", "Run started")
            if not changed:
                return  # cancelled meanwhile
            with self._lock:
                self._started = True
            self._finish(run_id, execution, *self._measure(execution))
        finally:
            with self._lock:
                self._active, self._started = None, False

    def _fingerprint(self, model_ids: list[str]) -> Fingerprint:
        """The machine, plus each model's variant, execution provider and size on disk."""
        return run_fingerprint({m: self._models.fingerprint_facts(m) for m in model_ids})

    def _measure(self, execution: RunExecution) -> tuple[str, str | None]:
        try:
            outcome = event_loop.run(execution.run())
        except Exception as exc:
            log.exception("run %s failed", execution.run_id)
            return "failed", f"{type(exc).__name__}: {exc}"
        if outcome is RunStatus.CANCELLED:
            return "cancelled", None
        if execution.models_failed and len(execution.models_failed) == len(execution.model_ids):
            return "failed", "no model could be started (see the run's logs)"
        return "completed", None

    def _finish(self, run_id: str, execution: RunExecution, status: str, error: str | None) -> None:
        progress: ProgressView = execution.snapshot()[0]
        with self._db.write() as session:
            row = get_run(session, run_id)
            if row is None:
                return
            row.status = status
            row.error = error
            row.completed_at = max(time.time(), row.started_at or 0.0)
            row.requests_done = progress.done
            level = "error" if status == "failed" else "info"
            message = f"Run {status}" + (f": {error}" if error else "")
            add_log(session, "run", run_id, level, message, {"requests_done": progress.done})
