"""The SSE events the host writes are OpenAI's chunk shapes."""

from __future__ import annotations

import json

from flperf.bench.sse import parse_stream
from flperf.host.openai_wire import DONE_EVENT, ChunkEncoder, completion_body


def decode(event: bytes) -> dict[str, object]:
    assert event.startswith(b"data: ") and event.endswith(b"\n\n")
    parsed: dict[str, object] = json.loads(event[len(b"data: ") : -2])
    return parsed


ENCODER = ChunkEncoder("chatcmpl-1", 1700000000, "m:1")


def test_role_chunk_carries_only_the_role_and_empty_content() -> None:
    chunk = decode(ENCODER.role())
    assert chunk["object"] == "chat.completion.chunk"
    assert chunk["choices"] == [
        {
            "index": 0,
            "delta": {"role": "assistant", "content": ""},
            "logprobs": None,
            "finish_reason": None,
        }
    ]


def test_content_chunk_escapes_text() -> None:
    chunk = decode(ENCODER.content('say "hi"\n'))
    assert chunk["choices"][0]["delta"] == {"content": 'say "hi"\n'}  # type: ignore[index]
    assert chunk["id"] == "chatcmpl-1"
    assert chunk["model"] == "m:1"


def test_finish_and_usage_chunks() -> None:
    finish = decode(ENCODER.finish("length"))
    assert finish["choices"][0]["finish_reason"] == "length"  # type: ignore[index]
    assert finish["choices"][0]["delta"] == {}  # type: ignore[index]
    usage = decode(ENCODER.usage(3, 4))
    assert usage["choices"] == []
    assert usage["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}


def test_a_whole_host_stream_reads_back_as_our_client_parses_it() -> None:
    events = [
        ENCODER.role(),
        ENCODER.content("Hello"),
        ENCODER.content(", world"),
        ENCODER.finish("length"),
        ENCODER.usage(3, 2),
        DONE_EVENT,
    ]
    # One network read per event, as the host writes them, each with its arrival time.
    facts = parse_stream([(1000 * i, event) for i, event in enumerate(events)])
    assert facts.malformed is None and facts.error_event is None
    assert facts.text == "Hello, world" and facts.token_events == 2
    assert (
        facts.first_token_ns == 1000 and facts.last_token_ns == 2000
    )  # the role chunk is no token
    assert facts.finish_reason == "length" and facts.response_id == "chatcmpl-1"
    assert facts.usage == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    assert facts.done


def test_completion_body() -> None:
    body = json.loads(completion_body("c", 1, "m:1", "txt", "stop", 2, 5))
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "txt"}
    assert body["usage"]["total_tokens"] == 7
