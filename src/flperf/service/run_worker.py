"""The run queue: one thread of the server takes queued runs in order and has each measured by
its own worker process (`flperf.service.worker_handle`), so runs never share the API's process.

While a run is measured it is the worker's active run; its status and progress come from the
worker's reports, and become the database's only once the database says the run ended.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable

from flperf.bench.run_document import RunState
from flperf.service.logbook import Logbook
from flperf.service.models import ModelService
from flperf.service.recompute import recompute_results
from flperf.service.worker_handle import WorkerHandle, WorkerResult
from flperf.store import Database
from flperf.store.logs_repo import add_log
from flperf.store.requests_repo import count_records
from flperf.store.runs_repo import change_status, get_run, set_worker_pid

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
        self._active: WorkerHandle | None = None
        self._started = False  # the active run is `running` in the database
        self._thread: threading.Thread | None = None
        self.closing = False
        self.on_finished: list[Callable[[str], None]] = []
        """Called with each run id the queue is done with (ended, or cancelled while queued)."""

    def submit(self, run_id: str) -> None:
        """Queue a run (already stored as `queued`)."""
        self._queue.put(run_id)

    def active(self, run_id: str) -> WorkerHandle | None:
        """The worker of `run_id` if it is the one being handled (even before `running`)."""
        with self._lock:
            active = self._active
        return active if active is not None and active.run_id == run_id else None

    def live(self, run_id: str) -> WorkerHandle | None:
        """The worker of `run_id` once the database says it is `running`."""
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
            self._logbook.run(active.run_id, "info", "Cancelling: the server is shutting down")
            active.cancel()
        self._queue.put(None)
        if self._thread is None:
            return
        self._thread.join(timeout_s)
        if self._thread.is_alive() and active is not None:
            active.kill()  # it did not stop when asked; its records are stored already
            self._thread.join(10.0)

    def _work(self) -> None:
        while True:
            run_id = self._queue.get()
            if run_id is None or self.closing:
                return
            try:
                self._execute(run_id)
            except Exception as exc:  # the queue must survive anything one run does
                log.exception("run %s failed in the run queue", run_id)
                self._fail_unfinished(run_id, f"{type(exc).__name__}: {exc}")
            for hook in self.on_finished:
                try:
                    hook(run_id)
                except Exception:  # nor anything a hook does
                    log.exception("a hook failed after run %s", run_id)

    def _fail_unfinished(self, run_id: str, error: str) -> None:
        """A run the queue could not handle ends `failed` (never stays queued or running)."""
        with contextlib.suppress(Exception), self._db.write() as session:
            for state in (RunState.QUEUED, RunState.RUNNING):
                if change_status(
                    session, run_id, state, RunState.FAILED, error=error, completed_at=time.time()
                ):
                    add_log(session, "run", run_id, "error", f"Run failed: {error}")

    def _execute(self, run_id: str) -> None:
        with self._db.read() as session:
            row = get_run(session, run_id)
        if row is None or row.status != RunState.QUEUED:
            return
        handle = WorkerHandle(
            run_id,
            row.requests_total,
            self._models,
            self._logbook,
            self._db.url,
            self._monitor_interval_s,
        )
        with self._lock:
            self._active, self._started = handle, False
        try:
            with self._db.write() as session:
                changed = change_status(
                    session, run_id, RunState.QUEUED, RunState.RUNNING, started_at=time.time()
                )
                if changed:
                    add_log(session, "run", run_id, "info", "Run started")
            if not changed:
                return  # cancelled meanwhile
            handle.start()
            with self._db.write() as session:
                set_worker_pid(session, run_id, handle.pid)
            with self._lock:
                self._started = True
            self._logbook.run(run_id, "info", f"Measuring in worker process {handle.pid}")
            self._finish(run_id, handle.wait())
        finally:
            with self._lock:
                self._active, self._started = None, False

    def _finish(self, run_id: str, result: WorkerResult) -> None:
        with self._db.write() as session:
            row = get_run(session, run_id)
            if row is None:
                return
            done = result.done
            if result.crashed:
                recompute_results(session, row)
                done = count_records(session, run_id)
            row.status = result.status
            row.error = result.error
            row.completed_at = max(time.time(), row.started_at or 0.0)
            row.duration_s = row.completed_at - (row.started_at or row.completed_at)
            if done is not None:
                row.requests_done = done
            level = "error" if result.status is RunState.FAILED else "info"
            message = f"Run {result.status}" + (f": {result.error}" if result.error else "")
            add_log(session, "run", run_id, level, message, {"requests_done": row.requests_done})
