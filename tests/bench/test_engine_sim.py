"""The engine measured against the simulator: known timings in, measured timings out."""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections.abc import Iterator

import pytest

from flperf.bench.records import Status
from flperf.bench.run_config import RunConfig
from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator

from .engine_harness import (
    first_content_ns,
    last_content_ns,
    one_scenario_suite,
    run_against,
    ttft_errors_ms,
)


@pytest.fixture
def timed_sim() -> Iterator[SimProcess]:
    with start_simulator(SimConfig(ttft_ms=20, itl_ms=2, output_tokens=32, role_chunk=True)) as sim:
        yield sim


@pytest.mark.parametrize("concurrency", [1, 8])
def test_ttft_matches_simulator_write_times(timed_sim: SimProcess, concurrency: int) -> None:
    config = RunConfig(iterations=40, concurrency=concurrency, warmup=2, temperature=0)
    runner, outcome = run_against(timed_sim, config)
    errors = ttft_errors_ms(runner, outcome.records, timed_sim.log())
    assert len(errors) == 42
    # The simulator stamps right after write() returns; the client may read the bytes first.
    assert -1.0 < statistics.median(errors) < 3.0


def test_itl_and_token_counts_match_simulator(timed_sim: SimProcess) -> None:
    _, outcome = run_against(timed_sim, RunConfig(iterations=20, warmup=0))
    log = {entry["id"]: entry for entry in timed_sim.log()["requests"]}
    ratios = []
    for record in outcome.records:
        entry = log[record.response_id]
        assert record.output_tokens == 32 and record.token_source == "usage"
        assert record.chunk_count == 32 and not record.tokens_disagree
        assert record.itl_ms is not None
        sim_itl = (last_content_ns(entry) - first_content_ns(entry)) / 1e6 / 31
        ratios.append(record.itl_ms / sim_itl)
    assert statistics.median(ratios) == pytest.approx(1.0, abs=0.02)
    result = outcome.results[0]
    assert result.itl_ms is not None and result.itl_ms.p50 == pytest.approx(2.0, rel=0.1)


def test_role_only_first_chunk_never_stops_the_clock() -> None:
    with start_simulator(SimConfig(ttft_ms=60, output_tokens=4, role_chunk=True)) as sim:
        _, outcome = run_against(sim, RunConfig(iterations=3, warmup=0))
    assert all(r.ttft_ms is not None and r.ttft_ms >= 55 for r in outcome.records)


def test_faults_at_ten_percent_each_are_all_accounted_for() -> None:
    config = SimConfig(
        output_tokens=8,
        fail_500=0.1,
        fail_429=0.1,
        disconnect=0.1,
        malformed=0.1,
        stall=0.1,
        stall_s=5,
        seed=7,
    )
    with start_simulator(config) as sim:
        _, outcome = run_against(
            sim, RunConfig(iterations=300, concurrency=16, warmup=0, timeout=500)
        )
        counts = sim.log(summary=True)["counts"]
    result = outcome.results[0]
    assert counts["total"] == 300 and result.requests_attempted == 300
    assert len({r.index for r in outcome.records}) == 300
    kinds = result.errors_by_kind
    assert kinds.get("http_500", 0) == counts["fail_500"]
    assert kinds.get("http_429", 0) == counts["fail_429"]
    assert kinds.get("connection", 0) == counts["disconnect"]
    assert kinds.get("malformed_stream", 0) == counts["malformed"]
    assert kinds.get("timeout", 0) == counts["stall"]
    failed = sum(counts[k] for k in ("fail_500", "fail_429", "disconnect", "malformed", "stall"))
    assert result.error_rate == pytest.approx(100 * failed / 300)
    assert result.timeout_rate == pytest.approx(100 * counts["stall"] / 300)
    assert result.successful_iterations == 300 - failed


def test_non_streamed_requests_have_no_ttft() -> None:
    with start_simulator(SimConfig(ttft_ms=10, itl_ms=1, output_tokens=16)) as sim:
        _, outcome = run_against(sim, RunConfig(iterations=5, warmup=0, streaming=False))
    for record in outcome.records:
        assert record.ok and record.ttft_ms is None and record.itl_ms is None
        assert record.output_tokens == 16 and record.e2e_ms is not None and record.e2e_ms >= 25
    assert outcome.results[0].ttft is None


def test_warmup_requests_are_flagged_and_excluded() -> None:
    with start_simulator(SimConfig(output_tokens=4)) as sim:
        _, outcome = run_against(sim, RunConfig(iterations=5, warmup=3))
    assert sum(r.warmup for r in outcome.records) == 3
    assert outcome.results[0].requests_attempted == 5 and outcome.results[0].warmup_requests == 3


def test_constant_rate_schedules_requests_evenly() -> None:
    with start_simulator(SimConfig(output_tokens=4)) as sim:
        _, outcome = run_against(sim, RunConfig(iterations=20, warmup=0, rate=50))
    scheduled = sorted(r.scheduled_ms for r in outcome.records)
    gaps = [b - a for a, b in itertools.pairwise(scheduled)]
    assert all(g == pytest.approx(20.0, abs=0.01) for g in gaps)
    assert max(r.dispatch_delay_ms for r in outcome.records) < 50


def test_poisson_arrivals_are_reproducible_with_a_seed() -> None:
    def offsets(seed: int) -> list[float]:
        with start_simulator(SimConfig(output_tokens=2)) as sim:
            config = RunConfig(iterations=15, warmup=0, rate=100, rate_mode="poisson", seed=seed)
            _, outcome = run_against(sim, config)
        first = min(r.scheduled_ms for r in outcome.records)
        return sorted(round(r.scheduled_ms - first, 3) for r in outcome.records)

    assert offsets(3) == offsets(3)
    assert offsets(3) != offsets(4)


def test_rate_with_concurrency_cap_limits_requests_in_flight() -> None:
    with start_simulator(SimConfig(ttft_ms=50, output_tokens=2)) as sim:
        config = RunConfig(iterations=12, warmup=0, rate=200, max_concurrency=2)
        _, outcome = run_against(sim, config)
    events = sorted(
        [(r.start_ms, 1) for r in outcome.records] + [(r.end_ms, -1) for r in outcome.records]
    )
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    assert peak <= 2
    assert max(r.dispatch_delay_ms for r in outcome.records) > 50  # the cap shows as delay


def test_cancel_stops_in_flight_requests_promptly_and_keeps_results() -> None:
    from flperf.bench import event_loop
    from flperf.bench.runner import Runner, Target

    with start_simulator(SimConfig(ttft_ms=5, itl_ms=50, output_tokens=200)) as sim:
        runner = Runner(
            Target(name="sim", endpoint=sim.url, served_model="sim-model"),
            one_scenario_suite(max_tokens=200),
            RunConfig(iterations=50, concurrency=4, warmup=0),
        )
        timer = threading.Timer(1.0, runner.cancel)
        timer.start()
        began = time.monotonic()
        outcome = event_loop.run(runner.run())
        elapsed = time.monotonic() - began
    assert outcome.cancelled
    assert elapsed < 2.5  # each request alone would take 10 s
    cancelled = [r for r in outcome.records if r.status is Status.CANCELLED]
    assert len(cancelled) == 4
    assert all(r.ttft_ms is None or r.ttft_ms > 0 for r in cancelled)
    assert len(outcome.records) < 50


def test_unreachable_model_becomes_connection_errors_not_a_crash() -> None:
    from flperf.bench.document_sink import measure_to_document
    from flperf.bench.runner import Target
    from flperf.bench.session import StaticServing

    with start_simulator(SimConfig(output_tokens=4)) as sim:
        serving = StaticServing(
            [
                Target(name="dead", endpoint="http://127.0.0.1:9", served_model="x"),
                Target(name="sim", endpoint=sim.url, served_model="sim-model"),
            ]
        )
        document = measure_to_document(
            serving.models, one_scenario_suite(), RunConfig(iterations=3, warmup=0), serving
        )
    assert document.run.status == "completed"
    by_model = {r.model_id: r for r in document.results if r.scenario == "*"}
    assert by_model["dead"].error_rate == 100 and by_model["dead"].errors_by_kind == {
        "connection": 3
    }
    assert by_model["sim"].error_rate == 0 and by_model["sim"].successful_iterations == 3


def test_results_carry_the_server_process_resources_over_their_window() -> None:
    from flperf.bench import event_loop
    from flperf.bench.runner import Runner, Target

    with start_simulator(SimConfig(ttft_ms=2, itl_ms=1, output_tokens=64)) as sim:
        runner = Runner(
            Target(name="sim", endpoint=sim.url, served_model="sim-model", pid=sim.pid),
            one_scenario_suite(max_tokens=64),
            RunConfig(iterations=40, concurrency=4, warmup=0),
            monitor_interval_s=0.05,
        )
        outcome = event_loop.run(runner.run())
    result, overall = outcome.results
    assert result.resources is not None and overall.resources is not None
    assert result.resources.sample_count >= 3
    assert result.cpu_avg is not None and 0 < result.cpu_avg <= 100
    assert result.ram_avg is not None and 0 < result.ram_avg <= 100
    assert result.resources.proc_cpu_avg is not None and result.resources.proc_cpu_avg > 0
    assert result.resources.proc_rss_peak_mb is not None and result.resources.proc_rss_peak_mb > 5
    assert len(outcome.samples) >= result.resources.sample_count
