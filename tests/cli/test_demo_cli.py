"""`flperf demo` (what `make run` runs): server, demo model, default suite, results table."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.foundry
def test_demo_runs_the_default_suite_on_the_demo_model_and_cleans_up(tmp_path: Path) -> None:
    port = _free_port()
    env = dict(os.environ, FLPERF_HOME=str(tmp_path / "home"))
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "flperf",
            "demo",
            "--port",
            str(port),
            "--iterations",
            "1",
            "--exit",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "default suite on flperf-demo" in done.stdout
    for scenario in ("Short Q&A", "Long-form answer", "all scenarios"):
        assert scenario in done.stdout
    assert f"http://127.0.0.1:{port}/results?run=run_" in done.stdout
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before


def test_demo_refuses_a_port_taken_by_another_program(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "flperf", "demo", "--port", str(port), "--exit"],
            env=dict(os.environ, FLPERF_HOME=str(tmp_path)),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2 and f"port {port} is taken" in done.stderr


@pytest.mark.foundry
def test_sigterm_to_the_demo_stops_the_server_and_hosts_it_started(tmp_path: Path) -> None:
    import signal
    import time

    port = _free_port()
    env = dict(os.environ, FLPERF_HOME=str(tmp_path / "home"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "flperf", "demo", "--port", str(port), "--iterations", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until it serves the UI
        if "press Ctrl-C to stop" in line:
            break
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children, "the demo started a server (and a host)"
    proc.send_signal(signal.SIGTERM)  # Windows: TerminateProcess; the server sees it gone
    status = proc.wait(timeout=60)
    if sys.platform != "win32":
        assert status == 143
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        c.is_running() and c.status() != "zombie" for c in children
    ):
        time.sleep(0.2)
    assert not [c.pid for c in children if c.is_running() and c.status() != "zombie"]
