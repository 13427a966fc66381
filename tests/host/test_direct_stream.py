"""The generating thread writes a streamed response itself, from the head to the last chunk."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from flperf.host.direct_stream import DirectStream
from flperf.host.engine import Cancel


def _event(text: str) -> bytes:
    return f"data: {text}\n\n".encode()


def _chunk(event: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(event), event)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    server, client = socket.socketpair()
    server.setblocking(False)
    client.settimeout(2)
    with server, client:
        yield server, client


def _stream(server: socket.socket, cancel: Cancel, chunked: bool = True) -> DirectStream:
    return DirectStream(server.dup(), b"HEAD\r\n\r\n", _event("role"), _event, chunked, cancel)


def _read(client: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        data += client.recv(65536)
    return data


def test_nothing_is_written_before_the_first_piece(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, client = pair
    out = _stream(server, Cancel())
    client.setblocking(False)
    with pytest.raises(BlockingIOError):
        client.recv(1)
    assert not out.started


def test_head_and_role_leave_with_the_first_piece_in_one_read(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, client = pair
    out = _stream(server, Cancel())
    out.emit(["a"])
    expected = b"HEAD\r\n\r\n" + _chunk(_event("role")) + _chunk(_event("a"))
    assert client.recv(65536) == expected  # one write: it arrives whole
    assert out.started and out.sent == 1


def test_pieces_ready_together_are_separate_events_in_one_write(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, client = pair
    out = _stream(server, Cancel())
    out.emit(["a"])
    client.recv(65536)
    out.emit(["b", "c"])
    assert client.recv(65536) == _chunk(_event("b")) + _chunk(_event("c"))
    assert out.sent == 3


def test_end_writes_the_closing_events_and_the_last_chunk(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, client = pair
    out = _stream(server, Cancel())
    out.emit(["a"])
    assert out.end([_event("finish"), b"data: [DONE]\n\n"])
    expected = (
        b"HEAD\r\n\r\n"
        + _chunk(_event("role"))
        + _chunk(_event("a"))
        + _chunk(_event("finish"))
        + _chunk(b"data: [DONE]\n\n")
        + b"0\r\n\r\n"
    )
    assert _read(client, len(expected)) == expected


def test_a_stream_without_pieces_still_sends_its_head_at_the_end(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, client = pair
    out = _stream(server, Cancel())
    assert out.end([b"data: [DONE]\n\n"])
    expected = b"HEAD\r\n\r\n" + _chunk(_event("role")) + _chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n"
    assert _read(client, len(expected)) == expected


def test_without_chunking_events_are_written_bare(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, client = pair
    out = _stream(server, Cancel(), chunked=False)
    out.emit(["x"])
    out.end([b"data: [DONE]\n\n"])
    expected = b"HEAD\r\n\r\n" + _event("role") + _event("x") + b"data: [DONE]\n\n"
    assert _read(client, len(expected)) == expected


def test_a_client_that_went_away_cancels_generation() -> None:
    server, client = socket.socketpair()
    server.setblocking(False)
    with server:
        client.close()
        cancel = Cancel()
        out = _stream(server, cancel)
        out.emit(["lost"])
        assert not out.end([b"data: [DONE]\n\n"])
    assert out.broken and cancel.is_set() and out.sent == 0


def test_closing_releases_only_the_streams_own_handle(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, client = pair
    out = _stream(server, Cancel())
    out.close()
    server.send(b"still open")
    assert client.recv(64) == b"still open"
