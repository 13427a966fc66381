"""Streaming tokens from the generating thread straight to the client's socket.

The SDK yields a token every ~0.1 ms for small models. Handing each one to the event loop
thread made the two threads contend for the GIL on every token, so the generating thread fell
behind the native generator and tokens left in bursts of dozens (measured: up to ~40 per read
on an idle machine). Once the response headers are out, the thread that receives a token
writes its HTTP chunk itself; the event loop is back on the path only for the ending.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable

from flperf.host.engine import Cancel


class DirectSink:
    """Takes the generating thread's text: queued (`fallback`) until `go_direct`, then written.

    `go_direct` may only be called when the asyncio transport has nothing buffered, and the
    event loop must not write to the connection until generation has ended.
    """

    def __init__(
        self,
        encode: Callable[[str], bytes],
        fallback: Callable[[str], None],
        cancel: Cancel,
    ) -> None:
        self._encode = encode
        self._fallback = fallback
        self._cancel = cancel
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._chunked = True
        self.broken = False
        self.sent = 0

    def emit(self, text: str) -> None:
        """Called from the generating thread with each piece of text."""
        with self._lock:
            if self._fd is None:
                self._fallback(text)
                return
            self._write(text)

    def go_direct(self, fd: int, chunked: bool, drain: Callable[[], list[str]]) -> None:
        """From now on write to `fd`; text queued before (`drain()`) is written first."""
        with self._lock:  # emit() waits, so nothing is queued or written in between
            self._fd, self._chunked = fd, chunked
            for text in drain():
                self._write(text)

    def _write(self, text: str) -> None:
        if self.broken or self._fd is None:
            return
        event = self._encode(text)
        frame = b"%x\r\n%b\r\n" % (len(event), event) if self._chunked else event
        try:
            _send_all(self._fd, frame, self._cancel)
        except OSError:
            self.broken = True  # the client went away: stop generating
            self._cancel.set()
            return
        self.sent += 1


def _send_all(fd: int, data: bytes, cancel: Cancel) -> None:
    """Write all of `data` to a non-blocking socket, waiting while its buffer is full."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            if cancel.is_set():
                raise BrokenPipeError("cancelled while the client was not reading") from None
            select.select([], [fd], [], 1.0)
