"""Bytes the simulator puts on the wire: HTTP/1.1 heads, chunked framing and SSE events.

Everything constant is encoded once per server; a response only splices in its id, its
``created`` second and its token counts.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

TOKEN_TEXT = "tok "
"""Text of every output token; a chunk of k tokens carries ``TOKEN_TEXT * k``."""

DONE = b"%x\r\ndata: [DONE]\n\n\r\n0\r\n\r\n" % len(b"data: [DONE]\n\n")
"""``data: [DONE]`` as an HTTP chunk, followed by the last-chunk marker."""

MALFORMED = b'%x\r\ndata: {"id": oops\n\n\r\n' % len(b'data: {"id": oops\n\n')
"""An SSE event whose JSON is broken, as an HTTP chunk."""

_TAIL_OPEN = b',"finish_reason":null}]}\n\n'
_ROLE_DELTA = b'{"role":"assistant","content":""}'


def frame(event: bytes) -> bytes:
    """Wrap bytes as one HTTP/1.1 chunk of a chunked body."""
    return b"%x\r\n%s\r\n" % (len(event), event)


def token_text(tokens: int) -> str:
    """Deterministic text of ``tokens`` output tokens."""
    return TOKEN_TEXT * tokens


def http_head(status: int, headers: list[tuple[str, str]]) -> bytes:
    """Status line and headers of a response, ending with the blank line."""
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_response(
    status: int,
    payload: Any,
    keep_alive: bool,
    extra_headers: list[tuple[str, str]] | None = None,
) -> bytes:
    """A complete response with a JSON body."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = [("content-type", "application/json"), ("content-length", str(len(body)))]
    headers.extend(extra_headers or ())
    if not keep_alive:
        headers.append(("connection", "close"))
    return http_head(status, headers) + body


def error_response(status: int, message: str, keep_alive: bool, **extra: str) -> bytes:
    """An OpenAI-style error response: ``{"error": {"message", "type", "code"}}``."""
    error = {"message": message, "type": extra.pop("type", "invalid_request_error"), "code": status}
    headers = [(name.replace("_", "-"), value) for name, value in extra.items()]
    return json_response(status, {"error": error}, keep_alive, headers)


class Wire:
    """Encoder of chat completion responses for one model name."""

    def __init__(self, model: str, answer: str | None = None) -> None:
        self.model = model
        self.answer = answer
        model_json = json.dumps(model).encode()
        self._id_open = b'data: {"id":"chatcmpl-sim-'
        self._created_open = b'","object":"chat.completion.chunk","created":'
        self._choice_open = b',"model":' + model_json + b',"choices":[{"index":0,"delta":'
        self._usage_open = b',"model":' + model_json + b',"choices":[],"usage":'
        self._stream_heads = {
            keep_alive: (
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n"
                + (b"" if keep_alive else b"connection: close\r\n")
                + b"x-request-id: chatcmpl-sim-"
            )
            for keep_alive in (True, False)
        }
        self._content_deltas: dict[int, bytes] = {}

    def stream_head(self, num: int, keep_alive: bool) -> bytes:
        """Head of a streaming (SSE, chunked) response."""
        return self._stream_heads[keep_alive] + b"%d\r\n\r\n" % num

    def chunk_prefix(self, num: int, created: int) -> bytes:
        """Start of every chunk object of one response, up to the delta value."""
        return b"%s%d%s%d%s" % (
            self._id_open,
            num,
            self._created_open,
            created,
            self._choice_open,
        )

    def role_chunk(self, prefix: bytes) -> bytes:
        """Framed role-only chunk: ``delta: {"role": "assistant", "content": ""}``."""
        return frame(prefix + _ROLE_DELTA + _TAIL_OPEN)

    def content_chunk(self, prefix: bytes, tokens: int) -> bytes:
        """Framed content chunk carrying ``tokens`` tokens of text."""
        delta = self._content_deltas.get(tokens)
        if delta is None:
            text = json.dumps({"content": token_text(tokens)}, separators=(",", ":"))
            delta = self._content_deltas[tokens] = text.encode()
        return frame(prefix + delta + _TAIL_OPEN)

    def first_chunk(self, prefix: bytes, tokens: int) -> bytes:
        """The first content chunk: the configured answer's text, else like any other."""
        if self.answer is None:
            return self.content_chunk(prefix, tokens)
        text = json.dumps({"content": self.answer}, separators=(",", ":"))
        return frame(prefix + text.encode() + _TAIL_OPEN)

    def reply_text(self, tokens: int) -> str:
        """Whole reply text of ``tokens`` tokens (non-streamed), the answer first."""
        if self.answer is None:
            return token_text(tokens)
        return self.answer + token_text(max(0, tokens - 1))

    def finish_chunk(self, prefix: bytes, finish_reason: str) -> bytes:
        """Framed final choice chunk: empty delta and a finish reason."""
        return frame(prefix + b'{},"finish_reason":"%s"}]}\n\n' % finish_reason.encode())

    def usage_chunk(self, num: int, created: int, prompt: int, completion: int) -> bytes:
        """Framed trailing chunk with ``choices: []`` and ``usage``."""
        usage = b'{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}' % (
            prompt,
            completion,
            prompt + completion,
        )
        return frame(
            b"%s%d%s%d%s%s}\n\n"
            % (self._id_open, num, self._created_open, created, self._usage_open, usage)
        )

    def completion_response(
        self,
        num: int,
        created: int,
        prompt: int,
        completion: int,
        finish_reason: str,
        keep_alive: bool,
    ) -> bytes:
        """A complete non-streaming ``chat.completion`` response."""
        request_id = f"chatcmpl-sim-{num}"
        payload = {
            "id": request_id,
            "object": "chat.completion",
            "created": created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.reply_text(completion)},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
        return json_response(200, payload, keep_alive, [("x-request-id", request_id)])
