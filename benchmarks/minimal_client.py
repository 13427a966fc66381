"""The reference floor: the least a client can do to time a stream with aiohttp.

Both calibration benchmarks run it side by side with the engine, on the same simulator, so the
engine's cost is read as a difference from this floor rather than as an absolute number.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from time import perf_counter_ns

import aiohttp
import orjson


@dataclass
class MinimalTiming:
    """Arrival of the first and last read that carried content, and the response id."""

    response_id: str | None
    first_content_ns: int | None
    last_content_ns: int | None


def _body(model: str, max_tokens: int) -> bytes:
    return orjson.dumps(
        {
            "model": model,
            "messages": [{"role": "user", "content": "say something"}],
            "max_tokens": max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )


async def run_minimal(
    url: str, model: str, max_tokens: int, requests: int, concurrency: int
) -> list[MinimalTiming]:
    """Closed loop at `concurrency`; stamps each read, marks reads holding non-empty content."""
    body = _body(model, max_tokens)
    headers = {"Content-Type": "application/json"}
    timings: list[MinimalTiming] = []
    remaining = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for _ in remaining:
                first = last = None
                rid = None
                async with session.post(url, data=body, headers=headers) as resp:
                    rid = resp.headers.get("x-request-id")
                    async for data in resp.content.iter_any():
                        now = perf_counter_ns()
                        if b'"content":"' in data and data.count(b'"content":""') < data.count(
                            b'"content":"'
                        ):
                            if first is None:
                                first = now
                            last = now
                timings.append(MinimalTiming(rid, first, last))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return timings
