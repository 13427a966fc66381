"""Starting, stopping and watching child processes the same way on Linux, macOS and Windows.

A child started with `group_leader_options` leads its own process group (a new session on
POSIX, a new process group on Windows): a Ctrl-C typed in the terminal reaches only flperf's
own process, and `stop_tree` can ask the child, and what it started, to stop. `stop_tree` is
the one way such a child ends: ask (SIGTERM to its group on POSIX, CTRL_BREAK_EVENT to its
group on Windows), wait, then kill whatever of its process tree is left. `ParentWatch` lets a
child notice that the process which started it is gone, which ``os.getppid`` cannot tell on
Windows (orphans keep their parent's id there).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from typing import Any, TypedDict

import psutil

__all__ = ["GroupLeaderOptions", "ParentWatch", "group_leader_options", "stop_tree"]


class GroupLeaderOptions(TypedDict):
    """`subprocess.Popen` keywords that start a child as the leader of its own process group."""

    start_new_session: bool
    creationflags: int


def group_leader_options() -> GroupLeaderOptions:
    """Keywords for `subprocess.Popen`: a new session on POSIX, a new process group on Windows."""
    if sys.platform == "win32":
        return {"start_new_session": False, "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True, "creationflags": 0}


def stop_tree(
    process: subprocess.Popen[Any], timeout_s: float = 5.0, kill_timeout_s: float = 5.0
) -> int | None:
    """End ``process`` and every process it started: ask, wait up to ``timeout_s``, then kill.

    ``process`` must have been started with `group_leader_options`. Descendants that are
    still running after the process ended get the same treatment (terminate, wait, kill); on
    POSIX a last SIGKILL to the process group also ends members that were orphaned before this
    call. Returns the exit status (negative: the POSIX signal that ended it), or None when the
    process outlived even the kill (only a process stuck in the kernel does).
    """
    running = process.poll() is None
    descendants = _descendants(process.pid) if running else []
    leads_group = running and _leads_group(process.pid)
    if process.poll() is None:
        _ask_to_stop(process, leads_group)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(kill_timeout_s)
    left = [p for p in descendants if _running(p)]
    for child in left:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(left, timeout=timeout_s) if left else ([], [])
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
    if alive:
        psutil.wait_procs(alive, timeout=kill_timeout_s)
    if sys.platform != "win32" and (leads_group or not running):
        # Group members whose parent died before this call were re-parented: no tree finds them.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    return process.poll()


def _leads_group(pid: int) -> bool:
    if sys.platform == "win32":
        return True  # a Windows process group cannot be asked; only created (see _ask_to_stop)
    try:
        return os.getpgid(pid) == pid
    except (ProcessLookupError, PermissionError):
        return False


def _ask_to_stop(process: subprocess.Popen[Any], leads_group: bool) -> None:
    if sys.platform == "win32":
        try:  # reaches the child's group if it shares our console; it handles SIGBREAK
            os.kill(process.pid, signal.CTRL_BREAK_EVENT)
        except OSError:  # no console to share (e.g. a windowless parent): no polite way
            process.terminate()
    elif leads_group:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    else:
        process.terminate()


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class ParentWatch:
    """Tells whether a process (the one that started us) still runs.

    It compares the process's creation time, so a new process that reused the id does not count,
    and a zombie (ended, not yet reaped) counts as gone.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self._process: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:
            self._process = None

    def gone(self) -> bool:
        """True once the watched process has ended."""
        return self._process is None or not _running(self._process)
