"""The HTTP/1.1 side: routes, keep-alive, pipelining and rejected requests."""

from __future__ import annotations

import asyncio
import json

import pytest

from .sim_client import serving

pytestmark = pytest.mark.anyio

SMALL_CHAT = json.dumps({"messages": [{"role": "user", "content": "hi"}], "stream": False})


def chat_request(extra_headers: bytes = b"") -> bytes:
    body = SMALL_CHAT.encode()
    return (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: sim\r\ncontent-type: application/json\r\n"
        b"Content-Length: %d\r\n%s\r\n%s" % (len(body), extra_headers, body)
    )


async def exchange(url: str, *parts: bytes) -> bytes:
    """Send raw bytes in the given parts, then read until the server closes."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    for part in parts:
        writer.write(part)
        await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return data


async def test_models_health_and_config_routes() -> None:
    async with serving(model="my-model") as sim:
        models = await sim.get_json("/v1/models")
        health = await sim.get_json("/health")
        config = await sim.get_json("/sim/config")
    assert models["object"] == "list"
    assert [(m["id"], m["object"]) for m in models["data"]] == [("my-model", "model")]
    assert health == {"status": "ok"}
    assert config["model"] == "my-model"


async def test_like_ollama_the_model_is_listed_in_memory_once_a_chat_loaded_it() -> None:
    async with serving(model="llama", ollama=True, ollama_size_mb=2.0) as sim:
        version = await sim.get_json("/api/version")
        before = await sim.get_json("/api/ps")
        status, _ = await sim.post_json("/v1/chat/completions", json.loads(SMALL_CHAT))
        after = await sim.get_json("/api/ps")
        await sim.post_json("/sim/reset", {})
        reset = await sim.get_json("/api/ps")
    assert "version" in version and before == {"models": []} and status == 200
    assert after["models"] == [
        {"name": "llama", "model": "llama", "size": 2 * 1024 * 1024, "size_vram": 0}
    ]
    assert reset == {"models": []}


async def test_without_ollama_mode_its_routes_are_not_there() -> None:
    async with serving() as sim:
        for path in ("/api/ps", "/api/version"):
            async with sim.session.get(sim.url + path) as response:
                assert response.status == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"messages": []}', "messages"),
        (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}', "max_tokens"),
        (b'{"messages": [{"role": "user", "content": "x"}], "stream": "yes"}', "stream"),
        (b'{"messages": [{"role": "user", "content": 5}]}', "content"),
    ],
)
async def test_bad_chat_bodies_get_400_with_a_json_error(body: bytes, message: str) -> None:
    async with serving() as sim:
        status, answer = await sim.post_json("/v1/chat/completions", body)
    assert status == 400
    assert message in answer["error"]["message"]
    assert sim.server.log.counts["bad_request"] == 1
    assert sim.server.log.counts["total"] == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\nno colon here\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
)
async def test_malformed_http_gets_400_and_the_connection_closes(raw: bytes) -> None:
    async with serving() as sim:
        data = await exchange(sim.url, raw)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"connection: close" in head.lower()
    assert "error" in json.loads(body)


async def test_unknown_route_is_404_and_wrong_method_is_405() -> None:
    async with serving() as sim:
        async with sim.session.get(sim.url + "/nope") as missing:
            assert missing.status == 404
            assert "error" in await missing.json()
        async with sim.session.get(sim.url + "/v1/chat/completions") as wrong:
            assert wrong.status == 405
        async with sim.session.post(sim.url + "/v1/models") as wrong_too:
            assert wrong_too.status == 405


async def test_pipelined_requests_on_one_connection_are_answered_in_order() -> None:
    async with serving(output_tokens=2, ttft_ms=20) as sim:
        data = await exchange(sim.url, chat_request() * 2 + chat_request(b"Connection: close\r\n"))
    assert data.count(b"HTTP/1.1 200 OK") == 3
    positions = [data.index(b'"id":"chatcmpl-sim-%d"' % n) for n in (1, 2, 3)]
    assert positions == sorted(positions)
    # each waited for the one before it: its ttft runs from when its turn came
    first, second, third = sim.server.log.requests
    assert second.received_ns >= first.chunks[-1][0]
    assert third.received_ns >= second.chunks[-1][0]


async def test_a_request_split_across_packets_is_read_whole() -> None:
    async with serving(output_tokens=3) as sim:
        raw = chat_request(b"Connection: close\r\n")
        data = await exchange(sim.url, raw[:10], raw[10:60], raw[60:])
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert b'"completion_tokens":3' in data
    assert sim.server.log.requests[0].prompt_tokens == 1


async def test_keep_alive_serves_many_requests_over_one_connection() -> None:
    async with serving(client_limit=1, output_tokens=1) as sim:
        for _ in range(20):
            status, _ = await sim.post_json("/v1/chat/completions", SMALL_CHAT.encode())
            assert status == 200
        assert sim.server.open_connections == 1
    assert sim.server.log.counts["total"] == 20
