"""HTTP/1.1 for the timed client: one asyncio protocol per connection, a small keep-alive pool.

The engine times responses at the floor of what a client on an event loop can see: a request is
written with one `transport.write` right after its start is stamped, without returning to the
loop first, and every read of the response is stamped in `data_received`, before any other code
runs. The protocol only frames the body (chunked, Content-Length or until close) and keeps each
read's bytes with its arrival time; everything else happens after the response ends.

An HTTP library could not give both: aiohttp, measured on the benchmark path, spent a few hundred
microseconds of Python between the start stamp and the first byte on the wire (the body is
written by a task that runs one loop turn later, after whatever else is queued), and stamped
reads one loop turn after they arrived.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from enum import Enum
from time import perf_counter_ns
from urllib.parse import urlsplit

MAX_HEAD_BYTES = 64 * 1024
"""A response head longer than this is malformed."""


class MalformedResponse(Exception):
    """The server's bytes are not an HTTP/1.1 response this client can frame."""


class ConnectionBroken(ConnectionError):
    """The connection closed (or failed) before the response was complete."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where requests go: scheme, host, port and the request target of one URL."""

    scheme: str
    host: str
    port: int
    target: str
    host_header: str

    @classmethod
    def of(cls, url: str) -> Origin:
        """Split an http(s) URL; raises ValueError naming what is wrong with it."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"URL scheme must be http or https, got {parts.scheme!r}")
        if not parts.hostname:
            raise ValueError(f"URL has no host: {url!r}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise ValueError(f"URL has an invalid port: {url!r}") from exc
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.scheme, parts.hostname, port, target, parts.netloc.rpartition("@")[2])


@dataclass(slots=True)
class Exchange:
    """One request's response as it arrives: head, body reads with their arrival times, end."""

    done: asyncio.Future[None]
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    reads: list[tuple[int, bytes]] = field(default_factory=list)
    """`(perf_counter_ns at arrival, body bytes)` per network read, transfer framing removed."""
    end_ns: int = 0
    """Arrival of the read that completed the response (0 until it is complete)."""

    @property
    def body(self) -> bytes:
        """The whole body received so far."""
        return b"".join(data for _, data in self.reads)

    @property
    def content_type(self) -> str:
        """The Content-Type header, lower case ('' when absent)."""
        return self.headers.get("content-type", "").lower()


class _Body(Enum):
    HEAD = 0  # reading the status line and headers
    CHUNKED = 1
    LENGTH = 2
    UNTIL_CLOSE = 3
    IDLE = 4  # no request in progress


class Http1Connection(asyncio.Protocol):
    """One client connection; one request at a time (no pipelining)."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._exchange: Exchange | None = None
        self._state = _Body.IDLE
        self._buffer = b""  # an incomplete head, chunk-size line or trailer section
        self._left = 0  # LENGTH: body bytes left; CHUNKED: chunk bytes left, its CRLF included
        self._trailers = False  # CHUNKED: the last chunk was seen, reading the trailer section
        self._keep_alive = True
        self.closed = False

    # -- asyncio callbacks --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        now = perf_counter_ns()
        exchange = self._exchange
        if exchange is None:
            self.close()  # bytes nobody asked for: this connection cannot be trusted again
            return
        try:
            state = self._state
            if state is _Body.CHUNKED:
                self._chunked(exchange, now, data)
            elif state is _Body.LENGTH:
                self._sized(exchange, now, data)
            elif state is _Body.UNTIL_CLOSE:
                exchange.reads.append((now, data))
            elif state is _Body.HEAD:
                self._head(exchange, now, data)
        except MalformedResponse as exc:
            self._fail(exc)
            self.close()

    def eof_received(self) -> bool | None:
        return None  # close our side too; connection_lost ends the response

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._transport = None
        exchange = self._exchange
        if exchange is None:
            return
        if self._state is _Body.UNTIL_CLOSE:
            self._finish(exchange, perf_counter_ns())
            return
        if self._state is _Body.HEAD and not exchange.status:
            reason = "the connection closed before the response started"
        else:
            reason = "the connection closed before the response ended"
        self._fail(ConnectionBroken(f"{reason}: {exc}" if exc else reason))

    # -- the caller's side ----------------------------------------------------------------

    def send(self, request: bytes, exchange: Exchange) -> None:
        """Write a whole request now; the response fills `exchange` and resolves its `done`."""
        transport = self._transport
        if transport is None or self._exchange is not None:
            raise ConnectionBroken("the connection is closed or busy")
        self._exchange = exchange
        self._state = _Body.HEAD
        self._buffer = b""
        transport.write(request)

    @property
    def reusable(self) -> bool:
        """Open, idle and kept alive by the server."""
        return not self.closed and self._exchange is None and self._keep_alive

    def close(self) -> None:
        """Close the connection (a response still in progress ends as broken)."""
        self._keep_alive = False
        if self._transport is not None:
            self._transport.close()

    # -- response framing -----------------------------------------------------------------

    def _head(self, exchange: Exchange, now: int, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise MalformedResponse("the response head is too large")
                self._buffer = buffer
                return
            status, version_11, headers = _parse_head(buffer[:end])
            buffer = buffer[end + 4 :]
            if 100 <= status < 200:  # interim responses (100 Continue, 103 Early Hints)
                continue
            break
        self._buffer = b""
        exchange.status, exchange.headers = status, headers
        connection = headers.get("connection", "").lower()
        self._keep_alive = ("close" not in connection) if version_11 else "keep-alive" in connection
        if status in (204, 304):
            self._finish(exchange, now)
            if buffer:
                raise MalformedResponse("bytes after a response that has no body")
            return
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._state, self._left, self._trailers = _Body.CHUNKED, 0, False
            if buffer:
                self._chunked(exchange, now, buffer)
        elif "content-length" in headers:
            length = headers["content-length"].strip()
            if not length.isdigit():
                raise MalformedResponse(f"invalid Content-Length {length!r}")
            self._state, self._left = _Body.LENGTH, int(length)
            self._sized(exchange, now, buffer)
        else:
            self._state, self._keep_alive = _Body.UNTIL_CLOSE, False
            if buffer:
                exchange.reads.append((now, buffer))

    def _sized(self, exchange: Exchange, now: int, data: bytes) -> None:
        left = self._left
        if len(data) > left:
            raise MalformedResponse("more body bytes than Content-Length announced")
        if data:
            exchange.reads.append((now, data))
        self._left = left - len(data)
        if not self._left:
            self._finish(exchange, now)

    def _chunked(self, exchange: Exchange, now: int, data: bytes) -> None:
        if self._buffer:
            data = self._buffer + data
            self._buffer = b""
        pieces: list[bytes] = []
        size, at, left = len(data), 0, self._left
        while at < size:
            if left:  # inside a chunk: its data, then its CRLF
                take = min(left, size - at)
                payload = min(take, left - 2)
                if payload > 0:
                    pieces.append(data[at : at + payload])
                at += take
                left -= take
                continue
            if self._trailers:  # after the last chunk: an empty line, or trailers and one
                rest = data[at:]
                if rest.startswith(b"\r\n"):
                    end = 2
                elif (found := rest.find(b"\r\n\r\n")) >= 0:
                    end = found + 4
                else:
                    self._buffer = rest
                    break
                if end < len(rest):
                    self._keep_alive = False  # bytes after the response: do not reuse
                self._left = 0
                if pieces:
                    exchange.reads.append((now, b"".join(pieces)))
                self._finish(exchange, now)
                return
            line_end = data.find(b"\r\n", at)
            if line_end < 0:
                if size - at > 1024:
                    raise MalformedResponse("a chunk-size line is too long")
                self._buffer = data[at:]
                break
            digits = data[at:line_end].split(b";", 1)[0].strip()
            try:
                chunk = int(digits, 16)
            except ValueError:
                raise MalformedResponse(f"invalid chunk size {digits[:20]!r}") from None
            at = line_end + 2
            if chunk:
                left = chunk + 2
            else:
                self._trailers = True
        self._left = left
        if pieces:
            exchange.reads.append((now, pieces[0] if len(pieces) == 1 else b"".join(pieces)))

    def _finish(self, exchange: Exchange, now: int) -> None:
        exchange.end_ns = now
        self._exchange = None
        self._state = _Body.IDLE
        if not exchange.done.done():
            exchange.done.set_result(None)

    def _fail(self, exc: Exception) -> None:
        exchange, self._exchange = self._exchange, None
        self._state = _Body.IDLE
        self._keep_alive = False
        if exchange is not None and not exchange.done.done():
            exchange.done.set_exception(exc)


def _parse_head(head: bytes) -> tuple[int, bool, dict[str, str]]:
    """(status, whether HTTP/1.1, headers with lower-case names; repeats joined by ', ')."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise MalformedResponse(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            raise MalformedResponse(f"malformed header line: {line[:80]!r}")
        key = name.strip().lower().decode("latin-1")
        text = value.strip().decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return int(parts[1]), parts[0] == b"HTTP/1.1", headers


class ConnectionPool:
    """Keep-alive connections to one origin; at most `limit` requests at once (0: no limit)."""

    def __init__(self, origin: Origin, limit: int = 0) -> None:
        self.origin = origin
        self._ssl: ssl.SSLContext | None = (
            ssl.create_default_context() if origin.scheme == "https" else None
        )
        self._slots = asyncio.Semaphore(limit) if limit > 0 else None
        self._idle: list[Http1Connection] = []
        self._open: set[Http1Connection] = set()

    async def exchange(self, request: bytes, exchange: Exchange) -> None:
        """Send `request` on an idle connection (or a new one) and wait until the response ends.

        Raises `ConnectionBroken`, `MalformedResponse` or `OSError` (connecting); a cancelled or
        failed exchange closes its connection.
        """
        slots = self._slots
        if slots is not None:
            await slots.acquire()  # returns at once while a slot is free
        try:
            connection = self._take_idle() or await self._connect()
            try:
                connection.send(request, exchange)
                await exchange.done
            except BaseException:
                connection.close()
                self._open.discard(connection)
                raise
            if connection.reusable:
                self._idle.append(connection)
            else:
                connection.close()
                self._open.discard(connection)
        finally:
            if slots is not None:
                slots.release()

    def _take_idle(self) -> Http1Connection | None:
        idle = self._idle
        while idle:
            connection = idle.pop()
            if connection.reusable:
                return connection
            self._open.discard(connection)
        return None

    async def _connect(self) -> Http1Connection:
        origin = self.origin
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(
            Http1Connection,
            origin.host,
            origin.port,
            ssl=self._ssl,
            server_hostname=origin.host if self._ssl is not None else None,
        )
        self._open.add(connection)
        return connection

    def close(self) -> None:
        """Close every connection (requests in flight end as broken)."""
        for connection in list(self._open):
            connection.close()
        self._open.clear()
        self._idle.clear()
