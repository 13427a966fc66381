"""The parent's side of host processes: start one, watch it, ask it, stop it.

A host leads its own process group, and stopping it (`flperf.process_control.stop_tree`: ask,
wait, kill) ends everything it started, on every OS. Its stdout and stderr lines are kept as log
records in a bounded deque (and passed to an optional callback); a host that dies, even by
``kill -9``, shows in `HostHandle.alive`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import IO

from flperf.bench.lifecycle import ModelLifecycle
from flperf.endpoint_health import HealthReport, one_token_request
from flperf.host.protocol import (
    HostErrorKind,
    ReadyInfo,
    parse_error,
    parse_ready,
    parse_stopped,
    split_level,
)
from flperf.process_control import group_leader_options, stop_tree
from flperf.providers.errors import ServerStartError


@dataclass(frozen=True)
class HostLogRecord:
    """One line a host printed."""

    time: float
    """Unix seconds when the parent read it."""
    level: str
    """debug, info, warning, error or critical."""
    message: str
    stream: str
    """stdout or stderr."""


class HostStartError(ServerStartError):
    """A host did not become ready; ``kind`` says why and ``log_tail`` what it printed last."""

    def __init__(self, kind: str, message: str, log_tail: list[str]) -> None:
        self.kind = kind
        self.message = message
        self.log_tail = log_tail
        tail = "\n".join(f"  {line}" for line in log_tail[-10:])
        super().__init__(message + (f"\nlast host output:\n{tail}" if tail else ""))


LogCallback = Callable[[HostLogRecord], None]


class HostHandle:
    """A running (or ended) host process serving one model."""

    def __init__(
        self,
        process: subprocess.Popen[str],
        model_id: str,
        log_limit: int,
        on_log: LogCallback | None,
        spawned: float | None = None,
    ) -> None:
        self.process = process
        self._spawned = spawned if spawned is not None else perf_counter()
        self._startup_ms: float | None = None
        self._stopped: ModelLifecycle | None = None  # the host's stop line
        self._stop_ms: float | None = None
        self._stopped_at: float | None = None
        self.pid = process.pid
        self.requested_model = model_id
        self.logs: deque[HostLogRecord] = deque(maxlen=log_limit)
        self.ready: ReadyInfo | None = None
        self.start_error: tuple[HostErrorKind, str] | None = None
        self._on_log = on_log
        self._settled = threading.Event()
        self._new_log = threading.Condition()
        self._readers = [
            threading.Thread(
                target=self._read,
                args=(process.stdout, "stdout"),
                daemon=True,
                name=f"host-{self.pid}-stdout",
            ),
            threading.Thread(
                target=self._read,
                args=(process.stderr, "stderr"),
                daemon=True,
                name=f"host-{self.pid}-stderr",
            ),
        ]
        for reader in self._readers:
            reader.start()

    # -- identity ------------------------------------------------------------------------

    @property
    def model_id(self) -> str:
        """The full model id the host serves (its alias resolved)."""
        return self.ready.model if self.ready else self.requested_model

    @property
    def port(self) -> int | None:
        return self.ready.port if self.ready else None

    @property
    def url(self) -> str:
        """Server root, e.g. ``http://127.0.0.1:12345``."""
        if self.ready is None:
            raise RuntimeError("host is not ready")
        return self.ready.url

    @property
    def base_url(self) -> str:
        """OpenAI API root, ``<url>/v1``."""
        return self.url + "/v1"

    # -- state ---------------------------------------------------------------------------

    @property
    def returncode(self) -> int | None:
        """Exit status once the process ended (negative: killed by that signal), else None."""
        return self.process.poll()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> list[str]:
        return [f"[{r.level}] {r.message}" for r in list(self.logs)[-lines:]]

    def _read(self, stream: IO[str] | None, name: str) -> None:
        if stream is None:
            return
        default = "info" if name == "stdout" else "warning"
        for raw in stream:
            line = raw.rstrip("\r\n")
            if not line:
                continue
            if name == "stdout" and self.ready is None and self.start_error is None:
                try:
                    ready, error = parse_ready(line), parse_error(line)
                except (ValueError, KeyError):
                    ready, error = None, None
                if ready is not None:
                    self._startup_ms = (perf_counter() - self._spawned) * 1000.0
                    self.ready = ready
                    self._settled.set()
                elif error is not None:
                    self.start_error = error
                    self._settled.set()
            elif name == "stdout" and self.ready is not None and self._stopped is None:
                with contextlib.suppress(ValueError):
                    self._stopped = parse_stopped(line)
            level, message = split_level(line, default)
            record = HostLogRecord(time.time(), level, message, name)
            with self._new_log:
                self.logs.append(record)
                self._new_log.notify_all()
            if self._on_log is not None:
                with contextlib.suppress(Exception):
                    self._on_log(record)
        if name == "stdout":
            self._settled.set()  # output ended: the process is exiting

    def wait_for_log(
        self, predicate: Callable[[HostLogRecord], bool], timeout_s: float
    ) -> HostLogRecord | None:
        """The first kept log record matching ``predicate``, waiting up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        with self._new_log:
            while True:
                for record in self.logs:
                    if predicate(record):
                        return record
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._new_log.wait(left)

    def wait_ready(self, timeout_s: float) -> ReadyInfo:
        """Wait for the readiness line; raise `HostStartError` (and end the host) otherwise."""
        settled = self._settled.wait(timeout_s)
        if self.ready is not None:
            return self.ready
        if settled and self.start_error is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(2.0)
        self.stop(timeout_s=2.0)
        if self.start_error is not None:
            kind, message = self.start_error
            raise HostStartError(kind.value, message, self.log_tail())
        if not settled:
            raise HostStartError(
                "timeout",
                f"host for {self.requested_model} was not ready within {timeout_s:.0f} s",
                self.log_tail(),
            )
        raise HostStartError(
            "exited",
            f"host for {self.requested_model} exited with status "
            f"{self.returncode} before it was ready",
            self.log_tail(),
        )

    # -- control -------------------------------------------------------------------------

    @property
    def lifecycle(self) -> ModelLifecycle | None:
        """What starting (and, once stopped, stopping) this host took; None before it is ready.

        The host's own figures (runtime start, model load, memory after it, unload) with the
        parent's: spawn to ready, and asking it to stop until it exited.
        """
        if self.ready is None:
            return None
        facts = (self.ready.lifecycle or ModelLifecycle(source="flperf-host")).merged(
            ModelLifecycle(startup_ms=self._startup_ms)
        )
        if self.returncode is None:
            return facts
        facts = facts.merged(self._stopped).merged(ModelLifecycle(stop_ms=self._stop_ms))
        if self._stopped is None:
            facts = facts.merged(ModelLifecycle(unloaded_at=self._stopped_at)).with_reason(
                "unload", "the host ended without unloading the model (killed, or it crashed)"
            )
        return facts

    def stop(self, timeout_s: float = 5.0) -> int | None:
        """Stop the host and what it started (ask, then kill after ``timeout_s``); the status."""
        asked = perf_counter()
        running = self.alive
        stop_tree(self.process, timeout_s)
        for reader in self._readers:
            reader.join(2.0)
        if running and self._stop_ms is None:
            self._stop_ms = (perf_counter() - asked) * 1000.0
            self._stopped_at = time.time()
        return self.returncode

    def health(self, timeout_s: float = 30.0) -> HealthReport:
        """Alive, model loaded, and a one-token request answered."""
        if not self.alive:
            return HealthReport(
                False, False, False, detail=f"host exited with status {self.returncode}"
            )
        if self.ready is None:
            return HealthReport(True, False, False, detail="host is starting")
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=5.0) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read() or b"{}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return HealthReport(self.alive, False, False, detail=f"/health failed: {exc}")
        loaded = bool(body.get("loaded"))
        answered, latency, detail = one_token_request(self.url, self.model_id, timeout_s)
        return HealthReport(
            True,
            loaded,
            answered,
            latency,
            detail or None,
            {"pid": self.pid, "in_flight": body.get("in_flight")},
        )


def host_command(
    model_id: str,
    port: int,
    home: Path,
    model_path: Path | None,
    catalog_urls: tuple[str, ...] | None,
    python: str,
) -> list[str]:
    command = [
        python,
        "-m",
        "flperf.host",
        "--model-id",
        model_id,
        "--port",
        str(port),
        "--data-dir",
        str(home),
        "--parent-pid",
        str(os.getpid()),
    ]
    if model_path is not None:
        command += ["--model-path", str(model_path)]
    for url in catalog_urls or ():
        command += ["--catalog-url", url]
    return command


def start_host(
    model_id: str,
    port: int = 0,
    data_dir: Path | None = None,
    timeout: float = 60.0,
    *,
    model_path: Path | str | None = None,
    catalog_urls: tuple[str, ...] | None = None,
    on_log: LogCallback | None = None,
    log_limit: int = 2000,
    python: str = sys.executable,
) -> HostHandle:
    """Spawn a host for ``model_id`` and wait until it serves; raise `HostStartError` if not.

    ``data_dir`` is the flperf data folder (default `flperf.config.home()`); the host keeps
    Foundry's files under ``<data_dir>/foundry``.
    """
    from flperf import config

    home = Path(data_dir) if data_dir is not None else config.home()
    command = host_command(
        model_id, port, home, Path(model_path) if model_path else None, catalog_urls, python
    )
    # The parent reads UTF-8; on Windows a piped child would write its ANSI code page.
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    spawned = perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        **group_leader_options(),
    )
    handle = HostHandle(process, model_id, log_limit, on_log, spawned)
    handle.wait_ready(timeout)
    return handle


class HostManager:
    """Every host started through it, by model id; all are stopped on `close` or at exit."""

    def __init__(
        self,
        home: Path | None = None,
        catalog_urls: tuple[str, ...] | None = None,
        on_log: LogCallback | None = None,
    ) -> None:
        self.home = home
        self.catalog_urls = catalog_urls
        self.on_log = on_log
        self._hosts: dict[str, HostHandle] = {}
        self._lock = threading.Lock()
        self._starting: dict[str, threading.Lock] = {}
        self._closed = False
        ref = weakref.ref(self)

        def close_at_exit() -> None:
            manager = ref()
            if manager is not None:
                manager.close()

        self._atexit = close_at_exit
        atexit.register(close_at_exit)

    def start(
        self,
        model_id: str,
        model_path: Path | str | None = None,
        port: int = 0,
        timeout_s: float = 60.0,
    ) -> HostHandle:
        """The running host of ``model_id``, started now when there is none (or it died)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("HostManager is closed")
            start_lock = self._starting.setdefault(model_id, threading.Lock())
        with start_lock:
            current = self.get(model_id)
            if current is not None and current.alive:
                return current
            handle = start_host(
                model_id,
                port,
                self.home,
                timeout_s,
                model_path=model_path,
                catalog_urls=self.catalog_urls,
                on_log=self.on_log,
            )
            with self._lock:
                self._hosts[model_id] = handle
                self._hosts[handle.model_id] = handle
            return handle

    def get(self, model_id: str) -> HostHandle | None:
        with self._lock:
            return self._hosts.get(model_id)

    def handles(self) -> list[HostHandle]:
        with self._lock:
            return list({id(h): h for h in self._hosts.values()}.values())

    def stop(self, model_id: str, timeout_s: float = 5.0) -> int | None:
        """Stop the host of ``model_id``; None when there was none."""
        with self._lock:
            handle = self._hosts.get(model_id)
            if handle is None:
                return None
            for key in [k for k, h in self._hosts.items() if h is handle]:
                del self._hosts[key]
        return handle.stop(timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop every host (in parallel)."""
        with self._lock:
            self._closed = True
            handles = list({id(h): h for h in self._hosts.values()}.values())
            self._hosts.clear()
        threads = [threading.Thread(target=h.stop, args=(timeout_s,)) for h in handles]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        atexit.unregister(self._atexit)
