"""Chunks leave at the configured times, and the write log says when they did."""

from __future__ import annotations

import itertools
import time

import pytest

from flperf.sim import SimConfig
from flperf.sim.chat import ChatRequest
from flperf.sim.log import RequestRecord, WriteLog
from flperf.sim.plan import Planner

from .sim_client import serving, stream_chat

pytestmark = pytest.mark.anyio

LATE_MS = 15  # loose: a busy 2-core CI machine may delay a loop turn


def content_offsets_ms(record: RequestRecord) -> list[float]:
    return [(ns - record.received_ns) / 1e6 for ns, kind, _ in record.chunks if kind == "content"]


async def test_first_content_waits_ttft_while_the_role_chunk_goes_out_at_once() -> None:
    async with serving(ttft_ms=60, itl_ms=10, tokens_per_chunk=2, output_tokens=6) as sim:
        sent = time.perf_counter_ns()
        seen = await stream_chat(sim)
        finished = time.perf_counter_ns()
    record = sim.server.log.requests[0]
    role_ns, kind, _ = record.chunks[0]
    assert kind == "role"
    assert (role_ns - record.received_ns) / 1e6 < LATE_MS
    offsets = content_offsets_ms(record)
    # chunks of 2 tokens: the first at ttft, then one every 2 * itl
    for offset, planned in zip(offsets, [60, 80, 100], strict=True):
        assert planned <= offset < planned + LATE_MS
    # perf_counter_ns is one clock for client and server
    assert sent <= record.received_ns and (finished - sent) / 1e6 >= 100
    assert seen.content() == "tok " * 6


async def test_last_partial_chunk_follows_after_its_own_token_count_times_itl() -> None:
    async with serving(itl_ms=20, tokens_per_chunk=3, output_tokens=4) as sim:
        await stream_chat(sim)
    first, last = content_offsets_ms(sim.server.log.requests[0])
    # 3 tokens at ttft = 0, then the 1 remaining token 1 * itl later
    assert 0 <= first < LATE_MS
    assert 20 <= last < 20 + LATE_MS


async def test_schedule_is_absolute_so_timer_lateness_does_not_add_up() -> None:
    async with serving(itl_ms=1, output_tokens=200) as sim:
        await stream_chat(sim)
    offsets = content_offsets_ms(sim.server.log.requests[0])
    assert len(offsets) == 200
    assert 199 <= offsets[-1] < 199 + LATE_MS
    assert all(b >= a for a, b in itertools.pairwise(offsets))


async def test_zero_delays_write_a_whole_response_with_one_write() -> None:
    async with serving(output_tokens=64, tokens_per_chunk=8) as sim:
        await stream_chat(sim, stream_options={"include_usage": True})
    record = sim.server.log.requests[0]
    assert len(record.writes) == 1
    assert len(record.chunks) == 1 + 8 + 3
    assert len({ns for ns, _, _ in record.chunks}) == 1


async def test_log_records_every_chunk_with_its_kind_and_tokens() -> None:
    async with serving(ttft_ms=5, itl_ms=1, tokens_per_chunk=4, output_tokens=10) as sim:
        seen = await stream_chat(sim, stream_options={"include_usage": True})
        log = await sim.get_json("/sim/log")
    [entry] = log["requests"]
    assert entry["id"] == seen.headers["x-request-id"]
    assert entry["fault"] is None
    assert entry["tokens"] == {"planned": 10, "delivered": 10}
    assert [(kind, tokens) for _, kind, tokens in entry["chunks"]] == [
        ("role", 0),
        ("content", 4),
        ("content", 4),
        ("content", 2),
        ("finish", 0),
        ("usage", 0),
        ("done", 0),
    ]
    assert len(entry["chunks"]) == len(seen.events)  # one log entry per event the client saw
    times = [ns for ns, _, _ in entry["chunks"]]
    assert times == sorted(times) and times[0] >= entry["received_ns"]
    assert log["counts"]["total"] == 1 and log["counts"]["ok"] == 1


async def test_log_summary_has_only_counts() -> None:
    async with serving(output_tokens=1) as sim:
        await stream_chat(sim)
        summary = await sim.get_json("/sim/log?summary=1")
    assert set(summary) == {"counts"}
    assert summary["counts"]["total"] == 1


async def test_log_keeps_only_the_latest_requests_but_counts_all() -> None:
    async with serving(output_tokens=1, log_limit=3) as sim:
        for _ in range(5):
            await stream_chat(sim)
    assert [record.id for record in sim.server.log.requests] == [
        "chatcmpl-sim-3",
        "chatcmpl-sim-4",
        "chatcmpl-sim-5",
    ]
    assert sim.server.log.counts["total"] == 5


def planned_offsets_ms(config: SimConfig, requests: int) -> list[list[float]]:
    """Offsets of the one-token content chunks the planner schedules, per request."""
    planner = Planner(config, WriteLog(100))
    request = ChatRequest(stream=True, include_usage=False, max_tokens=None, prompt_tokens=1)
    plans = [planner.plan(request, received_ns=0, keep_alive=True)[1] for _ in range(requests)]
    return [[at / 1e6 for at, _, entry in steps if entry == ("content", 1)] for steps in plans]


def test_jitter_scales_each_delay_within_its_bounds() -> None:
    config = SimConfig(ttft_ms=100, itl_ms=10, output_tokens=20, jitter=0.2, seed=1)
    plans = planned_offsets_ms(config, 50)
    firsts = [offsets[0] for offsets in plans]
    gaps = [b - a for offsets in plans for a, b in itertools.pairwise(offsets)]
    assert 80 <= min(firsts) < 85 and 115 < max(firsts) <= 120
    assert 8 <= min(gaps) < 8.5 and 11.5 < max(gaps) <= 12


def test_jitter_repeats_with_the_same_seed_only() -> None:
    config = SimConfig(ttft_ms=50, itl_ms=5, output_tokens=8, jitter=0.5, seed=3)
    assert planned_offsets_ms(config, 5) == planned_offsets_ms(config, 5)
    other_seed = config.model_copy(update={"seed": 4})
    assert planned_offsets_ms(config, 5) != planned_offsets_ms(other_seed, 5)
