"""The timed client's HTTP/1.1 framing, fed byte by byte: what reaches the caller and when."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from flperf.bench.http1 import (
    ConnectionBroken,
    Exchange,
    Http1Connection,
    MalformedResponse,
    Origin,
)


class _Transport(asyncio.Transport):
    """Collects what the connection writes; closing is only noted."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def _open(loop: asyncio.AbstractEventLoop) -> tuple[Http1Connection, _Transport, Exchange]:
    connection = Http1Connection()
    transport = _Transport()
    connection.connection_made(transport)
    exchange = Exchange(loop.create_future())
    connection.send(b"POST / HTTP/1.1\r\n\r\n", exchange)
    return connection, transport, exchange


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
EVENTS = [b'data: {"a":1}\n\n', b'data: {"b":22}\n\n', b"data: [DONE]\n\n"]
CHUNKED = HEAD + b"".join(b"%x\r\n%b\r\n" % (len(e), e) for e in EVENTS) + b"0\r\n\r\n"


def test_request_is_written_in_one_call(loop: asyncio.AbstractEventLoop) -> None:
    _, transport, _ = _open(loop)
    assert transport.writes == [b"POST / HTTP/1.1\r\n\r\n"]


@pytest.mark.parametrize("cut", range(1, len(CHUNKED)))
def test_chunked_body_survives_any_split_between_reads(
    loop: asyncio.AbstractEventLoop, cut: int
) -> None:
    connection, _, exchange = _open(loop)
    connection.data_received(CHUNKED[:cut])
    assert not exchange.done.done()
    connection.data_received(CHUNKED[cut:])
    assert exchange.done.done() and exchange.done.exception() is None
    assert exchange.status == 200 and exchange.content_type == "text/event-stream"
    assert exchange.body == b"".join(EVENTS)
    assert connection.reusable


def test_each_read_keeps_its_own_arrival_time(loop: asyncio.AbstractEventLoop) -> None:
    connection, _, exchange = _open(loop)
    connection.data_received(HEAD + b"%x\r\n%b\r\n" % (len(EVENTS[0]), EVENTS[0]))
    connection.data_received(b"%x\r\n%b\r\n0\r\n\r\n" % (len(EVENTS[1]), EVENTS[1]))
    (t1, first), (t2, second) = exchange.reads
    assert (first, second) == (EVENTS[0], EVENTS[1])
    assert t1 < t2 == exchange.end_ns


def test_trailers_after_the_last_chunk_end_the_response(
    loop: asyncio.AbstractEventLoop,
) -> None:
    connection, _, exchange = _open(loop)
    connection.data_received(HEAD + b"3\r\nabc\r\n0\r\nX-Checksum: 1\r\n")
    assert not exchange.done.done()
    connection.data_received(b"\r\n")
    assert exchange.done.done() and exchange.body == b"abc"


def test_content_length_body_and_interim_response(loop: asyncio.AbstractEventLoop) -> None:
    connection, _, exchange = _open(loop)
    connection.data_received(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n")
    connection.data_received(b"Content-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nmis")
    assert not exchange.done.done()
    connection.data_received(b"s!")
    assert exchange.status == 404 and exchange.body == b"miss!"
    assert exchange.headers["x-a"] == "1, 2"
    assert connection.reusable


def test_body_without_length_ends_when_the_server_closes(
    loop: asyncio.AbstractEventLoop,
) -> None:
    connection, _, exchange = _open(loop)
    connection.data_received(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{}")
    assert not exchange.done.done()
    connection.connection_lost(None)
    assert exchange.done.exception() is None and exchange.body == b"{}"
    assert not connection.reusable


def test_connection_close_header_stops_reuse(loop: asyncio.AbstractEventLoop) -> None:
    connection, _, exchange = _open(loop)
    connection.data_received(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert exchange.done.done() and not connection.reusable


def test_stream_cut_short_is_a_broken_connection_with_what_arrived(
    loop: asyncio.AbstractEventLoop,
) -> None:
    connection, _, exchange = _open(loop)
    connection.data_received(HEAD + b"3\r\nabc\r\n")
    connection.connection_lost(ConnectionResetError("reset by peer"))
    error = exchange.done.exception()
    assert isinstance(error, ConnectionBroken) and "before the response ended" in str(error)
    assert exchange.body == b"abc"


def test_close_before_any_byte_says_the_response_never_started(
    loop: asyncio.AbstractEventLoop,
) -> None:
    connection, _, exchange = _open(loop)
    connection.connection_lost(None)
    error = exchange.done.exception()
    assert isinstance(error, ConnectionBroken) and "before the response started" in str(error)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab", "more body bytes"),
    ],
)
def test_malformed_responses_fail_the_exchange_and_close(
    loop: asyncio.AbstractEventLoop, data: bytes, message: str
) -> None:
    connection, transport, exchange = _open(loop)
    connection.data_received(data)
    error = exchange.done.exception()
    assert isinstance(error, MalformedResponse) and message in str(error)
    assert transport.closed and not connection.reusable


def test_bytes_nobody_asked_for_close_an_idle_connection(
    loop: asyncio.AbstractEventLoop,
) -> None:
    connection, transport, exchange = _open(loop)
    connection.data_received(b"HTTP/1.1 204 No Content\r\n\r\n")
    assert exchange.done.done() and connection.reusable
    connection.data_received(b"HTTP/1.1 200 OK\r\n")
    assert transport.closed and not connection.reusable


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "http://127.0.0.1:8000/v1/chat/completions",
            ("http", "127.0.0.1", 8000, "127.0.0.1:8000"),
        ),
        (
            "https://example.org/v1/chat/completions?x=1",
            ("https", "example.org", 443, "example.org"),
        ),
        ("http://[::1]/v1/chat/completions", ("http", "::1", 80, "[::1]")),
    ],
)
def test_origin_of_a_url(url: str, expected: tuple[str, str, int, str]) -> None:
    origin = Origin.of(url)
    assert (origin.scheme, origin.host, origin.port, origin.host_header) == expected
    assert origin.target.startswith("/v1/chat/completions")


def test_origin_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="scheme"):
        Origin.of("ftp://127.0.0.1/v1")
