"""Reading a chat completion request body: only the fields the simulator acts on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class BadRequest(Exception):
    """The request cannot be served; the message goes into a 400 response."""


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What the simulator needs from ``POST /v1/chat/completions``."""

    stream: bool
    include_usage: bool
    max_tokens: int | None
    prompt_tokens: int


def count_prompt_tokens(messages: list[Any]) -> int:
    """Prompt size: whitespace-separated words over the text of every message.

    A message content is either a string or a list of parts, of which the ``text`` of each
    ``{"type": "text"}`` part counts.
    """
    words = 0
    for message in messages:
        if not isinstance(message, dict):
            raise BadRequest("each message must be an object")
        content = message.get("content")
        if isinstance(content, str):
            words += len(content.split())
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    words += len(part["text"].split())
        elif content is not None:
            raise BadRequest("message content must be a string or a list of parts")
    return words


def _optional_limit(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest(f"{name} must be a positive integer")
    return value


def parse_chat_request(body: bytes) -> ChatRequest:
    """Validate a request body; raise :class:`BadRequest` naming what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages must be a non-empty list")
    stream = data.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequest("stream must be a boolean")
    options = data.get("stream_options") or {}
    if not isinstance(options, dict):
        raise BadRequest("stream_options must be an object")
    max_completion_tokens = _optional_limit(data, "max_completion_tokens")
    max_tokens = _optional_limit(data, "max_tokens")
    if max_completion_tokens is not None:
        max_tokens = max_completion_tokens
    return ChatRequest(
        stream=stream,
        include_usage=options.get("include_usage") is True,
        max_tokens=max_tokens,
        prompt_tokens=count_prompt_tokens(messages),
    )
