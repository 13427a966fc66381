"""One HTTP/1.1 connection of the simulator: parsing, routing and timed writing.

Requests on a keep-alive connection are answered one at a time (a pipelined request waits until
the response before it is complete). A response is a list of timed steps (see ``plan.py``);
every step whose deadline has passed is written with one ``transport.write`` and logged with
the time taken right after the write returned. Deadlines are absolute offsets from the moment
the request was read, so timer lateness never accumulates.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast
from urllib.parse import parse_qs

from flperf.sim.chat import BadRequest, parse_chat_request
from flperf.sim.log import Entry, RequestRecord
from flperf.sim.plan import CLOSE, Planner, Step
from flperf.sim.wire import error_response, json_response

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024

_TIMER_MIN_NS = 500_000  # shorter waits round to 0 ms in uvloop: poll instead

_now = time.perf_counter_ns


class _MalformedHttp(Exception):
    """The bytes received are not an HTTP/1.1 request this server can frame."""


class SimConnection(asyncio.Protocol):
    """Serves the simulator's routes on one client connection."""

    def __init__(self, planner: Planner, connections: set[SimConnection]) -> None:
        self._planner = planner
        self._connections = connections
        self._loop = asyncio.get_running_loop()
        self._spin_ns = int(planner.config.spin_ms * 1e6)
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._busy = False  # a response is being written
        self._processing = False  # inside _process (no re-entry)
        self._keep_alive = True
        self._record: RequestRecord | None = None
        self._steps: list[Step] = []
        self._index = 0
        self._base_ns = 0
        self._timer: asyncio.TimerHandle | asyncio.Handle | None = None

    # asyncio.Protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._connections.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def data_received(self, data: bytes) -> None:
        received_ns = _now()
        self._buffer = self._buffer + data if self._buffer else data
        if not self._busy and not self._processing:
            self._process(received_ns)

    def shut(self) -> None:
        """Close the connection now, mid-response or not (server shutdown)."""
        if self._transport is not None:
            self._close(self._transport)

    # request framing

    def _process(self, received_ns: int) -> None:
        self._processing = True
        try:
            while not self._busy and self._transport is not None and self._buffer:
                try:
                    request = self._take_request()
                except _MalformedHttp as exc:
                    self._planner.log.count_bad_request()
                    self._keep_alive = False
                    self._reply(error_response(400, str(exc), keep_alive=False))
                    return
                if request is None:
                    return
                method, target, body = request
                self._route(method, target, body, received_ns)
                received_ns = _now()  # a pipelined request is read when its turn comes
        finally:
            self._processing = False

    def _take_request(self) -> tuple[bytes, bytes, bytes] | None:
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                raise _MalformedHttp("request head too large")
            return None
        lines = buffer[:end].split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            raise _MalformedHttp("malformed request line")
        method, target, version = parts
        length = 0
        keep_alive = version == b"HTTP/1.1"
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                raise _MalformedHttp("malformed header line")
            name = name.strip().lower()
            if name == b"content-length":
                value = value.strip()
                if not value.isdigit():
                    raise _MalformedHttp("invalid content-length")
                length = int(value)
                if length > MAX_BODY_BYTES:
                    raise _MalformedHttp("request body too large")
            elif name == b"connection":
                tokens = value.strip().lower()
                if b"close" in tokens:
                    keep_alive = False
                elif b"keep-alive" in tokens:
                    keep_alive = True
            elif name == b"transfer-encoding":
                raise _MalformedHttp("chunked request bodies are not supported")
        start = end + 4
        if len(buffer) < start + length:
            return None
        self._buffer = buffer[start + length :]
        self._keep_alive = keep_alive
        return method, target, buffer[start : start + length]

    # routing

    def _route(self, method: bytes, target: bytes, body: bytes, received_ns: int) -> None:
        path, _, query = target.partition(b"?")
        keep_alive = self._keep_alive
        if path == b"/v1/chat/completions":
            if method != b"POST":
                self._reply(error_response(405, "use POST", keep_alive))
                return
            try:
                request = parse_chat_request(body)
            except BadRequest as exc:
                self._planner.log.count_bad_request()
                self._reply(error_response(400, str(exc), keep_alive))
                return
            record, steps = self._planner.plan(request, received_ns, keep_alive)
            self._planner.loaded = True
            self._start(record, steps, received_ns)
            return
        routes = _GET_ROUTES if self._planner.config.ollama else _PLAIN_GET_ROUTES
        handler = routes.get(path) if method == b"GET" else None
        if handler is None and method == b"POST" and path == b"/sim/reset":
            handler = SimConnection._reset
        if handler is None:
            known = path in routes or path == b"/sim/reset"
            status, message = (405, "method not allowed") if known else (404, "no such route")
            self._reply(error_response(status, message, keep_alive))
            return
        self._reply(json_response(200, handler(self, query), keep_alive))

    def _models(self, query: bytes) -> dict[str, Any]:
        model = {"id": self._planner.config.model, "object": "model", "created": 0}
        return {"object": "list", "data": [{**model, "owned_by": "flperf-sim"}]}

    def _health(self, query: bytes) -> dict[str, Any]:
        return {"status": "ok"}

    def _log(self, query: bytes) -> dict[str, Any]:
        values = parse_qs(query.decode("latin-1")).get("summary", ["0"])
        summary = values[-1].lower() in ("1", "true", "yes")
        return self._planner.log.to_json(summary=summary)

    def _ollama_version(self, query: bytes) -> dict[str, Any]:
        return {"version": "0.0.0-flperf-sim"}

    def _ollama_ps(self, query: bytes) -> dict[str, Any]:
        """Ollama's loaded models: the simulated one once a chat request has loaded it."""
        config = self._planner.config
        if not self._planner.loaded:
            return {"models": []}
        size = int(config.ollama_size_mb * 1024 * 1024)
        entry = {"name": config.model, "model": config.model, "size": size, "size_vram": 0}
        return {"models": [entry]}

    def _config(self, query: bytes) -> dict[str, Any]:
        return self._planner.config.model_dump()

    def _reset(self, query: bytes) -> dict[str, Any]:
        self._planner.log.reset()
        self._planner.reset()
        return {"reset": True}

    # writing

    def _reply(self, response: bytes) -> None:
        """Write a whole response at once; close afterwards unless kept alive."""
        transport = self._transport
        if transport is None:
            return
        transport.write(response)
        if not self._keep_alive:
            self._close(transport)

    def _close(self, transport: asyncio.Transport) -> None:
        self._buffer = b""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        transport.close()

    def _start(self, record: RequestRecord, steps: list[Step], received_ns: int) -> None:
        self._busy = True
        self._record = record
        self._steps = steps
        self._index = 0
        self._base_ns = received_ns
        self._advance()

    def _advance(self) -> None:
        """Write every step that is due; then finish or wait for the next deadline."""
        self._timer = None
        transport = self._transport
        record = self._record
        if transport is None or record is None:
            return
        steps = self._steps
        count = len(steps)
        index = self._index
        base = self._base_ns
        now = _now()
        payloads: list[bytes] = []
        entries: list[Entry] = []
        while index < count:
            offset, payload, entry = steps[index]
            if base + offset > now:
                break
            if entry is CLOSE:
                self._flush(transport, record, payloads, entries)
                self._close(transport)
                record.writes.append((_now(), (CLOSE,)))
                self._record = None
                return
            payloads.append(payload)
            if entry is not None:
                entries.append(entry)
            index += 1
        self._flush(transport, record, payloads, entries)
        self._index = index
        if index < count:
            remaining = base + steps[index][0] - _now()
            # Loop timers are good to about a millisecond (uvloop counts whole ms). With a spin
            # window, sleep until that long before the deadline and poll the rest on each loop
            # turn; a timer that fired early also ends up polling the remainder.
            spin = self._spin_ns
            if remaining > spin and remaining >= _TIMER_MIN_NS:
                self._timer = self._loop.call_later((remaining - spin) / 1e9, self._advance)
            else:
                self._timer = self._loop.call_soon(self._advance)
            return
        self._record = None
        self._busy = False
        if not self._keep_alive:
            self._close(transport)
        elif self._buffer and not self._processing:
            self._process(_now())

    @staticmethod
    def _flush(
        transport: asyncio.Transport,
        record: RequestRecord,
        payloads: list[bytes],
        entries: list[Entry],
    ) -> None:
        if not payloads:
            return
        transport.write(payloads[0] if len(payloads) == 1 else b"".join(payloads))
        written_ns = _now()
        if entries:
            record.writes.append((written_ns, tuple(entries)))


_GET_ROUTES = {
    b"/v1/models": SimConnection._models,
    b"/health": SimConnection._health,
    b"/sim/log": SimConnection._log,
    b"/sim/config": SimConnection._config,
    b"/api/version": SimConnection._ollama_version,
    b"/api/ps": SimConnection._ollama_ps,
}
_PLAIN_GET_ROUTES = {
    path: handler
    for path, handler in _GET_ROUTES.items()
    if path not in (b"/api/version", b"/api/ps")
}
