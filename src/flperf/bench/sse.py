"""Server-sent events of an OpenAI-compatible chat stream, parsed after the timing-critical path.

The client keeps `(arrival_ns, bytes)` for every network read and nothing else while the response
streams in. `parse_stream` then splits the bytes into events and stamps each event with the arrival
time of the read that completed it: the moment the event became usable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(slots=True)
class StreamFacts:
    """What a chat completion stream said, with the arrival times that matter."""

    first_token_ns: int | None = None
    last_token_ns: int | None = None
    token_events: int = 0
    text_parts: list[str] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    response_id: str | None = None
    finish_reason: str | None = None
    done: bool = False
    malformed: str | None = None
    error_event: str | None = None

    @property
    def text(self) -> str:
        """The generated text (content deltas joined)."""
        return "".join(self.text_parts)


def _event_payload(event: bytes) -> bytes | None:
    data_lines = []
    for line in event.split(b"\n"):
        if line.startswith(b"data:"):
            value = line[5:]
            data_lines.append(value[1:] if value.startswith(b" ") else value)
    if not data_lines:
        return None  # comments, keep-alives, bare `event:` lines
    return b"\n".join(data_lines)


def _apply_event(facts: StreamFacts, payload: bytes, arrival_ns: int) -> None:
    if payload == b"[DONE]" or payload.strip() == b"[DONE]":
        facts.done = True
        return
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        if facts.malformed is None:
            facts.malformed = f"chunk is not valid JSON: {payload[:80]!r}"
        return
    if not isinstance(obj, dict):
        if facts.malformed is None:
            facts.malformed = f"chunk is not a JSON object: {payload[:80]!r}"
        return
    if "error" in obj and "choices" not in obj:
        err = obj["error"]
        message = err.get("message") if isinstance(err, dict) else err
        facts.error_event = str(message)[:500]
        return
    if facts.response_id is None and isinstance(obj.get("id"), str):
        facts.response_id = obj["id"]
    usage = obj.get("usage")
    if isinstance(usage, dict):
        facts.usage = usage
    choices = obj.get("choices")
    if not isinstance(choices, list) or not choices:
        return
    choice = choices[0]
    if not isinstance(choice, dict):
        return
    delta = choice.get("delta")
    if delta is None and isinstance(choice.get("text"), str):  # legacy completions stream
        delta = {"content": choice["text"]}
    if isinstance(delta, dict):
        content = delta.get("content") or delta.get("reasoning_content") or delta.get("reasoning")
        if content or delta.get("tool_calls"):
            if facts.first_token_ns is None:
                facts.first_token_ns = arrival_ns
            facts.last_token_ns = arrival_ns
            facts.token_events += 1
            if isinstance(content, str):
                facts.text_parts.append(content)
    reason = choice.get("finish_reason")
    if isinstance(reason, str):
        facts.finish_reason = reason


def parse_stream(reads: Sequence[tuple[int, bytes]]) -> StreamFacts:
    """Split timed network reads into SSE events and collect the facts of the stream."""
    facts = StreamFacts()
    buffer = b""
    for arrival_ns, data in reads:
        if not buffer and data.endswith(b"\n\n") and b"\r" not in data:
            events = data.split(b"\n\n")  # the common case: whole events in one read
            events.pop()
        else:
            buffer += data
            if b"\r" in buffer:
                buffer = buffer.replace(b"\r\n", b"\n")
            if b"\n\n" not in buffer:
                continue
            *events, buffer = buffer.split(b"\n\n")
        for event in events:
            if event.startswith(b"data: ") and b"\n" not in event:
                payload: bytes | None = event[6:]
            else:
                payload = _event_payload(event)
            if payload is not None:
                _apply_event(facts, payload, arrival_ns)
    if buffer.strip():
        payload = _event_payload(buffer)
        if payload is not None and reads:
            _apply_event(facts, payload, reads[-1][0])
    return facts


def parse_completion(body: bytes) -> StreamFacts:
    """The facts of a non-streamed chat completion body (no token timings)."""
    facts = StreamFacts()
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        facts.malformed = f"response is not valid JSON: {body[:80]!r}"
        return facts
    if not isinstance(obj, dict):
        facts.malformed = "response is not a JSON object"
        return facts
    if "error" in obj and "choices" not in obj:
        err = obj["error"]
        facts.error_event = str(err.get("message") if isinstance(err, dict) else err)[:500]
        return facts
    facts.response_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    if isinstance(obj.get("usage"), dict):
        facts.usage = obj["usage"]
    choices = obj.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        choice = choices[0]
        message = choice.get("message") or {}
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            content = choice.get("text") if isinstance(choice.get("text"), str) else ""
        if content:
            facts.text_parts.append(content)
            facts.token_events = 1
        if isinstance(choice.get("finish_reason"), str):
            facts.finish_reason = choice["finish_reason"]
    else:
        facts.malformed = "response has no choices"
    facts.done = True
    return facts
