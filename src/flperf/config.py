"""Where FLPerformance keeps its data: one home folder, chosen by `FLPERF_HOME`."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_API_PORT = 3001


def home() -> Path:
    """The data folder: `$FLPERF_HOME`, else `~/.flperf`. Created on first use."""
    raw = os.environ.get("FLPERF_HOME")
    path = Path(raw).expanduser() if raw else Path.home() / ".flperf"
    path.mkdir(parents=True, exist_ok=True)
    return path


def suites_dir() -> Path:
    """Folder for the user's own suite files (in addition to the built-in ones)."""
    path = home() / "suites"
    path.mkdir(parents=True, exist_ok=True)
    return path


MACHINE_NAME_ENV = "FLPERF_MACHINE_NAME"


def machine_name() -> str:
    """This machine's name where several share a database: `$FLPERF_MACHINE_NAME`, else the
    host name."""
    import socket

    return os.environ.get(MACHINE_NAME_ENV, "").strip() or socket.gethostname() or "this machine"
