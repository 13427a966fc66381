"""Generation for the host: one `ChatSession` per request in flight, run in the calling thread.

A session keeps its conversation, so a request never shares one; two sessions in two threads
generate concurrently. Creating a session costs a few hundred microseconds that would count in
every TTFT, so a finished session has its turns undone and waits for the next request that sets
the same options (options a request leaves unset must not come from an earlier one); a session
whose turns cannot be undone is closed instead. Stop strings are not a runtime option, so they are
found here: text that could still become a stop string is held back, and generation is cancelled
as soon as one appears.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flperf.host.chat_params import ChatParams

FINISH_REASONS = {0: "stop", 2: "stop", 3: "length", 4: "tool_calls"}
"""SDK `FinishReason` values to OpenAI's names (1 is ERROR and raises instead)."""

MAX_IDLE_SESSIONS = 64
"""Sessions kept for reuse; more idle ones are closed."""


class GenerationError(RuntimeError):
    """The runtime failed a request (bad length, runtime fault)."""


@dataclass(frozen=True)
class Generation:
    """How a request ended."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    cancelled: bool = False


class Cancel:
    """Cancels one running request from any thread."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._request: Any = None

    def attach(self, request: Any) -> None:
        with self._lock:
            self._request = request
            if self._event.is_set():
                self._cancel_request()

    def detach(self) -> None:
        with self._lock:
            self._request = None

    def set(self) -> None:
        with self._lock:
            self._event.set()
            self._cancel_request()

    def is_set(self) -> bool:
        return self._event.is_set()

    def _cancel_request(self) -> None:
        if self._request is not None:
            # Already finished or released: nothing to cancel.
            with contextlib.suppress(Exception):
                self._request.cancel()


class StopFinder:
    """Holds back text that could start a stop string; reports where one is found."""

    def __init__(self, stops: tuple[str, ...]) -> None:
        self._stops = stops
        self._pending = ""

    def feed(self, text: str) -> tuple[str, bool]:
        """(text safe to emit, whether a stop string was reached)."""
        pending = self._pending + text
        cut = min((i for i in (pending.find(s) for s in self._stops) if i >= 0), default=-1)
        if cut >= 0:
            self._pending = ""
            return pending[:cut], True
        hold = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(pending)), hold, -1):
                if pending.endswith(stop[:size]):
                    hold = size
                    break
        self._pending = pending[len(pending) - hold :] if hold else ""
        return (pending[: len(pending) - hold] if hold else pending), False

    def flush(self) -> str:
        pending, self._pending = self._pending, ""
        return pending


class ChatEngine:
    """Runs chat requests against one loaded SDK model."""

    def __init__(self, sdk: Any, model: Any) -> None:
        self._sdk = sdk
        self.model = model
        self.model_id: str = model.id
        self._roles = {
            "system": sdk.MessageRole.SYSTEM,
            "user": sdk.MessageRole.USER,
            "assistant": sdk.MessageRole.ASSISTANT,
            "developer": sdk.MessageRole.DEVELOPER,
            "tool": sdk.MessageRole.TOOL,
        }
        self._idle: dict[frozenset[str], list[Any]] = {}
        self._idle_lock = threading.Lock()
        self.sessions_created = 0

    @property
    def loaded(self) -> bool:
        return bool(self.model.is_loaded)

    def close(self) -> None:
        """Close the idle sessions (before the model is unloaded)."""
        with self._idle_lock:
            idle, self._idle = self._idle, {}
        for session in (s for sessions in idle.values() for s in sessions):
            with contextlib.suppress(Exception):
                session.__exit__(None, None, None)

    @contextlib.contextmanager
    def _session(self, params: ChatParams, streaming: bool) -> Iterator[Any]:
        """A session with no history and this request's options; reused afterwards if clean.

        A session with streaming on never answers `process_request`, so the two kinds are kept
        apart.
        """
        sdk = self._sdk
        options = {
            "max_output_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "top_k": params.top_k,
            "seed": params.seed,
            "frequency_penalty": params.frequency_penalty,
            "presence_penalty": params.presence_penalty,
        }
        set_names = (name for name, value in options.items() if value is not None)
        key = frozenset((*set_names, "streaming" if streaming else "whole"))
        with self._idle_lock:
            idle = self._idle.get(key)
            session = idle.pop() if idle else None
        if session is None:
            session = sdk.ChatSession(self.model)
            session.set_streaming(streaming)
            self.sessions_created += 1
        try:
            session.set_options(sdk.RequestOptions(search=sdk.SearchOptions(**options)))
            yield session
        except BaseException:
            with contextlib.suppress(Exception):
                session.__exit__(None, None, None)
            raise
        self._recycle(session, key)

    def _recycle(self, session: Any, key: frozenset[str]) -> None:
        try:
            if turns := session.turn_count:
                session.undo_turns(turns)
            clean = session.turn_count == 0
        except Exception:
            clean = False
        with self._idle_lock:
            if clean and sum(map(len, self._idle.values())) < MAX_IDLE_SESSIONS:
                self._idle.setdefault(key, []).append(session)
                return
        with contextlib.suppress(Exception):
            session.__exit__(None, None, None)

    def _request(self, params: ChatParams) -> Any:
        request = self._sdk.Request()
        for role, text in params.messages:
            request.add_item(self._sdk.MessageItem(self._roles[role], text))
        return request

    def complete(self, params: ChatParams, cancel: Cancel | None = None) -> Generation:
        """Generate the whole answer (blocking)."""
        if params.stop:
            pieces: list[str] = []
            result = self.stream(params, pieces.extend, cancel)
            return Generation(
                "".join(pieces),
                result.finish_reason,
                result.prompt_tokens,
                result.completion_tokens,
                result.cancelled,
            )
        cancel = cancel or Cancel()
        with self._session(params, False) as session, self._request(params) as request:
            cancel.attach(request)
            try:
                with session.process_request(request) as response:
                    text = "".join(_texts(response))
                    usage = response.get_usage()
                    finish = int(response.finish_reason)
            except self._sdk.FoundryLocalException as exc:
                if cancel.is_set():
                    return Generation("", "stop", 0, 0, cancelled=True)
                raise GenerationError(str(exc)) from exc
            finally:
                cancel.detach()
        if finish == 1:
            raise GenerationError("the runtime reported an error finishing the request")
        return Generation(
            text, FINISH_REASONS.get(finish, "stop"), usage.prompt_tokens, usage.completion_tokens
        )

    def start_stream(self, params: ChatParams, cancel: Cancel | None = None) -> LiveStream:
        """Start a streamed generation now; consume it with `LiveStream.run` (any thread).

        Raises `GenerationError` when the runtime refuses the request.
        """
        return LiveStream(self, params, cancel or Cancel())

    def stream(
        self,
        params: ChatParams,
        emit: Emit,
        cancel: Cancel | None = None,
    ) -> Generation:
        """Generate, calling ``emit(pieces)`` as the runtime produces text (see `LiveStream`)."""
        return self.start_stream(params, cancel).run(emit)


Emit = Callable[[Sequence[str]], None]
"""Takes pieces of text that were ready together (one piece, unless the consumer fell behind)."""


class LiveStream:
    """A streamed generation that has started; `run` consumes it, once, in any thread.

    Starting and consuming are apart so that a server can start generation as soon as a request
    is read and hand the waiting to a worker thread while the prompt is processed.
    """

    def __init__(self, engine: ChatEngine, params: ChatParams, cancel: Cancel) -> None:
        self._cancel = cancel
        self._finder = StopFinder(params.stop) if params.stop else None
        self._failure = engine._sdk.FoundryLocalException
        self._resources = contextlib.ExitStack()
        try:
            session = self._resources.enter_context(engine._session(params, True))
            request = self._resources.enter_context(engine._request(params))
            finder = self._finder
            self._prompt_tokens = session.preflight_request(request).prompt_tokens if finder else 0
            cancel.attach(request)
            self._resources.callback(cancel.detach)
            self._stream = self._resources.enter_context(session.process_streaming_request(request))
        except self._failure as exc:
            self._resources.close()
            raise GenerationError(str(exc)) from exc
        except BaseException:
            self._resources.close()
            raise

    def close(self) -> None:
        """Release the generation without consuming it (cancels it)."""
        self._cancel.set()
        self._resources.close()

    def run(self, emit: Emit) -> Generation:
        """Call ``emit(pieces)`` as text comes; return when generation ends, is cancelled through
        the `Cancel`, or meets a stop string (then usage counts the tokens generated so far).

        Pieces already waiting behind one another go to `emit` together, so a consumer that fell
        behind catches up in one write instead of one per piece.
        """
        cancel, finder, stream = self._cancel, self._finder, self._stream
        waiting = _backlog(stream)
        pieces = 0
        stopped = False
        batch: list[str] = []
        try:
            with self._resources:
                for item in stream:
                    text = getattr(item, "text", None)
                    if text is None:
                        continue
                    pieces += 1
                    if finder is not None:
                        text, stopped = finder.feed(text)
                    if text:
                        batch.append(text)
                    if stopped or cancel.is_set():
                        break
                    if batch and not waiting():
                        emit(batch)
                        batch = []
                if batch:
                    emit(batch)
                    batch = []
                if not stopped and not cancel.is_set():
                    with stream.final_response as final:
                        usage = final.get_usage()
                        finish = int(final.finish_reason)
                    if finder is not None and (rest := finder.flush()):
                        emit([rest])
                    if finish == 1:
                        raise GenerationError("the runtime reported an error")
                    return Generation(
                        "",
                        FINISH_REASONS.get(finish, "stop"),
                        usage.prompt_tokens,
                        usage.completion_tokens,
                    )
        except self._failure as exc:
            if not (stopped or cancel.is_set()):
                raise GenerationError(str(exc)) from exc
        return Generation("", "stop", self._prompt_tokens, pieces, cancelled=not stopped)


def _backlog(stream: Any) -> Callable[[], int]:
    """How many items wait in the SDK's hand-off queue (0 when that is not visible).

    `StreamingResponse._queue` is not public API: without it every piece is emitted alone.
    """
    qsize = getattr(getattr(stream, "_queue", None), "qsize", None)
    return qsize if callable(qsize) else (lambda: 0)


def _texts(response: Any) -> list[str]:
    texts = []
    for item in response:
        text = getattr(item, "text", None)
        if text is not None:
            texts.append(text)
            continue
        for part in getattr(item, "parts", ()):
            part_text = getattr(part, "text", None)
            if part_text is not None:
                texts.append(part_text)
    return texts
