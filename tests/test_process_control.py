"""One way to stop a child and everything it started, and to notice a parent is gone, on every OS.

The children here are real Python processes. On Linux these tests take the same code path a
Windows machine takes (psutil's process tree), plus the POSIX process-group parts.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

from flperf.bench.event_loop import stop_signals
from flperf.process_control import ParentWatch, group_leader_options, stop_tree

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")

# A child that prints "ready" once its handlers are set, then lives until stopped. With
# IGNORE, it ignores every stop signal; with EXIT_ON_STOP, a stop signal makes it exit with 7.
CHILD = """
import signal, subprocess, sys, time
mode = sys.argv[1]
for signum in {signals}:
    if mode == "ignore":
        signal.signal(signum, signal.SIG_IGN)
    elif mode == "exit-on-stop":
        signal.signal(signum, lambda *_: sys.exit(7))
print("ready", flush=True)
time.sleep(120)
"""

# A parent that starts one CHILD (as `mode`, in a new session when `detach`) and prints its pid,
# then lives on, or exits at once with `crash` (leaving the grandchild orphaned).
PARENT = """
import subprocess, sys, time
mode, detach, then = sys.argv[1], sys.argv[2] == "detach", sys.argv[3]
child = subprocess.Popen(
    [sys.executable, "-c", {child!r}, mode],
    stdout=subprocess.PIPE, text=True, start_new_session=detach,
)
assert child.stdout.readline().strip() == "ready"
print(child.pid, flush=True)
if then == "crash":
    sys.exit(3)
time.sleep(120)
"""


def child_code() -> str:
    return CHILD.format(signals=tuple(int(s) for s in stop_signals()))


def spawn(code: str, *args: str) -> subprocess.Popen[str]:
    """A process group leader running ``code`` with ``args``."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        text=True,
        **group_leader_options(),
    )


def first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


def ended(pid: int) -> bool:
    """The process is gone or a zombie (ended, not yet reaped by its parent)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_ended(pid: int, timeout_s: float = 10.0) -> bool:
    """Wait until `ended(pid)` (a kill takes effect asynchronously); False if it never does."""
    deadline = time.monotonic() + timeout_s
    while not ended(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        stop_tree(process, timeout_s=1)


def test_a_child_asked_to_stop_exits_by_itself(processes: list[subprocess.Popen[str]]) -> None:
    child = spawn(child_code(), "exit-on-stop")
    processes.append(child)
    assert first_line(child) == "ready"
    assert stop_tree(child, timeout_s=10) == 7  # its own handler ran: it was asked, not killed


def test_a_child_that_ignores_the_request_is_killed(
    processes: list[subprocess.Popen[str]],
) -> None:
    child = spawn(child_code(), "ignore")
    processes.append(child)
    assert first_line(child) == "ready"
    status = stop_tree(child, timeout_s=0.5)
    assert status is not None and status != 0
    if sys.platform != "win32":
        assert status == -signal.SIGKILL
    assert ended(child.pid)


def test_descendants_that_left_the_group_and_ignore_the_request_are_killed(
    processes: list[subprocess.Popen[str]],
) -> None:
    # The grandchild has its own session: only the process tree reaches it, as on Windows.
    parent = spawn(PARENT.format(child=child_code()), "ignore", "detach", "live")
    processes.append(parent)
    grandchild = int(first_line(parent))
    assert psutil.Process(grandchild).ppid() == parent.pid
    stop_tree(parent, timeout_s=0.5)
    assert ended(parent.pid)
    assert wait_ended(grandchild)


@POSIX_ONLY
def test_group_members_orphaned_before_the_stop_are_killed(
    processes: list[subprocess.Popen[str]],
) -> None:
    parent = spawn(PARENT.format(child=child_code()), "ignore", "same-group", "crash")
    processes.append(parent)
    grandchild = int(first_line(parent))
    assert parent.wait(10) == 3
    assert psutil.Process(grandchild).ppid() != parent.pid  # re-parented: out of the tree
    assert stop_tree(parent, timeout_s=0.5) == 3
    assert wait_ended(grandchild)


def test_stopping_an_ended_child_returns_its_status(
    processes: list[subprocess.Popen[str]],
) -> None:
    child = spawn("print('bye')")
    processes.append(child)
    assert first_line(child) == "bye"
    child.wait(10)
    assert stop_tree(child) == 0


def test_parent_watch_sees_a_running_process_end_even_before_it_is_reaped(
    processes: list[subprocess.Popen[str]],
) -> None:
    watched = spawn(child_code(), "ignore")
    processes.append(watched)
    assert first_line(watched) == "ready"
    watch = ParentWatch(watched.pid)
    assert not watch.gone()
    psutil.Process(watched.pid).kill()
    assert wait_ended(watched.pid)  # on POSIX a zombie now: nobody has reaped it yet
    assert watch.gone()
    watched.wait(10)
    assert watch.gone()


def test_parent_watch_of_a_process_that_never_was_is_gone() -> None:
    unused = max(psutil.pids()) + 100_000
    assert ParentWatch(unused).gone()
