"""Talking to an in-process simulator the way a benchmark client would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from flperf.sim import SimConfig, SimServer

PROMPT = [{"role": "user", "content": "count to ten please"}]


@dataclass
class Sim:
    """A started simulator, its base URL and a client session to talk to it."""

    server: SimServer
    url: str
    session: aiohttp.ClientSession

    async def get_json(self, path: str) -> Any:
        async with self.session.get(self.url + path) as response:
            assert response.status == 200
            return await response.json()

    async def post_json(self, path: str, body: Any) -> tuple[int, Any]:
        """POST a JSON (or raw bytes) body; return the status and the JSON answer."""
        data = body if isinstance(body, bytes) else json.dumps(body)
        async with self.session.post(self.url + path, data=data) as response:
            return response.status, await response.json(content_type=None)


@asynccontextmanager
async def serving(**fields: Any) -> AsyncIterator[Sim]:
    """A simulator with the given SimConfig fields, and a client session.

    ``client_limit`` (not a config field) caps the session's connections (default 100).
    """
    limit = fields.pop("client_limit", 100)
    server = SimServer(SimConfig(**fields))
    port = await server.start()
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit))
    try:
        yield Sim(server, f"http://127.0.0.1:{port}", session)
    finally:
        await server.stop()
        await session.close()


@dataclass
class Stream:
    """What a client saw of one streamed response."""

    status: int
    headers: Mapping[str, str]  # case-insensitive
    events: list[bytes] = field(default_factory=list)  # SSE data payloads, in order
    error: Exception | None = None  # how the stream ended, when it did not end cleanly

    def chunks(self) -> list[dict[str, Any]]:
        """Parsed JSON of every event except ``[DONE]``."""
        return [json.loads(event) for event in self.events if event != b"[DONE]"]

    def content(self) -> str:
        return "".join(
            choice["delta"].get("content", "")
            for chunk in self.chunks()
            for choice in chunk["choices"]
        )


def chat_body(stream: bool = True, **extra: Any) -> dict[str, Any]:
    return {"model": "sim-model", "messages": PROMPT, "stream": stream, **extra}


async def stream_chat(sim: Sim, **extra: Any) -> Stream:
    """POST a streaming chat request and collect its SSE events until the stream ends."""
    url = sim.url + "/v1/chat/completions"
    async with sim.session.post(url, json=chat_body(**extra)) as response:
        seen = Stream(response.status, response.headers.copy())
        if response.status != 200:
            seen.events.append(await response.read())
            return seen
        buffer = b""
        try:
            async for data in response.content.iter_any():
                buffer += data
                *complete, buffer = buffer.split(b"\n\n")
                seen.events += [event.removeprefix(b"data: ") for event in complete]
        except aiohttp.ClientError as exc:
            seen.error = exc
        return seen
