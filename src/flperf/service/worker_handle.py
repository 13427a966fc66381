"""The server's side of a run's worker process (`flperf.service.worker_child`).

The server starts one worker process per run and answers its questions: the facts of each
model, serving it (starting its service when needed) and releasing it (stopping what was started
for the run). The worker's progress reports are what the API shows while the run measures. A
worker that dies without saying how the run ended (killed, crashed) is noticed when its pipe
closes; the run then fails with the exit status named, and everything it stored is kept.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass

import psutil
from pydantic import BaseModel, ValidationError

from flperf.bench.lifecycle import ModelLifecycle
from flperf.bench.run_document import ProgressDetail, RunState
from flperf.service.errors import ServiceError
from flperf.service.logbook import Logbook
from flperf.service.models import ModelService
from flperf.service.worker_messages import (
    Cancel,
    Describe,
    Described,
    Finished,
    ProgressReport,
    Release,
    Released,
    Serve,
    Served,
    TargetData,
    decode,
    encode,
)

log = logging.getLogger("flperf.worker")

WORKER_MODULE = "flperf.service.worker_child"


@dataclass(frozen=True)
class Current:
    """What a live run measures now."""

    model_id: str | None
    scenario: str | None


@dataclass(frozen=True)
class WorkerResult:
    """How the run ended, as the worker said, or why it could not say."""

    status: RunState
    error: str | None
    done: int | None
    """Requests done as the worker counted them (None when it died)."""
    crashed: bool


def wait_for_left_worker(pid: int | None, run_id: str, timeout_s: float = 15.0) -> None:
    """Let the worker a dead server left behind store what it measured and exit (ended after
    `timeout_s`), so a recovering server never recomputes a run that is still being written.

    Only a process whose command line is this run's worker is waited for or ended.
    """
    if pid is None:
        return
    try:
        process = psutil.Process(pid)
        command = process.cmdline()
    except psutil.Error:
        return
    if WORKER_MODULE not in command or run_id not in command:
        return
    try:
        process.wait(timeout_s)
    except psutil.TimeoutExpired:
        log.warning("run %s: its worker %d is still running; ending it", run_id, pid)
        with contextlib.suppress(psutil.Error):
            process.kill()
            process.wait(5.0)


def exit_description(code: int | None) -> str:
    """An exit status in words (`killed by signal 9` for -9 on POSIX)."""
    if code is None:
        return "no exit status"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit code {code}"


class WorkerHandle:
    """One run's worker process: start it, answer it, follow it, cancel it, wait for it."""

    def __init__(
        self,
        run_id: str,
        total: int,
        models: ModelService,
        logbook: Logbook,
        database_url: str,
        monitor_interval_s: float | None,
    ) -> None:
        self.run_id = run_id
        self._models = models
        self._logbook = logbook
        self._database_url = database_url
        self._monitor_interval_s = monitor_interval_s
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._progress = ProgressDetail(done=0, total=total, ok=0, failed=0)
        self._current: Current | None = None
        self._eta_s: float | None = None
        self._finished: Finished | None = None
        self._started_here: set[str] = set()
        self._cancel_requested = False
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker process (after the run is marked `running`)."""
        interval = self._monitor_interval_s or 0.0
        command = [
            sys.executable,
            "-m",
            WORKER_MODULE,
            self.run_id,
            "--monitor-interval",
            str(interval),
        ]
        from flperf import config

        env = dict(
            os.environ,
            FLPERF_HOME=str(config.home()),
            FLPERF_DATABASE_URL=self._database_url,
            PYTHONUNBUFFERED="1",
        )
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self._reader = threading.Thread(
            target=self._converse, name=f"worker-{self.run_id}", daemon=True
        )
        self._reader.start()
        threading.Thread(target=self._relay_stderr, daemon=True).start()
        with self._lock:
            cancel = self._cancel_requested
        if cancel:
            self._send(Cancel())

    def cancel(self) -> None:
        """Ask the worker to stop; what it measured is kept (safe before `start`)."""
        with self._lock:
            self._cancel_requested = True
        if self._process is not None:
            self._send(Cancel())

    def kill(self) -> None:
        """End the worker at once (when it does not stop when asked)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def wait(self, timeout_s: float | None = None) -> WorkerResult:
        """Block until the worker has ended; then stop what was started for the run."""
        assert self._process is not None and self._reader is not None
        self._reader.join(timeout_s)
        code = self._process.wait(timeout_s)
        for model_id in sorted(self._started_here):
            self._release(model_id)
        finished = self._finished
        if finished is not None:
            return WorkerResult(finished.status, finished.error, finished.done, crashed=False)
        return WorkerResult(
            RunState.FAILED,
            f"the run's worker process ended without finishing ({exit_description(code)})",
            None,
            crashed=True,
        )

    # -- observation ---------------------------------------------------------------------

    def snapshot(self) -> tuple[ProgressDetail, Current | None, float | None]:
        """Progress, what is measured now, and the ETA in seconds."""
        with self._lock:
            return self._progress, self._current, self._eta_s

    # -- the conversation ----------------------------------------------------------------

    def _send(self, message: BaseModel) -> None:
        process = self._process
        if process is None or process.stdin is None:
            return
        try:
            with self._write_lock:
                process.stdin.write(encode(message))
                process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the worker ended; `wait` reports how

    def _converse(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            try:
                message = decode(line)
            except ValidationError:
                log.warning("run %s: ignored a line from the worker: %r", self.run_id, line[:200])
                continue
            try:
                self._handle(message)
            except Exception:  # an answer the server could not give must not hang the worker
                log.exception("run %s: could not answer %s", self.run_id, type(message).__name__)
                self._send(Served(error="the server failed to answer"))
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()

    def _handle(self, message: BaseModel) -> None:
        if isinstance(message, ProgressReport):
            self._on_progress(message)
        elif isinstance(message, Describe):
            self._send(Described(facts=self._describe(message.key)))
        elif isinstance(message, Serve):
            self._send(self._serve(message.key))
        elif isinstance(message, Release):
            self._send(Released(lifecycle=self._release(message.key)))
        elif isinstance(message, Finished):
            with self._lock:
                self._finished = message
                done = max(self._progress.done, message.done)
                self._progress = self._progress.model_copy(update={"done": done})
                self._current = None

    def _on_progress(self, report: ProgressReport) -> None:
        with self._lock:
            done = max(self._progress.done, report.done)  # never backwards
            self._progress = ProgressDetail(
                done=done, total=report.total, ok=report.ok, failed=report.failed
            )
            self._current = (
                Current(report.model, report.scenario) if report.model is not None else None
            )
            self._eta_s = report.eta_s

    def _describe(self, model_id: str) -> dict[str, object]:
        try:
            return self._models.fingerprint_facts(model_id)
        except ServiceError as exc:
            return {"detail": str(exc)}

    def _serve(self, model_id: str) -> Served:
        try:
            target, started = self._models.ensure_serving(model_id, f"run {self.run_id}")
        except ServiceError as exc:
            return Served(error=str(exc))
        if started:
            with self._lock:
                self._started_here.add(model_id)
            alias = self._alias(model_id)
            self._logbook.run(self.run_id, "info", f"Started {alias} for this run")
        return Served(target=TargetData.of(target))

    def _release(self, model_id: str) -> ModelLifecycle | None:
        """Stop the model when it was started for the run; its lifecycle facts afterwards (a
        model left running: what its provider tells now)."""
        with self._lock:
            started = model_id in self._started_here
            self._started_here.discard(model_id)
        if not started:
            try:
                return self._models.lifecycle_now(model_id)
            except ServiceError:
                return None
        alias = self._alias(model_id)
        try:
            facts = self._models.stop(model_id)
            self._logbook.run(self.run_id, "info", f"Stopped {alias} (started for this run)")
            return facts
        except ServiceError as exc:
            self._logbook.run(self.run_id, "warning", f"Could not stop {alias}: {exc}")
            return None

    def _alias(self, model_id: str) -> str:
        try:
            return self._models.get(model_id, include_deleted=True).alias
        except ServiceError:
            return model_id

    def _relay_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for raw in self._process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                log.info("run %s: %s", self.run_id, line)
