"""The run worker process: measures one queued run outside the server's process.

`python -m flperf.service.worker_child RUN_ID` is started by the server for each run (see
`flperf.service.worker_handle`). It reads the run from the database, measures it with
`BenchSession` and stores records, results and samples itself; model services stay the
server's, so serving and releasing each model is a question to the server over stdin/stdout
(`flperf.service.worker_messages`). The server's API therefore never shares a GIL with a run.

When the server goes away (its end of the pipe closes), the worker cancels the run, stores what
it measured and exits, leaving the run `running`: the server's next start marks it
`interrupted`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import queue
import sys
import threading
from typing import IO, Any

from pydantic import BaseModel, ValidationError

from flperf import config
from flperf.bench import event_loop
from flperf.bench.lifecycle import ModelLifecycle
from flperf.bench.run_config import RunConfig
from flperf.bench.run_document import RunState
from flperf.bench.runner import Target
from flperf.bench.session import BenchSession, ModelRef, ServeError, SessionOutcome
from flperf.bench.workload import parse_suite
from flperf.service.logbook import Logbook
from flperf.service.store_sink import StoreSink
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
    decode,
    encode,
)
from flperf.store import Database
from flperf.store.runs_repo import get_run_with_suite

log = logging.getLogger("flperf.worker")

PROGRESS_EVERY_S = 0.25


class ServerGone(Exception):
    """The server's end of the conversation closed."""


class ServerLink:
    """The worker's side of the conversation: requests wait for their answer; a `Cancel` from
    the server (or the server going away) calls `on_cancel`."""

    def __init__(self, incoming: IO[bytes], outgoing: IO[bytes]) -> None:
        self._in = incoming
        self._out = outgoing
        self._answers: queue.SimpleQueue[BaseModel | None] = queue.SimpleQueue()
        self._write_lock = threading.Lock()
        self._ask_lock = threading.Lock()
        self.lost = threading.Event()

    def start(self, on_cancel: Any) -> None:
        threading.Thread(target=self._read, args=(on_cancel,), daemon=True).start()

    def _read(self, on_cancel: Any) -> None:
        for line in self._in:
            try:
                message = decode(line)
            except ValidationError:
                log.warning("ignored a line from the server: %r", line[:200])
                continue
            if isinstance(message, Cancel):
                on_cancel()
            else:
                self._answers.put(message)
        self.lost.set()
        on_cancel()
        self._answers.put(None)

    def send(self, message: BaseModel) -> None:
        if self.lost.is_set():
            return
        try:
            with self._write_lock:
                self._out.write(encode(message))
                self._out.flush()
        except (BrokenPipeError, OSError, ValueError):
            self.lost.set()

    def ask(self, message: BaseModel) -> BaseModel:
        """Send `message` and wait for the server's answer (raises `ServerGone`)."""
        with self._ask_lock:
            if self.lost.is_set():
                raise ServerGone
            self.send(message)
            answer = self._answers.get()
            if answer is None:
                self._answers.put(None)  # later questions learn it too
                raise ServerGone
            return answer


class RemoteServing:
    """`ModelServing` by asking the server, which starts and stops model services."""

    def __init__(self, link: ServerLink) -> None:
        self._link = link

    def describe(self, key: str) -> dict[str, Any]:
        try:
            answer = self._link.ask(Describe(key=key))
        except ServerGone:
            return {}
        return answer.facts if isinstance(answer, Described) else {}

    def serve(self, key: str) -> Target:
        try:
            answer = self._link.ask(Serve(key=key))
        except ServerGone:
            raise ServeError("the server stopped") from None
        if not isinstance(answer, Served) or answer.target is None:
            error = answer.error if isinstance(answer, Served) else None
            raise ServeError(error or "the server gave no endpoint")
        return answer.target.target()

    def release(self, key: str) -> ModelLifecycle | None:
        try:
            answer = self._link.ask(Release(key=key))
        except ServerGone:
            return None
        return answer.lifecycle if isinstance(answer, Released) else None


def _report_progress(session: BenchSession, link: ServerLink, stop: threading.Event) -> None:
    while not stop.wait(PROGRESS_EVERY_S):
        p = session.snapshot()
        link.send(
            ProgressReport(
                done=p.done,
                total=p.total,
                ok=p.ok,
                failed=p.failed,
                model=p.model,
                scenario=p.scenario,
                eta_s=p.eta_s,
            )
        )


async def _until_stopped(bench: BenchSession) -> SessionOutcome:
    """Run the session; Ctrl-C or SIGTERM (a terminal or a service manager stopping the
    server's whole process group) cancels it like the server's `Cancel` does."""
    uninstall = event_loop.install_interrupt(
        asyncio.get_running_loop(), bench.cancel, event_loop.stop_signals()
    )
    try:
        return await bench.run()
    finally:
        uninstall()


def measure(run_id: str, link: ServerLink, monitor_interval_s: float | None) -> Finished:
    """Measure the run and store it; how it ended (the server records the status)."""
    db = Database(home=config.home())
    try:
        return _measure(run_id, db, link, monitor_interval_s)
    except Exception as exc:  # nothing measured yet: the run fails, the worker says why
        log.exception("run %s could not be measured", run_id)
        return Finished(status=RunState.FAILED, error=f"{type(exc).__name__}: {exc}", done=0)
    finally:
        db.dispose()


def _measure(
    run_id: str, db: Database, link: ServerLink, monitor_interval_s: float | None
) -> Finished:
    with db.read() as session:
        row = get_run_with_suite(session, run_id)
    if row is None:
        return Finished(status=RunState.FAILED, error=f"run {run_id} not found", done=0)
    models = [ModelRef(str(m), row.model_aliases.get(m)) for m in row.model_ids]
    sink = StoreSink(db, run_id, Logbook(db))
    bench = BenchSession(
        models,
        parse_suite(row.suite, f"run {run_id}"),
        RunConfig.model_validate(row.config),
        RemoteServing(link),
        sink,
        monitor_interval_s=monitor_interval_s,
    )
    link.start(on_cancel=bench.cancel)
    stop = threading.Event()
    ticker = threading.Thread(target=_report_progress, args=(bench, link, stop), daemon=True)
    ticker.start()
    try:
        outcome = event_loop.run(_until_stopped(bench))
        status, error = outcome.status, outcome.error
    except Exception as exc:  # a broken store: the run fails, the worker says why
        log.exception("run %s failed", run_id)
        status, error = RunState.FAILED, f"{type(exc).__name__}: {exc}"
    finally:
        stop.set()
        sink.close()
    return Finished(status=status, error=error, done=bench.snapshot().done)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flperf.service.worker_child")
    parser.add_argument("run_id")
    parser.add_argument("--monitor-interval", type=float, default=0.25, help="0: no sampling")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="worker %(levelname)s %(name)s: %(message)s")
    # The conversation owns stdout; anything else printed goes to stderr (the server's log).
    outgoing = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    link = ServerLink(sys.stdin.buffer, outgoing)
    interval = args.monitor_interval if args.monitor_interval > 0 else None
    finished = measure(args.run_id, link, interval)
    if link.lost.is_set():
        return 0  # the server is gone: its next start marks the run interrupted
    link.send(finished)
    return 0 if finished.status is not RunState.FAILED else 1


if __name__ == "__main__":
    code = main()
    # Everything is stored and said; end now rather than finalise the interpreter while the
    # server link's reader thread still blocks on stdin (which aborts the process).
    sys.stderr.flush()
    os._exit(code)
