"""SSE parsing: which event stops the TTFT clock, what counts as a token, what is malformed."""

from __future__ import annotations

import orjson

from flperf.bench.sse import parse_completion, parse_stream


def _event(delta: dict[str, object] | None = None, **extra: object) -> bytes:
    obj: dict[str, object] = {"id": "chatcmpl-1", "object": "chat.completion.chunk", **extra}
    if delta is not None:
        obj["choices"] = [{"index": 0, "delta": delta, "finish_reason": None}]
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def test_role_only_first_chunk_does_not_stop_ttft_clock() -> None:
    reads = [
        (100, _event({"role": "assistant", "content": ""})),
        (250, _event({"content": "Hello"})),
        (300, _event({"content": " world"})),
        (310, b"data: [DONE]\n\n"),
    ]
    facts = parse_stream(reads)
    assert facts.first_token_ns == 250
    assert facts.last_token_ns == 300
    assert facts.token_events == 2
    assert facts.text == "Hello world"
    assert facts.done


def test_usage_chunk_and_done_are_not_tokens() -> None:
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    reads = [
        (10, _event({"content": "a"})),
        (20, _event({"content": "b"})),
        (30, _event(None, choices=[{"index": 0, "delta": {}, "finish_reason": "length"}])),
        (40, b"data: " + orjson.dumps({"id": "x", "choices": [], "usage": usage}) + b"\n\n"),
        (50, b"data: [DONE]\n\n"),
    ]
    facts = parse_stream(reads)
    assert facts.last_token_ns == 20
    assert facts.usage == usage
    assert facts.finish_reason == "length"


def test_event_is_stamped_when_its_last_byte_arrives() -> None:
    whole = _event({"content": "split"})
    reads = [(100, whole[:10]), (175, whole[10:])]
    assert parse_stream(reads).first_token_ns == 175


def test_several_events_in_one_read_share_its_arrival_time() -> None:
    reads = [(500, _event({"content": "a"}) + _event({"content": "b"}) + b"data: [DONE]\n\n")]
    facts = parse_stream(reads)
    assert (facts.first_token_ns, facts.last_token_ns, facts.token_events) == (500, 500, 2)


def test_reasoning_and_tool_calls_count_as_tokens() -> None:
    reads = [
        (1, _event({"reasoning_content": "think"})),
        (2, _event({"tool_calls": [{"index": 0, "function": {"name": "f"}}]})),
    ]
    facts = parse_stream(reads)
    assert facts.first_token_ns == 1 and facts.token_events == 2


def test_crlf_line_endings_are_accepted() -> None:
    reads = [(7, _event({"content": "x"}).replace(b"\n", b"\r\n"))]
    assert parse_stream(reads).first_token_ns == 7


def test_malformed_chunk_is_reported_and_later_tokens_still_counted() -> None:
    reads = [
        (1, _event({"content": "a"})),
        (2, b'data: {"id": oops\n\n'),
        (3, _event({"content": "b"})),
    ]
    facts = parse_stream(reads)
    assert facts.malformed is not None and "not valid JSON" in facts.malformed
    assert facts.token_events == 2


def test_error_event_in_stream_is_reported() -> None:
    reads = [(1, b'data: {"error": {"message": "model crashed"}}\n\n')]
    assert parse_stream(reads).error_event == "model crashed"


def test_comments_and_keepalives_are_ignored() -> None:
    reads = [(1, b": keep-alive\n\n"), (2, _event({"content": "a"}))]
    assert parse_stream(reads).first_token_ns == 2


def test_non_streamed_completion_gives_text_and_usage() -> None:
    body = orjson.dumps(
        {
            "id": "c1",
            "choices": [
                {"message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1},
        }
    )
    facts = parse_completion(body)
    assert facts.text == "Hi" and facts.usage == {"prompt_tokens": 3, "completion_tokens": 1}
    assert facts.first_token_ns is None


def test_non_json_completion_is_malformed() -> None:
    assert parse_completion(b"<html>").malformed is not None
