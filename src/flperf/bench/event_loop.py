"""Running the engine's coroutines on the fastest event loop available (uvloop where installed),
and handing Ctrl-C and stop signals to a running loop on every OS."""

from __future__ import annotations

import asyncio
import functools
import signal
import sys
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

SignalHandler = Callable[[int, Any], Any] | int | None


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory when importable, else None (asyncio's default loop)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion on a fresh loop (uvloop when available)."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(coro)


def stop_signals() -> tuple[int, ...]:
    """The signals that ask a server process to stop: Ctrl-C, SIGTERM and, on Windows,
    SIGBREAK (what `flperf.process_control.stop_tree` sends there)."""
    if sys.platform == "win32":
        return (signal.SIGINT, signal.SIGTERM, signal.SIGBREAK)
    return (signal.SIGINT, signal.SIGTERM)


def install_interrupt(
    loop: asyncio.AbstractEventLoop,
    callback: Callable[[], object],
    signals: Iterable[int] = (signal.SIGINT,),
) -> Callable[[], None]:
    """Call ``callback`` on ``loop`` whenever one of ``signals`` (default: Ctrl-C) arrives.

    Where the loop can watch signals itself (POSIX: `loop.add_signal_handler`), it does; where
    it cannot (Windows' loops raise NotImplementedError), a `signal.signal` handler passes the
    callback to the loop with `loop.call_soon_threadsafe`, which also wakes a loop that waits.
    Returns a function that puts the previous handlers back. Call both from the main thread,
    the only one Python delivers signals to.
    """
    restore: list[Callable[[], None]] = []
    for signum in dict.fromkeys(signals):
        previous: SignalHandler = signal.getsignal(signum)
        try:
            loop.add_signal_handler(signum, callback)
        except NotImplementedError:
            signal.signal(signum, lambda _signum, _frame: loop.call_soon_threadsafe(callback))
            restore.append(functools.partial(_put_back, signum, previous))
        else:
            restore.append(functools.partial(_remove_from_loop, loop, signum, previous))

    def uninstall() -> None:
        while restore:
            restore.pop()()

    return uninstall


def _remove_from_loop(
    loop: asyncio.AbstractEventLoop, signum: int, previous: SignalHandler
) -> None:
    if not loop.is_closed():
        loop.remove_signal_handler(signum)  # leaves the default handler, not the one we found
    _put_back(signum, previous)


def _put_back(signum: int, previous: SignalHandler) -> None:
    # None: the handler was not installed from Python; the loop's removal left the default one.
    if previous is not None:
        signal.signal(signum, previous)
