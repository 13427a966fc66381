"""The floor of a streaming client: an asyncio protocol on a raw socket, no HTTP library.

Each worker keeps one connection open, writes every request with one `transport.write` right
after taking the start time, and stamps the first read that carries content in `data_received`,
before anything else runs. No client can time a stream earlier than this on the same event
loop; the calibration benchmarks read the engine's cost as its difference from these numbers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from time import perf_counter_ns
from urllib.parse import urlsplit

import orjson

_CONTENT = b'"content":"'
_EMPTY_CONTENT = b'"content":""'
_LAST_CHUNK = b"\r\n0\r\n\r\n"


@dataclass(frozen=True)
class RawTiming:
    """One request as the floor saw it (perf_counter_ns stamps)."""

    response_id: str | None
    start_ns: int
    first_content_ns: int | None
    last_content_ns: int | None

    @property
    def ttft_ms(self) -> float | None:
        """First read with content minus the moment before the request was written."""
        if self.first_content_ns is None:
            return None
        return (self.first_content_ns - self.start_ns) / 1e6


def request_bytes(url: str, model: str, max_tokens: int, prompt: str = "hi") -> bytes:
    """A whole streaming chat completion request: head and body, ready for one write."""
    parts = urlsplit(url)
    body = orjson.dumps(
        {
            "model": model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )
    head = (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Content-Type: application/json\r\nAccept: text/event-stream\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _Stream(asyncio.Protocol):
    """One keep-alive connection; one request at a time (chunked SSE responses only)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._done: asyncio.Future[RawTiming] | None = None
        self._start = 0
        self._first: int | None = None
        self._last: int | None = None
        self._head = b""
        self._in_body = False
        self._tail = b""
        self._rid: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now = perf_counter_ns()
        if not self._in_body:
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                return
            for line in self._head[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"x-request-id":
                    self._rid = value.strip().decode("latin-1")
            data = self._head[end + 4 :]
            self._in_body = True
        if _CONTENT in data and data.count(_EMPTY_CONTENT) < data.count(_CONTENT):
            if self._first is None:
                self._first = now
            self._last = now
        self._tail = (self._tail + data)[-len(_LAST_CHUNK) :]
        if self._tail == _LAST_CHUNK and self._done is not None and not self._done.done():
            self._done.set_result(RawTiming(self._rid, self._start, self._first, self._last))

    def connection_lost(self, exc: Exception | None) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_exception(ConnectionError(f"connection lost: {exc}"))

    def send(self, request: bytes) -> asyncio.Future[RawTiming]:
        assert self.transport is not None
        self._done = asyncio.get_running_loop().create_future()
        self._first = self._last = self._rid = None
        self._head, self._tail, self._in_body = b"", b"", False
        self._start = perf_counter_ns()
        self.transport.write(request)
        return self._done


async def run_raw(
    url: str, model: str, max_tokens: int, requests: int, concurrency: int, warmup: bool = True
) -> list[RawTiming]:
    """Closed loop of `requests` streamed requests at `concurrency`, one connection per worker.

    With `warmup`, every connection first carries one request that is not returned, and the
    measured requests start together once all are done: the phases `flperf` runs with
    `warmup = concurrency`.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = request_bytes(url, model, max_tokens)
    loop = asyncio.get_running_loop()
    timings: list[RawTiming] = []
    remaining = iter(range(requests))
    streams = [
        (await loop.create_connection(_Stream, host, port))[1]
        for _ in range(min(concurrency, requests))
    ]

    async def worker(stream: _Stream) -> None:
        for _ in remaining:
            timings.append(await stream.send(request))

    try:
        if warmup:
            await asyncio.gather(*(stream.send(request) for stream in streams))
        await asyncio.gather(*(worker(stream) for stream in streams))
    finally:
        for stream in streams:
            if stream.transport is not None:
                stream.transport.close()
    return timings
