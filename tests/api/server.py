"""A live `flperf serve` in a child process, on a free port, with its own data folder."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from flperf.process_control import group_leader_options, stop_tree

_URL = re.compile(r"FLPerformance (http://\S+)")
OFFLINE_CATALOG = "http://127.0.0.1:9/catalog"  # a closed port: the public catalog is offline
T = TypeVar("T")


@dataclass
class LiveServer:
    """A running server; `client` speaks HTTP to `<url>/api`."""

    url: str
    process: subprocess.Popen[str]
    home: Path
    database_url: str
    output: list[str] = field(default_factory=list)

    @property
    def api(self) -> str:
        return self.url + "/api"

    def client(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(base_url=self.api, timeout=timeout)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.api + path, timeout=30.0, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.api + path, timeout=60.0, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.delete(self.api + path, timeout=30.0, **kwargs)

    def stop(self, timeout: float = 30.0) -> int | None:
        """A clean shutdown, as the product stops its children (SIGTERM; CTRL_BREAK on Windows),
        killed after ``timeout``; returns the exit status."""
        return stop_tree(self.process, timeout_s=timeout)

    def kill(self) -> None:
        """SIGKILL: the server dies without any cleanup."""
        self.process.kill()
        self.process.wait()

    def log_text(self) -> str:
        path = self.home / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_server(
    home: Path, database_url: str, timeout: float = 60.0, env: dict[str, str] | None = None
) -> LiveServer:
    """Start `python -m flperf serve --port 0` and wait for the URL it prints (`env`: more
    environment, e.g. `FLPERF_MACHINE_NAME`)."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        FLPERF_HOME=str(home),
        FLPERF_DATABASE_URL=database_url,
        FLPERF_FOUNDRY_CATALOG_URLS=OFFLINE_CATALOG,
        PYTHONUNBUFFERED="1",
        **(env or {}),
    )
    log = (home / "server.log").open("a")
    process = subprocess.Popen(
        [sys.executable, "-m", "flperf", "serve", "--port", "0", "--log-level", "info"],
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        **group_leader_options(),
    )
    log.close()
    found: queue.Queue[str | None] = queue.Queue()
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            match = _URL.search(line)
            if match:
                found.put(match.group(1))
        found.put(None)

    threading.Thread(target=read, daemon=True, name="flperf-serve-stdout").start()
    try:
        url = found.get(timeout=timeout)
    except queue.Empty:
        url = None
    server = LiveServer(url or "", process, home, database_url, lines)
    if url is None:
        server.kill()
        raise RuntimeError(f"flperf serve did not start: {server.log_text()[-3000:]}")
    return server


def wait_for(
    probe: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.05, what: str = ""
) -> T:
    """Poll `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what or probe}")
        time.sleep(interval)


def wait_run_finished(server: LiveServer, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """The run's status once it is no longer queued or running."""

    def finished() -> dict[str, Any] | None:
        status: dict[str, Any] = server.get(f"/benchmarks/runs/{run_id}/status").json()
        return status if status["status"] not in ("queued", "running") else None

    return wait_for(finished, timeout, what=f"run {run_id} to finish")
