"""HTTP/1.1 for the host: one asyncio protocol per client connection, requests handed to the app.

The host owns its connections so that a streamed response can be written from start to end by
the thread that generates it (see `flperf.host.direct_stream`), with no hop through the event
loop between a token and the socket. The loop parses requests, answers the short ones, and
takes the connection back once a streamed response has ended.

Requests are answered one at a time per connection, in order (pipelined requests wait). Bodies
need a Content-Length (a chunked request body is answered 411); `Expect: 100-continue` is
honoured; keep-alive follows HTTP/1.1 and HTTP/1.0 rules.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, Protocol

import orjson

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
SERVER_NAME = "flperf-host"


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One parsed request."""

    method: str
    path: str
    query: str
    http11: bool
    headers: dict[str, str]
    """Lower-case names; repeated headers joined with ', '."""
    body: bytes
    keep_alive: bool


class Handler(Protocol):
    """The app: answers each request through the connection it came on."""

    def __call__(self, request: HttpRequest, connection: HostConnection) -> None: ...


def response_head(status: int, headers: list[tuple[str, str]], keep_alive: bool) -> bytes:
    """Status line and headers (with Date and Server), ending with the blank line."""
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Date: {formatdate(usegmt=True)}",
        f"Server: {SERVER_NAME}",
    ]
    lines += [f"{name}: {value}" for name, value in headers]
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_response(status: int, payload: Any, keep_alive: bool) -> bytes:
    """A whole response with a JSON body."""
    body = orjson.dumps(payload)
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return response_head(status, headers, keep_alive) + body


def _error(status: int, message: str) -> bytes:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None}}
    return json_response(status, body, keep_alive=False)


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class HostConnection(asyncio.Protocol):
    """One client connection of the host."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._busy = False  # a request is being answered
        self._continued = False  # 100 Continue sent for the request being read
        self._closing = False
        self._on_lost: Callable[[], None] | None = None
        self.loop = asyncio.get_running_loop()

    # -- asyncio callbacks ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._buffer = self._buffer + data if self._buffer else data
        if not self._busy:
            self._next_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        on_lost, self._on_lost = self._on_lost, None
        if on_lost is not None:
            on_lost()

    # -- the app's side -------------------------------------------------------------------

    @property
    def open(self) -> bool:
        return self._transport is not None

    def on_lost(self, callback: Callable[[], None] | None) -> None:
        """Call `callback` if the client goes away while the current request is answered."""
        self._on_lost = callback

    def reply(self, response: bytes, keep_alive: bool = True) -> None:
        """Write a whole response (loop thread) and go on with the next request."""
        transport = self._transport
        if transport is not None:
            transport.write(response)
        self.done(keep_alive)

    def direct_socket(self) -> socket.socket | None:
        """A duplicate of the connection's socket for another thread to write a response on.

        Non-blocking, like the original; the caller closes it. The loop writes nothing on this
        connection until `done` is called.
        """
        transport = self._transport
        if transport is None or transport.get_write_buffer_size():
            return None  # earlier bytes still queued: they must leave first
        original = transport.get_extra_info("socket")
        if original is None:
            return None
        duplicate: socket.socket = original.dup()
        duplicate.setblocking(False)
        return duplicate

    def done(self, keep_alive: bool = True) -> None:
        """The current response is complete (loop thread): close, or read the next request."""
        self._busy = False
        self._on_lost = None
        if not keep_alive:
            self.close()
        elif self._buffer and self._transport is not None:
            self._next_request()

    def close(self) -> None:
        self._closing = True
        self._buffer = b""
        if self._transport is not None:
            self._transport.close()

    # -- request framing ------------------------------------------------------------------

    def _next_request(self) -> None:
        if self._closing or self._transport is None:
            return
        try:
            request = self._take_request()
        except _BadRequest as exc:
            self._busy = True
            self.reply(_error(exc.status, str(exc)), keep_alive=False)
            return
        if request is None:
            return
        self._busy = True
        self._continued = False
        self._handler(request, self)

    def _take_request(self) -> HttpRequest | None:
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                raise _BadRequest(431, "request head too large")
            return None
        lines = buffer[:end].split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            raise _BadRequest(400, "malformed request line")
        method, target, version = (p.decode("latin-1") for p in parts)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name.strip():
                raise _BadRequest(400, "malformed header line")
            key = name.strip().lower().decode("latin-1")
            text = value.strip().decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        if "transfer-encoding" in headers:
            raise _BadRequest(411, "send the request body with a Content-Length")
        length_text = headers.get("content-length", "0")
        if not length_text.isdigit():
            raise _BadRequest(400, "invalid Content-Length")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise _BadRequest(413, f"request body larger than {MAX_BODY_BYTES} bytes")
        start = end + 4
        if len(buffer) < start + length:
            expect = headers.get("expect", "").lower()
            if expect == "100-continue" and not self._continued and self._transport is not None:
                self._continued = True
                self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            return None
        self._buffer = buffer[start + length :]
        connection = headers.get("connection", "").lower()
        http11 = version == "HTTP/1.1"
        keep_alive = "close" not in connection if http11 else "keep-alive" in connection
        path, _, query = target.partition("?")
        return HttpRequest(
            method, path, query, http11, headers, buffer[start : start + length], keep_alive
        )
