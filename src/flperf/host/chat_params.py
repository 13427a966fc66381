"""An OpenAI chat-completions request body, checked and reduced to what the host honours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("system", "user", "assistant", "developer", "tool")


class BadRequest(ValueError):
    """The request body cannot be served; the message goes back as a 400 error."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class ChatParams:
    """What one chat completion asks for."""

    model: str | None
    messages: tuple[tuple[str, str], ...]
    """(role, text) pairs in order."""
    stream: bool
    include_usage: bool
    max_tokens: int | None
    temperature: float | None
    top_p: float | None
    top_k: int | None
    seed: int | None
    frequency_penalty: float | None
    presence_penalty: float | None
    stop: tuple[str, ...]


def _number(body: dict[str, Any], key: str, low: float, high: float) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"{key} must be a number", key)
    if not low <= value <= high:
        raise BadRequest(f"{key} must be between {low} and {high}", key)
    return float(value)


def _integer(body: dict[str, Any], key: str, low: int) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{key} must be an integer", key)
    if value < low:
        raise BadRequest(f"{key} must be at least {low}", key)
    return value


def _text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise BadRequest(
                    f"messages[{index}]: only text content parts are supported", "messages"
                )
            parts.append(str(part.get("text", "")))
        return "".join(parts)
    raise BadRequest(f"messages[{index}].content must be a string or a list of parts", "messages")


def parse_chat_request(body: Any) -> ChatParams:
    """Check a decoded JSON body; raise `BadRequest` saying what is wrong."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise BadRequest("messages must be a non-empty list", "messages")
    messages = []
    for index, message in enumerate(raw_messages):
        if not isinstance(message, dict):
            raise BadRequest(f"messages[{index}] must be an object", "messages")
        role = message.get("role")
        if role not in ROLES:
            raise BadRequest(
                f"messages[{index}].role must be one of {', '.join(ROLES)}", "messages"
            )
        messages.append((str(role), _text(message.get("content"), index)))
    n = body.get("n")
    if n not in (None, 1):
        raise BadRequest("only n=1 is supported", "n")
    stream = bool(body.get("stream", False))
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise BadRequest("stream_options must be an object", "stream_options")
    max_tokens = _integer(body, "max_completion_tokens", 1)
    if max_tokens is None:
        max_tokens = _integer(body, "max_tokens", 1)
    stop = body.get("stop")
    if stop is None:
        stops: tuple[str, ...] = ()
    elif isinstance(stop, str):
        stops = (stop,) if stop else ()
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        stops = tuple(s for s in stop if s)
    else:
        raise BadRequest("stop must be a string or a list of strings", "stop")
    model = body.get("model")
    return ChatParams(
        model=model if isinstance(model, str) else None,
        messages=tuple(messages),
        stream=stream,
        include_usage=bool(options.get("include_usage", False)),
        max_tokens=max_tokens,
        temperature=_number(body, "temperature", 0.0, 2.0),
        top_p=_number(body, "top_p", 0.0, 1.0),
        top_k=_integer(body, "top_k", 0),
        seed=_integer(body, "seed", -(2**63)),
        frequency_penalty=_number(body, "frequency_penalty", -2.0, 2.0),
        presence_penalty=_number(body, "presence_penalty", -2.0, 2.0),
        stop=stops,
    )
