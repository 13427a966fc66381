"""The streamed and non-streamed responses look like OpenAI's / Foundry Local's."""

from __future__ import annotations

import pytest

from .sim_client import chat_body, serving, stream_chat

pytestmark = pytest.mark.anyio


async def test_stream_has_role_chunk_content_chunks_finish_and_done() -> None:
    async with serving(output_tokens=5, tokens_per_chunk=2) as sim:
        seen = await stream_chat(sim)
    assert seen.status == 200
    assert seen.headers["Content-Type"] == "text/event-stream"
    assert seen.headers["x-request-id"] == "chatcmpl-sim-1"
    assert seen.events[-1] == b"[DONE]"
    chunks = seen.chunks()
    assert [chunk["choices"][0]["delta"] for chunk in chunks] == [
        {"role": "assistant", "content": ""},
        {"content": "tok tok "},
        {"content": "tok tok "},
        {"content": "tok "},
        {},
    ]
    assert [chunk["choices"][0]["finish_reason"] for chunk in chunks] == [None] * 4 + ["stop"]
    assert {chunk["id"] for chunk in chunks} == {"chatcmpl-sim-1"}
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert {chunk["model"] for chunk in chunks} == {"sim-model"}
    assert all(isinstance(chunk["created"], int) for chunk in chunks)


async def test_usage_chunk_comes_only_when_asked_for() -> None:
    async with serving(output_tokens=3) as sim:
        without = await stream_chat(sim)
        asked = await stream_chat(sim, stream_options={"include_usage": True})
    assert all("usage" not in chunk for chunk in without.chunks())
    usage_chunk = asked.chunks()[-1]
    assert usage_chunk["choices"] == []
    # the prompt "count to ten please" is four whitespace-separated words
    assert usage_chunk["usage"] == {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7}
    assert asked.events[-1] == b"[DONE]"


async def test_role_chunk_can_be_turned_off() -> None:
    async with serving(output_tokens=2, role_chunk=False) as sim:
        seen = await stream_chat(sim)
    assert seen.chunks()[0]["choices"][0]["delta"] == {"content": "tok "}


@pytest.mark.parametrize(
    ("configured", "request_fields", "tokens", "finish_reason"),
    [
        (None, {}, 16, "length"),
        (None, {"max_tokens": 7}, 7, "length"),
        (None, {"max_tokens": 7, "max_completion_tokens": 5}, 5, "length"),
        (4, {"max_tokens": 100}, 4, "stop"),
        (4, {"max_tokens": 4}, 4, "length"),
    ],
)
async def test_output_length_comes_from_config_then_request_then_default(
    configured: int | None, request_fields: dict[str, int], tokens: int, finish_reason: str
) -> None:
    async with serving(output_tokens=configured) as sim:
        seen = await stream_chat(sim, **request_fields)
    assert seen.content() == "tok " * tokens
    assert seen.chunks()[-1]["choices"][0]["finish_reason"] == finish_reason
    assert sim.server.log.requests[0].planned == tokens


async def test_an_answer_replaces_the_first_chunks_text_and_leads_a_whole_reply() -> None:
    async with serving(output_tokens=3, answer="Canberra.", role_chunk=False) as sim:
        seen = await stream_chat(sim, stream_options={"include_usage": True})
        url = sim.url + "/v1/chat/completions"
        async with sim.session.post(url, json=chat_body(stream=False)) as response:
            body = await response.json()
    texts = [c["choices"][0]["delta"].get("content") for c in seen.chunks() if c["choices"]]
    assert texts == ["Canberra.", "tok ", "tok ", None]
    assert seen.chunks()[-1]["usage"]["completion_tokens"] == 3  # counts unchanged
    assert body["choices"][0]["message"]["content"] == "Canberra.tok tok "


async def test_non_streamed_response_is_one_json_completion_with_usage() -> None:
    async with serving(output_tokens=6) as sim:
        url = sim.url + "/v1/chat/completions"
        async with sim.session.post(url, json=chat_body(stream=False)) as response:
            status, body = response.status, await response.json()
            request_id = response.headers["x-request-id"]
    assert status == 200
    assert body["id"] == request_id == "chatcmpl-sim-1"
    assert body["object"] == "chat.completion"
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "tok " * 6},
            "finish_reason": "stop",
        }
    ]
    assert body["usage"] == {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}


async def test_message_parts_count_towards_prompt_tokens() -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "one two  three"}]},
    ]
    async with serving(output_tokens=1) as sim:
        body = chat_body(stream=False) | {"messages": messages}
        status, answer = await sim.post_json("/v1/chat/completions", body)
    assert status == 200
    assert answer["usage"]["prompt_tokens"] == 5
    assert sim.server.log.requests[0].prompt_tokens == 5


async def test_ids_count_up_and_reset_restarts_them() -> None:
    async with serving(output_tokens=1) as sim:
        first = await stream_chat(sim)
        second = await stream_chat(sim)
        assert await sim.post_json("/sim/reset", b"") == (200, {"reset": True})
        after_reset = await stream_chat(sim)
    assert first.headers["x-request-id"] == "chatcmpl-sim-1"
    assert second.headers["x-request-id"] == "chatcmpl-sim-2"
    assert after_reset.headers["x-request-id"] == "chatcmpl-sim-1"
