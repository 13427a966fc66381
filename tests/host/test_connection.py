"""The host's HTTP/1.1 connections over real TCP: framing, keep-alive, and direct responses."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import orjson
import pytest

from flperf.host.connection import HostConnection, HttpRequest, json_response, response_head


def _handle(request: HttpRequest, conn: HostConnection) -> None:
    """Echo the request as JSON; `/direct` answers from another thread on a duplicate socket."""
    if request.path == "/direct":
        sock = conn.direct_socket()
        assert sock is not None

        def write() -> None:
            head = response_head(200, [("Content-Length", "6")], request.keep_alive)
            sock.sendall(head + b"direct")
            sock.close()
            conn.loop.call_soon_threadsafe(conn.done, request.keep_alive)

        threading.Thread(target=write).start()
        return
    echo = {"method": request.method, "path": request.path, "body": request.body.decode()}
    conn.reply(json_response(200, echo, request.keep_alive), request.keep_alive)


@pytest.fixture
def port() -> Iterator[int]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    server: list[asyncio.Server] = []

    async def start() -> None:
        server.append(await loop.create_server(lambda: HostConnection(_handle), "127.0.0.1", 0))
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    ready.wait(5)
    yield server[0].sockets[0].getsockname()[1]
    loop.call_soon_threadsafe(server[0].close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def _post(path: str, body: bytes, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


def _responses(sock: socket.socket, count: int) -> list[tuple[int, dict[str, str], bytes]]:
    """Read `count` Content-Length responses (or one that ends when the server closes)."""
    data = b""
    out = []
    while len(out) < count:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            lines = data[:head_end].decode().split("\r\n")
            headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
            length = int(headers.get("content-length", "-1"))
            end = head_end + 4 + length
            if length >= 0 and len(data) >= end:
                out.append((int(lines[0].split()[1]), headers, data[head_end + 4 : end]))
                data = data[end:]
                continue
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return out


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def test_two_requests_share_one_kept_alive_connection(port: int) -> None:
    with _connect(port) as sock:
        sock.sendall(_post("/a", b"1"))
        (first,) = _responses(sock, 1)
        sock.sendall(_post("/b", b"22"))
        (second,) = _responses(sock, 1)
    assert orjson.loads(first[2]) == {"method": "POST", "path": "/a", "body": "1"}
    assert orjson.loads(second[2])["body"] == "22"
    assert first[1]["server"] == "flperf-host" and "date" in first[1]


def test_pipelined_requests_are_answered_in_order(port: int) -> None:
    with _connect(port) as sock:
        sock.sendall(_post("/one", b"") + _post("/direct", b"") + _post("/three", b"x"))
        responses = _responses(sock, 3)
    assert [r[2] for r in responses][1] == b"direct"
    assert orjson.loads(responses[0][2])["path"] == "/one"
    assert orjson.loads(responses[2][2])["path"] == "/three"


def test_a_body_split_across_packets_and_100_continue(port: int) -> None:
    with _connect(port) as sock:
        sock.sendall(
            _post("/e", b"", "Expect: 100-continue\r\n").replace(b"Length: 0", b"Length: 5")
        )
        assert sock.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hel")
        sock.sendall(b"lo")
        (response,) = _responses(sock, 1)
    assert orjson.loads(response[2])["body"] == "hello"


def test_chunked_request_body_is_refused_with_411_and_closed(port: int) -> None:
    with _connect(port) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n")
        (response,) = _responses(sock, 1)
        assert sock.recv(64) == b""  # closed
    assert response[0] == 411 and response[1]["connection"] == "close"


def test_malformed_request_line_is_400_and_closed(port: int) -> None:
    with _connect(port) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        (response,) = _responses(sock, 1)
        assert sock.recv(64) == b""
    assert response[0] == 400 and b"request line" in response[2]


def test_connection_close_and_http10_end_the_connection(port: int) -> None:
    for request in (
        _post("/c", b"", "Connection: close\r\n"),
        b"POST /d HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
    ):
        with _connect(port) as sock:
            sock.sendall(request)
            (response,) = _responses(sock, 1)
            assert sock.recv(64) == b""
        assert response[0] == 200 and response[1]["connection"] == "close"
