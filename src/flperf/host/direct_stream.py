"""A streamed response written by the thread that generates it, straight to the client's socket.

The SDK hands a token to the consuming thread every ~0.1 ms for small models. Any hop to another
thread on the way to the socket (the event loop's, at first) made the threads contend for the
GIL on every token: the consumer fell behind the native generator and tokens left in bursts, and
the first token waited for the loop to wake up and write the response head. Here the consuming
thread writes everything: the head, the role chunk and the first token in one write as soon as
that token exists, each later token as it comes, and the ending.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Callable, Sequence

from flperf.host.engine import Cancel


class DirectStream:
    """One streamed response: `emit` pieces of text as they come, then `end` (from one thread).

    Nothing is written before the first piece or `end`, so a request that fails before
    generating anything can still be answered with an HTTP error status (`started` is False).
    """

    def __init__(
        self,
        sock: socket.socket,
        head: bytes,
        opening: bytes,
        encode: Callable[[str], bytes],
        chunked: bool,
        cancel: Cancel,
    ) -> None:
        self._sock = sock
        self._pending = head + self._frame(opening, chunked)  # sent with the first piece
        self._encode = encode
        self._chunked = chunked
        self._cancel = cancel
        self.started = False
        self.broken = False
        self.sent = 0

    @staticmethod
    def _frame(event: bytes, chunked: bool) -> bytes:
        return b"%x\r\n%b\r\n" % (len(event), event) if chunked else event

    def emit(self, texts: Sequence[str]) -> None:
        """Write each piece as one SSE event, all in one write (the head goes with the first)."""
        encode, chunked = self._encode, self._chunked
        if len(texts) == 1:
            event = encode(texts[0])
            data = b"%x\r\n%b\r\n" % (len(event), event) if chunked else event
        else:
            data = b"".join(self._frame(encode(text), chunked) for text in texts)
        if self._write(data):
            self.sent += len(texts)

    def end(self, events: list[bytes]) -> bool:
        """Write the closing events (and the chunked terminator); False if the client is gone."""
        data = b"".join(self._frame(event, self._chunked) for event in events)
        return self._write(data + b"0\r\n\r\n" if self._chunked else data)

    def close(self) -> None:
        """Release this thread's handle on the socket (the connection stays open)."""
        self._sock.close()

    def _write(self, data: bytes) -> bool:
        if self.broken:
            return False
        if not self.started:
            data = self._pending + data
            self._pending = b""
            self.started = True
        try:
            _send_all(self._sock, data, self._cancel)
        except OSError:
            self.broken = True  # the client went away: stop generating
            self._cancel.set()
            return False
        return True


def _send_all(sock: socket.socket, data: bytes, cancel: Cancel) -> None:
    """Write all of `data` to a non-blocking socket, waiting while its buffer is full."""
    try:
        sent = sock.send(data)
    except BlockingIOError:
        sent = 0
    if sent == len(data):
        return  # the usual case: one call
    view = memoryview(data)[sent:]
    while view:
        try:
            view = view[sock.send(view) :]
        except BlockingIOError:
            if cancel.is_set():
                raise BrokenPipeError("cancelled while the client was not reading") from None
            select.select([], [sock], [], 1.0)
