"""OpenAI chat-completion bytes: SSE chunk events and non-streaming JSON bodies.

Constant parts of a response's chunks are encoded once per response; each content event only
splices in its text.
"""

from __future__ import annotations

from typing import Any

import orjson

DONE_EVENT = b"data: [DONE]\n\n"


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


class ChunkEncoder:
    """SSE events of one streamed ``chat.completion.chunk`` response."""

    def __init__(self, completion_id: str, created: int, model: str) -> None:
        head = orjson.dumps(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
            }
        )[:-1]
        self._head = b"data: " + head
        self._choice_open = self._head + b',"choices":[{"index":0,"delta":'
        self._choice_tail = b',"logprobs":null,"finish_reason":null}]}\n\n'

    def role(self) -> bytes:
        """The opening event: the assistant role and empty content."""
        return self._choice_open + b'{"role":"assistant","content":""}' + self._choice_tail

    def content(self, text: str) -> bytes:
        return self._choice_open + orjson.dumps({"content": text}) + self._choice_tail

    def finish(self, reason: str) -> bytes:
        return (
            self._choice_open
            + b'{},"logprobs":null,"finish_reason":'
            + orjson.dumps(reason)
            + b"}]}\n\n"
        )

    def usage(self, prompt: int, completion: int) -> bytes:
        return (
            self._head
            + b',"choices":[],"usage":'
            + orjson.dumps(_usage(prompt, completion))
            + b"}\n\n"
        )

    def error(self, message: str) -> bytes:
        return b"data: " + orjson.dumps(error_body(message, "server_error")) + b"\n\n"


def completion_body(
    completion_id: str,
    created: int,
    model: str,
    text: str,
    finish_reason: str,
    prompt: int,
    completion: int,
) -> bytes:
    """A non-streaming ``chat.completion`` response body."""
    return orjson.dumps(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": _usage(prompt, completion),
        }
    )


def error_body(
    message: str, kind: str = "invalid_request_error", param: str | None = None
) -> dict[str, Any]:
    """OpenAI's error shape."""
    return {"error": {"message": message, "type": kind, "param": param, "code": None}}
