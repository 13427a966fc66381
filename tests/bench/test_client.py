"""The timed client over real TCP against a scripted server: what it writes, when it stamps."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from flperf.bench import event_loop
from flperf.bench.client import Capture, ChatClient, RequestPlan, build_body
from flperf.bench.records import ErrorKind, Status

Script = Callable[[socket.socket, "Seen"], "bool | None"]
"""Answers one request on a connection; returns True to close the connection afterwards."""


@dataclass
class Seen:
    """What the server saw: each request's reads, connections, and stamps it took."""

    requests: list[list[bytes]] = field(default_factory=list)
    connections: int = 0
    stamps: dict[str, int] = field(default_factory=dict)


def _read_request(conn: socket.socket) -> list[bytes] | None:
    """Reads until a whole request (head + Content-Length body) is in; each recv kept apart."""
    reads: list[bytes] = []
    data = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        reads.append(chunk)
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            if len(body) >= length:
                return reads


Serve = Callable[[Script], tuple[str, Seen]]


@pytest.fixture
def server() -> Iterator[Serve]:
    """A TCP server on a thread; each accepted connection answers requests with `script`."""
    listener = socket.create_server(("127.0.0.1", 0))

    def start(script: Script) -> tuple[str, Seen]:
        seen = Seen()

        def serve_connection(conn: socket.socket) -> None:
            with conn:
                while (reads := _read_request(conn)) is not None:
                    seen.requests.append(reads)
                    if script(conn, seen):
                        return

        def accept() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                seen.connections += 1
                thread = threading.Thread(target=serve_connection, args=(conn,), daemon=True)
                thread.start()

        threading.Thread(target=accept, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}/v1", seen

    yield start
    listener.close()


def chunk(event: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(event), event)


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
ROLE = b'data: {"id":"r1","choices":[{"delta":{"role":"assistant","content":""}}]}\n\n'
TOKEN = b'data: {"id":"r1","choices":[{"delta":{"content":"hi"}}]}\n\n'
USAGE = b'data: {"id":"r1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\n'
FINISH = b'data: {"id":"r1","choices":[{"delta":{},"finish_reason":"length"}]}\n\n'
DONE = b"data: [DONE]\n\n"
ENDING = chunk(FINISH) + chunk(USAGE) + chunk(DONE) + b"0\r\n\r\n"


def stream_script(conn: socket.socket, seen: Seen) -> None:
    """Role chunk, one token, a pause, a second token and the ending."""
    conn.sendall(HEAD + chunk(ROLE))
    time.sleep(0.02)
    seen.stamps["token_sent"] = time.perf_counter_ns()
    conn.sendall(chunk(TOKEN))
    time.sleep(0.05)
    seen.stamps["second_token"] = time.perf_counter_ns()
    conn.sendall(chunk(TOKEN) + ENDING)


def plan(streamed: bool = True) -> RequestPlan:
    body = build_body("m", [{"role": "user", "content": "hello"}], 2, 0.0, streamed)
    return RequestPlan(0, "m", "s", 0, False, 0, body, 2, streamed)


def send_all(url: str, count: int, timeout_s: float = 10.0) -> tuple[ChatClient, list[Capture]]:
    async def go() -> tuple[ChatClient, list[Capture]]:
        async with ChatClient(url, timeout_s=timeout_s, ref_ns=0, pool_size=1) as client:
            return client, [await client.send(plan(), time.perf_counter_ns()) for _ in range(count)]

    return event_loop.run(go())


def test_request_reaches_the_server_whole_in_one_read(server: Serve) -> None:
    url, seen = server(stream_script)
    client, _ = send_all(url, 2)
    assert [len(reads) for reads in seen.requests] == [1, 1]
    request = seen.requests[0][0]
    assert request == client.request_bytes(plan().body)
    assert request.startswith(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:")
    assert request.endswith(b"\r\n\r\n" + plan().body)


def test_first_token_is_stamped_when_its_bytes_arrive(server: Serve) -> None:
    url, seen = server(stream_script)
    client, (capture,) = send_all(url, 1)
    record = client.record(capture)
    assert record.ok and record.output_tokens == 2 and record.token_source == "usage"
    assert record.ttft_ms is not None
    first_token_ns = capture.start_ns + round(record.ttft_ms * 1e6)
    # Stamped after the server wrote it and before the server wrote anything else.
    assert seen.stamps["token_sent"] <= first_token_ns < seen.stamps["second_token"]
    assert capture.start_ns < first_token_ns and record.chunk_count == 2


def test_connection_is_kept_alive_between_requests(server: Serve) -> None:
    url, seen = server(stream_script)
    _, captures = send_all(url, 3)
    assert seen.connections == 1 and all(c.failure is None for c in captures)


def test_server_closing_after_each_response_gets_a_new_connection(server: Serve) -> None:
    def close_after(conn: socket.socket, seen: Seen) -> bool:
        body = b'{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}]}'
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%b" % (len(body), body)
        )
        return True

    url, seen = server(close_after)
    client, captures = send_all(url, 2)
    assert seen.connections == 2
    records = [client.record(c) for c in captures]
    assert all(r.ok and not r.streamed for r in records)  # the server ignored stream: true


def test_http_error_keeps_status_and_message(server: Serve) -> None:
    def busy(conn: socket.socket, seen: Seen) -> None:
        body = b'{"error":{"message":"model is busy"}}'
        conn.sendall(b"HTTP/1.1 503 Busy\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body))

    url, _ = server(busy)
    client, (capture,) = send_all(url, 1)
    record = client.record(capture)
    assert (record.status, record.error_kind, record.http_status) == (
        Status.ERROR,
        ErrorKind.HTTP,
        503,
    )
    assert record.error_message == "HTTP 503: model is busy"


def test_stream_cut_mid_way_is_a_connection_error(server: Serve) -> None:
    def cut(conn: socket.socket, seen: Seen) -> bool:
        conn.sendall(HEAD + chunk(ROLE) + chunk(TOKEN))
        conn.shutdown(socket.SHUT_RDWR)
        return True

    url, _ = server(cut)
    client, (capture,) = send_all(url, 1)
    record = client.record(capture)
    assert record.error_kind is ErrorKind.CONNECTION
    assert record.error_message is not None and "before the response ended" in record.error_message
    assert record.chunk_count == 1  # what arrived is kept


def test_timeout_ends_the_request_and_drops_its_connection(server: Serve) -> None:
    def stall_first(conn: socket.socket, seen: Seen) -> None:
        if len(seen.requests) == 1:
            conn.sendall(HEAD + chunk(ROLE))
            time.sleep(0.5)
            return
        stream_script(conn, seen)

    url, seen = server(stall_first)
    client, (stalled, after) = send_all(url, 2, timeout_s=0.2)
    assert client.record(stalled).status is Status.TIMEOUT
    assert client.record(after).ok
    assert seen.connections == 2


def test_unreachable_server_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client, (capture,) = send_all(f"http://127.0.0.1:{port}/v1", 1)
    record = client.record(capture)
    assert record.error_kind is ErrorKind.CONNECTION
    assert record.error_message is not None and record.error_message.startswith(
        f"cannot connect to 127.0.0.1:{port}"
    )


def test_cancelled_send_is_recorded_as_cancelled(server: Serve) -> None:
    def never(conn: socket.socket, seen: Seen) -> None:
        conn.sendall(HEAD)
        time.sleep(1)

    url, _ = server(never)

    async def go() -> Capture:
        async with ChatClient(url, timeout_s=10, ref_ns=0) as client:
            task = asyncio.create_task(client.send(plan(), time.perf_counter_ns()))
            await asyncio.sleep(0.1)
            task.cancel()
            return await task

    capture = event_loop.run(go())
    assert capture.failure is not None and capture.failure[0] is Status.CANCELLED


def test_an_endpoint_url_that_cannot_be_used_fails_each_request() -> None:
    client, (capture,) = send_all("http://127.0.0.1:port/v1", 1)
    record = client.record(capture)
    assert record.error_kind is ErrorKind.CONNECTION
    assert record.error_message is not None and "invalid port" in record.error_message
