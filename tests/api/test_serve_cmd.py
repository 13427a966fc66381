"""`flperf serve` refuses what it cannot do with one clear line and a non-zero exit code."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil


def _serve(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FLPERF_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "flperf", "serve", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_busy_port_is_reported_and_nothing_starts(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _serve(tmp_path, "--port", str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert not (tmp_path / "flperf.db").exists()


def test_a_bad_log_level_is_a_usage_error(tmp_path: Path) -> None:
    result = _serve(tmp_path, "--port", "0", "--log-level", "chatty")
    assert result.returncode == 2 and "--log-level" in result.stderr


def test_an_unreachable_database_is_reported(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env_url = f"postgresql://nobody@127.0.0.1:{port}/nothing"
    env = dict(os.environ, FLPERF_HOME=str(tmp_path), FLPERF_DATABASE_URL=env_url)
    result = subprocess.run(
        [sys.executable, "-m", "flperf", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1 and "cannot open the database" in result.stderr


def test_the_server_shuts_down_cleanly_once_the_process_that_started_it_is_gone(
    tmp_path: Path,
) -> None:
    starter = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    command = [sys.executable, "-m", "flperf", "serve", "--port", "0"]
    server = subprocess.Popen(
        [*command, "--parent-pid", str(starter.pid)],
        env=dict(os.environ, FLPERF_HOME=str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith("FLPerformance http://127.0.0.1:")
        assert server.poll() is None  # serving while its starter runs
        psutil.Process(starter.pid).kill()  # no chance to stop the server itself
        starter.wait(10)
        _, stderr = server.communicate(timeout=30)
    finally:
        starter.kill()
        server.kill()
    assert server.returncode == 0
    assert f"process {starter.pid} that started this server is gone" in stderr
    assert "Application shutdown complete" in stderr  # the same path as SIGTERM, lifespan run
