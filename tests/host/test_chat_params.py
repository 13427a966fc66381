"""Request bodies the host accepts, and the 400 messages for those it does not."""

from __future__ import annotations

from typing import Any

import pytest

from flperf.host.chat_params import BadRequest, parse_chat_request

BASE: dict[str, Any] = {"messages": [{"role": "user", "content": "hi"}]}


def test_minimal_body_uses_runtime_defaults() -> None:
    params = parse_chat_request(BASE)
    assert params.messages == (("user", "hi"),)
    assert params.stream is False
    assert params.max_tokens is None
    assert params.temperature is None
    assert params.stop == ()


def test_max_completion_tokens_wins_over_max_tokens() -> None:
    params = parse_chat_request({**BASE, "max_tokens": 5, "max_completion_tokens": 9})
    assert params.max_tokens == 9


def test_streaming_with_usage() -> None:
    params = parse_chat_request({**BASE, "stream": True, "stream_options": {"include_usage": True}})
    assert params.stream and params.include_usage


def test_text_parts_are_joined() -> None:
    body = {
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            }
        ]
    }
    assert parse_chat_request(body).messages == (("user", "ab"),)


def test_single_stop_string_becomes_a_tuple() -> None:
    assert parse_chat_request({**BASE, "stop": "END"}).stop == ("END",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "role must be one of"),
        ({**BASE, "max_tokens": 0}, "max_tokens must be at least 1"),
        ({**BASE, "max_tokens": "ten"}, "max_tokens must be an integer"),
        ({**BASE, "temperature": 3}, "temperature must be between"),
        ({**BASE, "n": 2}, "only n=1"),
        ({**BASE, "stop": [1]}, "stop must be"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            "only text content",
        ),
    ],
)
def test_bad_bodies_are_rejected_with_a_reason(body: Any, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_chat_request(body)
