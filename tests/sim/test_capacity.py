"""The capacity model: at most `capacity` responses at once, the rest wait in a FIFO queue."""

from __future__ import annotations

import asyncio

import pytest

from flperf.sim import SimConfig
from flperf.sim.chat import ChatRequest
from flperf.sim.cli import to_cli_args
from flperf.sim.log import WriteLog
from flperf.sim.plan import Planner

from .sim_client import serving, stream_chat

MS = 1_000_000
REQUEST = ChatRequest(stream=True, include_usage=True, max_tokens=None, prompt_tokens=1)


def plan_at(planner: Planner, received_ms: float) -> tuple[float, float]:
    """(first content, last write) of a request received at `received_ms`, on the same axis."""
    received_ns = int(received_ms * MS)
    _, steps = planner.plan(REQUEST, received_ns=received_ns, keep_alive=True)
    content = [at for at, _, entry in steps if entry and entry[0] == "content"]
    return received_ms + content[0] / MS, received_ms + max(at for at, _, _ in steps) / MS


def test_service_time_and_saturation_rate_follow_from_the_settings() -> None:
    config = SimConfig(ttft_ms=20, itl_ms=2, output_tokens=16, capacity=6)
    assert config.service_ms(16) == 20 + 15 * 2
    assert config.capacity_rps(16) == pytest.approx(6 * 1000 / 50)
    chunky = SimConfig(ttft_ms=10, itl_ms=1, tokens_per_chunk=4, capacity=2)
    assert chunky.service_ms(16) == 10 + 12 * 1
    assert SimConfig(ttft_ms=20).capacity_rps(16) is None


def test_requests_beyond_capacity_start_when_a_slot_frees_in_arrival_order() -> None:
    planner = Planner(SimConfig(ttft_ms=20, itl_ms=2, output_tokens=16, capacity=2), WriteLog(10))
    served = [plan_at(planner, 0.0) for _ in range(5)]
    firsts = [first for first, _ in served]
    # two at once, then each pair waits one more service time of 50 ms
    assert firsts == [20.0, 20.0, 70.0, 70.0, 120.0]
    assert [end for _, end in served] == [50.0, 50.0, 100.0, 100.0, 150.0]
    # a request arriving after the queue drained waits for nothing
    assert plan_at(planner, 400.0) == (420.0, 450.0)


def test_without_capacity_nothing_waits() -> None:
    planner = Planner(SimConfig(ttft_ms=20, itl_ms=2, output_tokens=16), WriteLog(10))
    assert {plan_at(planner, 0.0) for _ in range(50)} == {(20.0, 50.0)}


def test_errors_answered_at_once_take_no_slot() -> None:
    config = SimConfig(ttft_ms=20, itl_ms=2, output_tokens=16, capacity=1, fail_500=1.0)
    planner = Planner(config, WriteLog(10))
    for _ in range(3):
        _, steps = planner.plan(REQUEST, received_ns=0, keep_alive=True)
        assert [at for at, _, _ in steps] == [0]


def test_reset_empties_the_queue() -> None:
    planner = Planner(SimConfig(ttft_ms=20, itl_ms=2, output_tokens=16, capacity=1), WriteLog(10))
    plan_at(planner, 0.0)
    assert plan_at(planner, 0.0)[0] == 70.0
    planner.reset()
    assert plan_at(planner, 0.0)[0] == 20.0


@pytest.mark.anyio
async def test_over_http_the_third_stream_waits_for_a_slot() -> None:
    async with serving(ttft_ms=30, itl_ms=5, output_tokens=4, capacity=2) as sim:
        await asyncio.gather(*(stream_chat(sim) for _ in range(3)))
    records = sorted(sim.server.log.requests, key=lambda r: r.received_ns)
    first_content = [next(ns for ns, kind, _ in r.chunks if kind == "content") for r in records]
    # the first two start at once; the third starts when the first slot frees (a response of
    # 30 + 3 * 5 = 45 ms after its request came), then takes ttft; chunks never leave early
    assert all(
        30 <= (ns - r.received_ns) / MS < 45
        for ns, r in zip(first_content[:2], records[:2], strict=True)
    )
    freed = min(r.received_ns for r in records[:2]) + 45 * MS
    assert 30 <= (first_content[2] - freed) / MS < 45
    assert all(r.delivered == 4 for r in records)


def test_the_command_line_carries_the_capacity() -> None:
    args = to_cli_args(SimConfig(capacity=3))
    assert args[args.index("--capacity") + 1] == "3"
    assert "--capacity" not in to_cli_args(SimConfig())
