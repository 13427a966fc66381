"""Ctrl-C reaches a running event loop as a callback, whether the loop can watch signals or not."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

from flperf.bench.event_loop import install_interrupt, loop_factory


class NoSignalLoop(asyncio.SelectorEventLoop):
    """A loop that cannot watch signals itself, as Windows' loops cannot."""

    def add_signal_handler(self, sig: int, callback: Callable[..., object], *args: Any) -> None:
        raise NotImplementedError


def ctrl_c_from_another_thread() -> None:
    """Ctrl-C as a terminal sends it: to the process, handled by the main thread."""
    if sys.platform == "win32":
        signal.raise_signal(signal.SIGINT)  # Windows runs console handlers on their own thread
    else:
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


NEXT_TIMER_S = 20.0
"""The only other wake-up of the loop under test: Ctrl-C must not wait for it."""


async def interrupted_while_idle() -> tuple[int, bool, Any, Any]:
    """Install, send Ctrl-C from another thread while the loop waits, uninstall.

    Returns how often the callback ran, whether the loop woke for it (not at its next timer),
    the SIGINT handler found before installing and the one left after uninstalling.
    """
    loop = asyncio.get_running_loop()
    arrived = asyncio.Event()
    calls: list[None] = []

    def on_interrupt() -> None:
        calls.append(None)
        arrived.set()

    before = signal.getsignal(signal.SIGINT)
    uninstall = install_interrupt(loop, on_interrupt)
    next_timer = loop.time() + NEXT_TIMER_S
    sender = threading.Timer(0.1, ctrl_c_from_another_thread)
    sender.start()
    try:
        await asyncio.wait_for(arrived.wait(), timeout=NEXT_TIMER_S)
        woke_for_it = loop.time() < next_timer
    finally:
        sender.join()
        uninstall()
    return len(calls), woke_for_it, before, signal.getsignal(signal.SIGINT)


LOOPS = pytest.mark.parametrize(
    "factory",
    [
        pytest.param(loop_factory() or asyncio.new_event_loop, id="loop-watches-signals"),
        pytest.param(NoSignalLoop, id="signal-module-fallback"),
    ],
)


@LOOPS
def test_ctrl_c_calls_back_on_the_loop_and_uninstall_restores_the_handler(
    factory: Callable[[], asyncio.AbstractEventLoop],
) -> None:
    with asyncio.Runner(loop_factory=factory) as runner:
        calls, woke_for_it, before, after = runner.run(interrupted_while_idle())
    assert calls == 1  # and no KeyboardInterrupt
    assert woke_for_it
    assert after is before


@LOOPS
def test_several_signals_and_a_repeated_one_share_one_callback(
    factory: Callable[[], asyncio.AbstractEventLoop],
) -> None:
    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        calls: list[int] = []
        uninstall = install_interrupt(
            loop, lambda: calls.append(1), (signal.SIGINT, signal.SIGTERM, signal.SIGINT)
        )
        try:
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGINT)
            for _ in range(50):
                if len(calls) == 2:
                    break
                await asyncio.sleep(0.02)
        finally:
            uninstall()
        return calls

    previous = signal.getsignal(signal.SIGTERM)
    with asyncio.Runner(loop_factory=factory) as runner:
        assert runner.run(main()) == [1, 1]
    assert signal.getsignal(signal.SIGTERM) is previous
