"""The host's routes: OpenAI-compatible chat completions, models and health over one `ChatEngine`.

The event loop (`flperf.host.connection`) parses each request and answers the short ones. A
chat completion runs in a worker thread; a streamed one is written to the socket by that thread
from the response head to the last chunk (`flperf.host.direct_stream`), so no token waits for
the loop. A client that goes away cancels generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec

import orjson

from flperf.bench.lifecycle import ModelLifecycle
from flperf.host.chat_params import BadRequest, ChatParams, parse_chat_request
from flperf.host.connection import (
    SERVER_NAME,
    HostConnection,
    HttpRequest,
    json_response,
    response_head,
)
from flperf.host.direct_stream import DirectStream
from flperf.host.engine import Cancel, ChatEngine, Generation, GenerationError, LiveStream
from flperf.host.openai_wire import DONE_EVENT, ChunkEncoder, completion_body, error_body

log = logging.getLogger("flperf.host")

MAX_WORKERS = 512
P = ParamSpec("P")


class HostApp:
    """Routes and in-flight bookkeeping of one host; call it with each request."""

    def __init__(
        self,
        engine: ChatEngine,
        alias: str | None = None,
        lifecycle: ModelLifecycle | None = None,
    ) -> None:
        self.engine = engine
        self.lifecycle = lifecycle
        self.names = {engine.model_id} | ({alias} if alias else set())
        self.started = time.time()
        self.pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="generate")
        self.in_flight: set[Cancel] = set()
        self.served = 0
        self.connections: weakref.WeakSet[HostConnection] = weakref.WeakSet()

    def protocol(self) -> HostConnection:
        """A protocol for one new connection (the `loop.create_server` factory)."""
        conn = HostConnection(self)
        self.connections.add(conn)
        return conn

    def cancel_all(self) -> None:
        for cancel in list(self.in_flight):
            cancel.set()

    def close_connections(self) -> None:
        for conn in list(self.connections):
            conn.close()

    def __call__(self, request: HttpRequest, connection: HostConnection) -> None:
        conn, keep = connection, request.keep_alive
        path, method = request.path, request.method
        if path == "/v1/chat/completions":
            if method != "POST":
                conn.reply(_error(405, "use POST", keep), keep)
                return
            self._chat(request, conn)
        elif path == "/v1/models" or path.startswith("/v1/models/"):
            if method != "GET":
                conn.reply(_error(405, "use GET", keep), keep)
            elif path == "/v1/models":
                models = {"object": "list", "data": [self._card()]}
                conn.reply(json_response(200, models, keep), keep)
            elif (model_id := path[len("/v1/models/") :]) in self.names:
                conn.reply(json_response(200, self._card(), keep), keep)
            else:
                conn.reply(_error(404, f"model {model_id!r} is not served here", keep), keep)
        elif path == "/health":
            if method != "GET":
                conn.reply(_error(405, "use GET", keep), keep)
                return
            self._submit(conn, self._health, conn, keep)
        else:
            conn.reply(_error(404, f"no route {path}", keep), keep)

    def _card(self) -> dict[str, Any]:
        return {
            "id": self.engine.model_id,
            "object": "model",
            "created": int(self.started),
            "owned_by": SERVER_NAME,
        }

    def _health(self, conn: HostConnection, keep: bool) -> None:
        try:
            loaded = self.engine.loaded  # a runtime call: kept off the event loop
        except Exception as exc:
            _answer(conn, _error(500, f"cannot ask the runtime: {exc}", keep), keep)
            return
        payload: dict[str, Any] = {
            "status": "ok" if loaded else "model not loaded",
            "server": SERVER_NAME,
            "model": self.engine.model_id,
            "loaded": loaded,
            "pid": os.getpid(),
            "in_flight": len(self.in_flight),
            "served": self.served,
            "uptime_s": round(time.time() - self.started, 3),
        }
        if self.lifecycle is not None:
            payload["lifecycle"] = self.lifecycle.model_dump(mode="json", exclude_none=True)
        _answer(conn, json_response(200 if loaded else 503, payload, keep), keep)

    def _chat(self, request: HttpRequest, conn: HostConnection) -> None:
        keep = request.keep_alive
        try:
            params = parse_chat_request(orjson.loads(request.body))
        except orjson.JSONDecodeError as exc:
            conn.reply(_error(400, f"the request body is not valid JSON: {exc}", keep), keep)
            return
        except BadRequest as exc:
            conn.reply(_error(400, str(exc), keep, exc.param), keep)
            return
        if params.model is not None and params.model not in self.names:
            message = (
                f"model {params.model!r} is not served here; this host serves "
                f"{self.engine.model_id}"
            )
            conn.reply(_error(404, message, keep, "model"), keep)
            return
        cancel = Cancel()
        self.in_flight.add(cancel)
        self.served += 1
        conn.on_lost(cancel.set)
        if not params.stream:
            if not self._submit(conn, self._complete, params, request, conn, cancel):
                self._finished(cancel)
            return
        try:
            # Started here, so the prompt is being processed while a worker thread wakes up.
            live = self.engine.start_stream(params, cancel)
        except Exception as exc:
            self._finished(cancel)
            status = 400 if isinstance(exc, GenerationError) else 500
            if status == 500:
                log.exception("starting generation failed")
            conn.reply(_error(status, str(exc), keep), keep)
            return
        sock = conn.direct_socket()
        if sock is not None:
            submitted = self._submit(conn, self._stream, live, params, request, conn, cancel, sock)
        else:
            submitted = self._submit(conn, self._complete, params, request, conn, cancel, live)
        if not submitted:
            live.close()
            self._finished(cancel)
            if sock is not None:
                sock.close()

    def _submit(
        self, conn: HostConnection, work: Callable[P, None], *args: P.args, **kwargs: P.kwargs
    ) -> bool:
        """Run `work(*args)` on a worker thread; a host that is stopping answers 503."""
        try:
            self.pool.submit(work, *args, **kwargs)
        except RuntimeError:  # the pool is shut down
            conn.reply(_error(503, "the host is stopping", False), False)
            return False
        return True

    def _finished(self, cancel: Cancel) -> None:
        cancel.set()  # no-op when finished; stops a generation whose client went away
        self.in_flight.discard(cancel)

    def _complete(
        self,
        params: ChatParams,
        request: HttpRequest,
        conn: HostConnection,
        cancel: Cancel,
        live: LiveStream | None = None,
    ) -> None:
        """Worker thread: a whole answer, or (a stream that could not go direct) all events."""
        keep = request.keep_alive
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        try:
            if live is not None:
                response = self._buffered_stream(live, params, completion_id, keep)
            else:
                result = self.engine.complete(params, cancel)
                body = completion_body(
                    completion_id,
                    int(time.time()),
                    self.engine.model_id,
                    result.text,
                    result.finish_reason,
                    result.prompt_tokens,
                    result.completion_tokens,
                )
                headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
                response = response_head(200, headers, keep) + body
        except GenerationError as exc:
            response = _error(400, str(exc), keep)
        except Exception as exc:
            log.exception("generation failed")
            response = _error(500, f"{type(exc).__name__}: {exc}", keep)
        finally:
            self._finished(cancel)
        _answer(conn, response, keep)

    def _buffered_stream(
        self, live: LiveStream, params: ChatParams, completion_id: str, keep: bool
    ) -> bytes:
        """All events in one body: only when earlier bytes were still queued on the connection."""
        encoder = ChunkEncoder(completion_id, int(time.time()), self.engine.model_id)
        events = [encoder.role()]
        result = live.run(lambda texts: events.extend(map(encoder.content, texts)))
        events += _ending(encoder, result, None, params.include_usage)
        body = b"".join(events)
        headers = [("Content-Type", "text/event-stream"), ("Content-Length", str(len(body)))]
        return response_head(200, headers, keep) + body

    def _stream(
        self,
        live: LiveStream,
        params: ChatParams,
        request: HttpRequest,
        conn: HostConnection,
        cancel: Cancel,
        sock: socket.socket,
    ) -> None:
        """Worker thread: generate and write the whole streamed response on `sock`."""
        chunked = request.http11  # HTTP/1.0: the body ends when the connection closes
        keep = request.keep_alive and chunked
        reply: bytes | None = None  # an HTTP error for the loop to write instead
        try:
            completion_id = f"chatcmpl-{uuid.uuid4().hex}"
            encoder = ChunkEncoder(completion_id, int(time.time()), self.engine.model_id)
            headers = [
                ("Content-Type", "text/event-stream"),
                ("Cache-Control", "no-cache"),
                ("X-Request-Id", completion_id),
            ]
            if chunked:
                headers.append(("Transfer-Encoding", "chunked"))
            head = response_head(200, headers, keep)
            out = DirectStream(sock, head, encoder.role(), encoder.content, chunked, cancel)
            result: Generation | None = None
            error: BaseException | None = None
            try:
                result = live.run(out.emit)
            except GenerationError as exc:
                error = exc
            except Exception as exc:
                log.exception("generation failed")
                error = exc
            if cancel.is_set() and (out.broken or result is None or result.cancelled):
                log.info(
                    "client went away after %d streamed piece(s); generation cancelled", out.sent
                )
                keep = False
            elif error is not None and not out.started:  # nothing sent: a proper HTTP error
                status = 400 if isinstance(error, GenerationError) else 500
                reply = _error(status, str(error), keep)
            elif not out.end(_ending(encoder, result, error, params.include_usage)):
                keep = False
        except Exception:
            log.exception("streaming a response failed")
            keep = False
        finally:
            sock.close()
            self._finished(cancel)
        if reply is not None:
            _answer(conn, reply, keep)
        else:
            _done(conn, keep)


def _ending(
    encoder: ChunkEncoder,
    result: Generation | None,
    error: BaseException | None,
    include_usage: bool,
) -> list[bytes]:
    if error is not None or result is None:
        return [encoder.error(str(error)), DONE_EVENT]
    events = [encoder.finish(result.finish_reason)]
    if include_usage:
        events.append(encoder.usage(result.prompt_tokens, result.completion_tokens))
    events.append(DONE_EVENT)
    return events


def _answer(conn: HostConnection, response: bytes, keep: bool) -> None:
    """From a worker thread: write `response` on the loop and free the connection."""
    with contextlib.suppress(RuntimeError):  # the loop is gone: the host is stopping
        conn.loop.call_soon_threadsafe(conn.reply, response, keep)


def _done(conn: HostConnection, keep: bool) -> None:
    """From a worker thread: a response written directly is complete."""
    with contextlib.suppress(RuntimeError):
        conn.loop.call_soon_threadsafe(conn.done, keep)


def _error(status: int, message: str, keep_alive: bool, param: str | None = None) -> bytes:
    return json_response(status, error_body(message, param=param), keep_alive)


async def serve_on(sock: socket.socket, app: HostApp) -> asyncio.Server:
    """Start serving `app` on a bound, listening socket."""
    return await asyncio.get_running_loop().create_server(app.protocol, sock=sock)
