"""The host's HTTP side: OpenAI-compatible routes over one `ChatEngine` (aiohttp).

Each request runs in its own worker thread. Until the response headers are out, streamed text
crosses to the event loop (one wake-up per batch); after that the worker writes each piece to
the socket itself (`flperf.host.direct_stream`). A client that goes away cancels generation.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from aiohttp import web

from flperf.host.chat_params import BadRequest, ChatParams, parse_chat_request
from flperf.host.direct_stream import DirectSink
from flperf.host.engine import Cancel, ChatEngine, Generation, GenerationError
from flperf.host.openai_wire import DONE_EVENT, ChunkEncoder, completion_body, error_body

log = logging.getLogger("flperf.host")

SERVER_NAME = "flperf-host"
MAX_WORKERS = 512


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status, content_type="application/json")


def _error(
    status: int, message: str, kind: str = "invalid_request_error", param: str | None = None
) -> web.Response:
    return _json(error_body(message, kind, param), status)


class _End:
    """Last item a worker puts on a stream queue: the generation or its error."""

    __slots__ = ("error", "result")

    def __init__(self, result: Generation | None, error: BaseException | None) -> None:
        self.result = result
        self.error = error


class _Mailbox:
    """Pieces handed from a worker thread to the event loop, with one wake-up per batch.

    The worker appends and schedules a wake-up only when none is pending, so a loop that falls
    behind takes everything waiting at once instead of waking once per token.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: deque[str | _End] = deque()
        self._ready = asyncio.Event()
        self._wake_pending = False

    def put(self, item: str | _End) -> None:
        """Called from the worker thread."""
        self._items.append(item)
        if not self._wake_pending:
            self._wake_pending = True
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        self._wake_pending = False
        self._ready.set()

    def drain_texts(self) -> list[str]:
        """The text waiting now (up to the end marker), without waiting."""
        texts: list[str] = []
        while self._items and isinstance(head := self._items[0], str):
            self._items.popleft()
            texts.append(head)
        return texts

    async def take(self) -> list[str | _End]:
        """Everything waiting, at least one item."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        taken = []
        while self._items:
            taken.append(self._items.popleft())
        return taken


class HostApp:
    """Routes and in-flight bookkeeping of one host."""

    def __init__(self, engine: ChatEngine, alias: str | None = None) -> None:
        self.engine = engine
        self.names = {engine.model_id} | ({alias} if alias else set())
        self.started = time.time()
        self.pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="generate")
        self.in_flight: set[Cancel] = set()
        self.served = 0

    def build(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self.chat_completions)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/v1/models/{model_id:.+}", self.model)
        app.router.add_get("/health", self.health)
        return app

    def cancel_all(self) -> None:
        for cancel in list(self.in_flight):
            cancel.set()

    def _model_card(self) -> dict[str, Any]:
        return {
            "id": self.engine.model_id,
            "object": "model",
            "created": int(self.started),
            "owned_by": SERVER_NAME,
        }

    async def models(self, _: web.Request) -> web.Response:
        return _json({"object": "list", "data": [self._model_card()]})

    async def model(self, request: web.Request) -> web.Response:
        if request.match_info["model_id"] not in self.names:
            return _error(404, f"model {request.match_info['model_id']!r} is not served here")
        return _json(self._model_card())

    async def health(self, _: web.Request) -> web.Response:
        loop = asyncio.get_running_loop()
        loaded = await loop.run_in_executor(self.pool, lambda: self.engine.loaded)
        return _json(
            {
                "status": "ok" if loaded else "model not loaded",
                "server": SERVER_NAME,
                "model": self.engine.model_id,
                "loaded": loaded,
                "pid": os.getpid(),
                "in_flight": len(self.in_flight),
                "served": self.served,
                "uptime_s": round(time.time() - self.started, 3),
            },
            200 if loaded else 503,
        )

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        try:
            params = parse_chat_request(orjson.loads(await request.read()))
        except orjson.JSONDecodeError as exc:
            return _error(400, f"the request body is not valid JSON: {exc}")
        except BadRequest as exc:
            return _error(400, str(exc), param=exc.param)
        if params.model is not None and params.model not in self.names:
            return _error(
                404,
                f"model {params.model!r} is not served here; this host serves "
                f"{self.engine.model_id}",
                param="model",
            )
        cancel = Cancel()
        self.in_flight.add(cancel)
        self.served += 1
        try:
            if params.stream:
                return await self._stream(request, params, cancel)
            return await self._complete(params, cancel)
        finally:
            cancel.set()  # no-op when finished; stops a generation whose client went away
            self.in_flight.discard(cancel)

    async def _complete(self, params: ChatParams, cancel: Cancel) -> web.Response:
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self.pool, self.engine.complete, params, cancel)
        except GenerationError as exc:
            return _error(400, str(exc))
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        body = completion_body(
            completion_id,
            int(time.time()),
            self.engine.model_id,
            result.text,
            result.finish_reason,
            result.prompt_tokens,
            result.completion_tokens,
        )
        return web.Response(body=body, content_type="application/json")

    async def _stream(
        self, request: web.Request, params: ChatParams, cancel: Cancel
    ) -> web.StreamResponse:
        mailbox = _Mailbox(asyncio.get_running_loop())
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        encoder = ChunkEncoder(completion_id, int(time.time()), self.engine.model_id)
        sink = DirectSink(encoder.content, mailbox.put, cancel)

        def work() -> None:
            try:
                end = _End(self.engine.stream(params, sink.emit, cancel), None)
            except BaseException as exc:  # handed to the event loop, which reports it
                end = _End(None, exc)
            mailbox.put(end)

        asyncio.get_running_loop().run_in_executor(self.pool, work)
        batch = await mailbox.take()
        first = batch[0]
        if isinstance(first, _End) and first.error is not None:
            status = 400 if isinstance(first.error, GenerationError) else 500
            return _error(status, str(first.error))
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Request-Id": completion_id,
            }
        )
        if request.version >= (1, 1):
            response.enable_chunked_encoding()  # explicit: direct writes frame their own chunks
        await response.prepare(request)
        events = [encoder.role()]
        sent = 0
        direct = False
        try:
            while True:
                ended = False
                for item in batch:
                    if isinstance(item, _End):
                        if sink.broken:
                            raise ConnectionResetError("the client went away")
                        events.extend(self._ending(encoder, item, params.include_usage))
                        ended = True
                    else:
                        sent += 1
                        events.append(encoder.content(item))
                await response.write(b"".join(events))
                if ended:
                    break
                events.clear()
                if not direct and (fd := _idle_socket_fd(request)) is not None:
                    sink.go_direct(fd, response.chunked, mailbox.drain_texts)
                    direct = True
                batch = await mailbox.take()
        except (ConnectionError, asyncio.CancelledError):
            cancel.set()
            log.info(
                "client went away after %d streamed piece(s); generation cancelled",
                sent + sink.sent,
            )
            raise
        await response.write_eof()
        return response

    @staticmethod
    def _ending(encoder: ChunkEncoder, end: _End, include_usage: bool) -> list[bytes]:
        if end.error is not None or end.result is None:
            return [encoder.error(str(end.error)), DONE_EVENT]
        events = [encoder.finish(end.result.finish_reason)]
        if include_usage:
            events.append(encoder.usage(end.result.prompt_tokens, end.result.completion_tokens))
        events.append(DONE_EVENT)
        return events


def _idle_socket_fd(request: web.Request) -> int | None:
    """The connection's socket when asyncio has nothing buffered for it (else None)."""
    transport = request.transport
    if transport is None or transport.get_write_buffer_size() != 0:
        return None
    sock = transport.get_extra_info("socket")
    return None if sock is None else int(sock.fileno())
