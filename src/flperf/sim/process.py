"""Running the simulator in its own process, as tests and benchmarks do."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import urllib.request
from types import TracebackType
from typing import IO, Any

from flperf.sim.cli import to_cli_args
from flperf.sim.config import SimConfig

_LISTENING = re.compile(r"listening on (http://\S+?):(\d+)\s*$")


class SimulatorStartError(RuntimeError):
    """The simulator process exited or stayed silent instead of announcing its port."""


class SimProcess:
    """A simulator running in a child process; a context manager that stops it on exit."""

    def __init__(self, popen: subprocess.Popen[str], url: str, stderr: IO[str]) -> None:
        self._popen = popen
        self._stderr = stderr
        self.url = url

    @property
    def pid(self) -> int:
        """Process id of the simulator."""
        return self._popen.pid

    def _request(self, method: str, path: str, timeout: float) -> dict[str, Any]:
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            result: dict[str, Any] = json.load(response)
        return result

    def log(self, summary: bool = False, timeout: float = 60.0) -> dict[str, Any]:
        """The write log as served by ``GET /sim/log`` (only counts when ``summary``)."""
        return self._request("GET", "/sim/log?summary=1" if summary else "/sim/log", timeout)

    def reset(self, timeout: float = 10.0) -> None:
        """Clear the log and the request counter (``POST /sim/reset``)."""
        self._request("POST", "/sim/reset", timeout)

    def stop(self, timeout: float = 5.0) -> int:
        """Terminate the process, kill it if it does not exit in time; return its exit code."""
        popen = self._popen
        if popen.poll() is None:
            popen.terminate()
            try:
                popen.wait(timeout)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
        if popen.stdout is not None:
            popen.stdout.close()
        self._stderr.close()
        return popen.returncode

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _read_port_line(popen: subprocess.Popen[str], timeout: float) -> re.Match[str] | None:
    """Wait for the line announcing the URL; a thread reads so that pipes on Windows work too."""
    stdout = popen.stdout
    assert stdout is not None
    found: queue.Queue[re.Match[str] | None] = queue.Queue()

    def read() -> None:
        for line in stdout:
            match = _LISTENING.search(line)
            if match:
                found.put(match)
                return
        found.put(None)

    threading.Thread(target=read, name="flperf-sim-stdout", daemon=True).start()
    try:
        return found.get(timeout=timeout)
    except queue.Empty:
        return None


def start_simulator(
    config: SimConfig,
    cpu: int | None = None,
    timeout: float = 10.0,
    host: str = "127.0.0.1",
) -> SimProcess:
    """Start ``python -m flperf.sim`` on a free port, optionally pinned to CPU core ``cpu``.

    Returns once the server listens; raises :class:`SimulatorStartError` (with its stderr)
    when it does not within ``timeout`` seconds.
    """
    command = [sys.executable, "-m", "flperf.sim", *to_cli_args(config)]
    command += ["--host", host, "--port", "0", "--parent-pid", str(os.getpid())]
    if cpu is not None:
        command += ["--cpu", str(cpu)]
    stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 - SimProcess owns and closes it
    popen = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True
    )
    match = _read_port_line(popen, timeout)
    if match is None:
        process = SimProcess(popen, "", stderr)
        stderr.seek(0)
        output = stderr.read().strip()
        process.stop()
        raise SimulatorStartError(
            f"simulator did not start within {timeout:g}s: {output or 'no output'}"
        )
    return SimProcess(popen, f"{match.group(1)}:{match.group(2)}", stderr)
