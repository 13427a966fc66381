"""The generating thread writes HTTP chunks itself once the headers are out."""

from __future__ import annotations

import socket

from flperf.host.direct_stream import DirectSink
from flperf.host.engine import Cancel


def _sink(queued: list[str], cancel: Cancel) -> DirectSink:
    return DirectSink(lambda text: f"data: {text}\n\n".encode(), queued.append, cancel)


def test_text_is_queued_until_direct_then_written_as_chunks_in_order() -> None:
    queued: list[str] = []
    cancel = Cancel()
    sink = _sink(queued, cancel)
    sink.emit("a")
    sink.emit("b")
    assert queued == ["a", "b"]
    server, client = socket.socketpair()
    with server, client:
        server.setblocking(False)
        sink.go_direct(server.fileno(), True, lambda: [queued.pop(0) for _ in range(len(queued))])
        sink.emit("c")
        client.settimeout(2)
        received = b""
        while received.count(b"\r\n") < 6:
            received += client.recv(4096)
    assert received == b"9\r\ndata: a\n\n\r\n9\r\ndata: b\n\n\r\n9\r\ndata: c\n\n\r\n"
    assert sink.sent == 3 and not sink.broken and not cancel.is_set()


def test_without_chunking_events_are_written_bare() -> None:
    cancel = Cancel()
    sink = _sink([], cancel)
    server, client = socket.socketpair()
    with server, client:
        server.setblocking(False)
        sink.go_direct(server.fileno(), False, list)
        sink.emit("x")
        client.settimeout(2)
        assert client.recv(4096) == b"data: x\n\n"


def test_a_client_that_went_away_cancels_generation() -> None:
    cancel = Cancel()
    sink = _sink([], cancel)
    server, client = socket.socketpair()
    with server:
        server.setblocking(False)
        client.close()
        sink.go_direct(server.fileno(), True, list)
        sink.emit("lost")
    assert sink.broken and cancel.is_set() and sink.sent == 0
