"""Each injected fault does what it says, and the log accounts for every one."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import aiohttp
import pytest

from flperf.sim.config import FAULT_KINDS

from .sim_client import Stream, chat_body, serving, stream_chat

pytestmark = pytest.mark.anyio

BROKEN_EVENT = b'{"id": oops'


def content_events(seen: Stream) -> list[bytes]:
    return [event for event in seen.events if b'"content":"tok' in event]


@pytest.mark.parametrize(("fault", "status"), [("fail_500", 500), ("fail_429", 429)])
@pytest.mark.parametrize("stream", [True, False])
async def test_http_error_faults_answer_with_a_json_error_before_any_stream_byte(
    fault: str, status: int, stream: bool
) -> None:
    async with serving(**{fault: 1.0}) as sim:
        url = sim.url + "/v1/chat/completions"
        async with sim.session.post(url, json=chat_body(stream)) as response:
            assert response.status == status
            assert response.content_type == "application/json"
            assert response.headers["x-request-id"] == "chatcmpl-sim-1"
            body = await response.json()
        assert await sim.get_json("/health") == {"status": "ok"}  # the connection lives on
    assert body["error"]["code"] == status and body["error"]["message"]
    record = sim.server.log.requests[0]
    assert record.fault == fault
    assert [kind for _, kind, _ in record.chunks] == ["error"]
    assert record.delivered == 0


async def test_disconnect_closes_the_stream_after_half_the_content_chunks() -> None:
    async with serving(disconnect=1.0, output_tokens=10) as sim:
        seen = await stream_chat(sim)
    assert isinstance(seen.error, aiohttp.ClientPayloadError)
    assert len(content_events(seen)) == 5
    assert b"[DONE]" not in seen.events
    record = sim.server.log.requests[0]
    assert [kind for _, kind, _ in record.chunks] == ["role"] + ["content"] * 5 + ["close"]
    assert (record.planned, record.delivered) == (10, 5)


async def test_malformed_breaks_one_chunk_and_the_stream_goes_on() -> None:
    async with serving(malformed=1.0, output_tokens=6) as sim:
        seen = await stream_chat(sim)
    assert seen.error is None
    with pytest.raises(json.JSONDecodeError):
        json.loads(BROKEN_EVENT)
    assert seen.events.count(BROKEN_EVENT) == 1
    assert seen.events.index(BROKEN_EVENT) == 1 + 3  # after the role chunk and 3 content chunks
    assert len(content_events(seen)) == 5
    assert seen.events[-1] == b"[DONE]"
    record = sim.server.log.requests[0]
    kinds = [kind for _, kind, _ in record.chunks]
    assert kinds.count("malformed") == 1 and kinds[-1] == "done"
    assert (record.planned, record.delivered) == (6, 5)


async def test_stall_stops_after_the_first_content_chunk_and_closes_after_stall_s() -> None:
    async with serving(stall=1.0, stall_s=0.3, output_tokens=8) as sim:
        began = time.monotonic()
        seen = await stream_chat(sim)
        waited = time.monotonic() - began
    assert isinstance(seen.error, aiohttp.ClientPayloadError)
    assert len(content_events(seen)) == 1
    assert 0.3 <= waited < 2.0
    record = sim.server.log.requests[0]
    assert [kind for _, kind, _ in record.chunks] == ["role", "content", "close"]
    # held from when the first content chunk was due (ttft = 0: at receipt)
    closed_ms = (record.chunks[-1][0] - record.received_ns) / 1e6
    assert 300 <= closed_ms < 400


async def test_stalled_connections_are_closed_when_the_server_stops() -> None:
    async with serving(stall=1.0, stall_s=60) as sim:
        task = asyncio.create_task(stream_chat(sim))
        while not sim.server.log.requests or not sim.server.log.requests[0].writes:
            await asyncio.sleep(0.01)  # until the stream has started
        assert not task.done()
        await sim.server.stop()
        seen = await asyncio.wait_for(task, 5)
    assert seen.error is not None and len(content_events(seen)) == 1


@pytest.mark.parametrize("fault", ["disconnect", "stall"])
async def test_non_streamed_requests_honour_disconnect_and_stall(fault: str) -> None:
    async with serving(**{fault: 1.0}, stall_s=0.1) as sim:
        url = sim.url + "/v1/chat/completions"
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with sim.session.post(url, json=chat_body(False)) as response:
                await response.read()
    record = sim.server.log.requests[0]
    assert record.fault == fault
    assert [kind for _, kind, _ in record.chunks] == ["close"]


async def test_non_streamed_malformed_sends_a_body_that_is_not_json() -> None:
    async with serving(malformed=1.0) as sim:
        url = sim.url + "/v1/chat/completions"
        async with sim.session.post(url, json=chat_body(False)) as response:
            status, body = response.status, await response.read()
    assert status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def classify(seen: Stream) -> str:
    """Which fault a client-side observer would say hit this stream."""
    if seen.status != 200:
        return {500: "fail_500", 429: "fail_429"}[seen.status]
    if BROKEN_EVENT in seen.events:
        return "malformed"
    if seen.error is not None:
        return "stall" if len(content_events(seen)) == 1 else "disconnect"
    return "ok"


async def test_fault_counts_match_the_log_and_what_clients_saw() -> None:
    rates = dict.fromkeys(FAULT_KINDS, 0.1)
    async with serving(client_limit=32, **rates, output_tokens=8, stall_s=0.2, seed=11) as sim:
        seen = await asyncio.gather(*(stream_chat(sim) for _ in range(500)))
    counts = sim.server.log.counts
    records = sim.server.log.requests
    logged = Counter(record.fault or "ok" for record in records)
    observed = Counter(classify(stream) for stream in seen)
    assert counts["total"] == len(records) == 500
    assert {kind: counts[kind] for kind in logged} == dict(logged) == dict(observed)
    assert sum(counts[kind] for kind in FAULT_KINDS) + counts["ok"] == 500
    for kind in FAULT_KINDS:  # 10% of 500 is 50; a binomial draw stays well inside 25..75
        assert 25 <= counts[kind] <= 75


async def test_the_same_seed_repeats_the_fault_sequence_after_a_reset() -> None:
    async with serving(fail_500=0.3, fail_429=0.3, output_tokens=1, seed=5) as sim:
        first = [(await stream_chat(sim)).status for _ in range(30)]
        sim.server.reset()
        second = [(await stream_chat(sim)).status for _ in range(30)]
    assert first == second
    assert {200, 429, 500} == set(first)
