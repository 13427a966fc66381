"""`flperf serve` refuses what it cannot do with one clear line and a non-zero exit code."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


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
