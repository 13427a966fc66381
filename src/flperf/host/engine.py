"""Generation for the host: one new `ChatSession` per request, run in the calling thread.

A session keeps its conversation, so every request gets its own (about half a millisecond);
two sessions in two threads generate concurrently. Stop strings are not a runtime option, so
they are found here: text that could still become a stop string is held back, and generation
is cancelled as soon as one appears.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flperf.host.chat_params import ChatParams

FINISH_REASONS = {0: "stop", 2: "stop", 3: "length", 4: "tool_calls"}
"""SDK `FinishReason` values to OpenAI's names (1 is ERROR and raises instead)."""


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

    @property
    def loaded(self) -> bool:
        return bool(self.model.is_loaded)

    def _session(self, params: ChatParams) -> Any:
        sdk = self._sdk
        session = sdk.ChatSession(self.model)
        search = sdk.SearchOptions(
            max_output_tokens=params.max_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            top_k=params.top_k,
            seed=params.seed,
            frequency_penalty=params.frequency_penalty,
            presence_penalty=params.presence_penalty,
        )
        session.set_options(sdk.RequestOptions(search=search))
        return session

    def _request(self, params: ChatParams) -> Any:
        request = self._sdk.Request()
        for role, text in params.messages:
            request.add_item(self._sdk.MessageItem(self._roles[role], text))
        return request

    def complete(self, params: ChatParams, cancel: Cancel | None = None) -> Generation:
        """Generate the whole answer (blocking)."""
        if params.stop:
            pieces: list[str] = []
            result = self.stream(params, pieces.append, cancel)
            return Generation(
                "".join(pieces),
                result.finish_reason,
                result.prompt_tokens,
                result.completion_tokens,
                result.cancelled,
            )
        cancel = cancel or Cancel()
        with self._session(params) as session, self._request(params) as request:
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

    def stream(
        self,
        params: ChatParams,
        emit: Callable[[str], None],
        cancel: Cancel | None = None,
    ) -> Generation:
        """Generate, calling ``emit(text)`` for each piece as the runtime produces it.

        Returns when generation ends, is cancelled through ``cancel``, or meets a stop string
        (then the runtime request is cancelled and usage counts the tokens generated so far).
        """
        cancel = cancel or Cancel()
        finder = StopFinder(params.stop) if params.stop else None
        pieces = 0
        stopped = False
        with self._session(params) as session, self._request(params) as request:
            session.set_streaming(True)
            prompt_tokens = session.preflight_request(request).prompt_tokens if finder else 0
            cancel.attach(request)
            try:
                with session.process_streaming_request(request) as stream:
                    for item in stream:
                        text = getattr(item, "text", None)
                        if text is None:
                            continue
                        pieces += 1
                        if finder is not None:
                            text, stopped = finder.feed(text)
                        if text:
                            emit(text)
                        if stopped or cancel.is_set():
                            break
                    if not stopped and not cancel.is_set():
                        with stream.final_response as final:
                            usage = final.get_usage()
                            finish = int(final.finish_reason)
                        if finder is not None and (rest := finder.flush()):
                            emit(rest)
                        if finish == 1:
                            raise GenerationError("the runtime reported an error")
                        return Generation(
                            "",
                            FINISH_REASONS.get(finish, "stop"),
                            usage.prompt_tokens,
                            usage.completion_tokens,
                        )
            except self._sdk.FoundryLocalException as exc:
                if not (stopped or cancel.is_set()):
                    raise GenerationError(str(exc)) from exc
            finally:
                cancel.detach()
        return Generation("", "stop", prompt_tokens, pieces, cancelled=not stopped)


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
