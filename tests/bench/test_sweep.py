"""Sweep settings, the knee, capacity under SLO, the search and the Pareto front, on hand-made
points (and, for the search, on model servers whose curves are known exactly)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from flperf.bench.metrics import aggregate
from flperf.bench.run_config import ClosedLoad, PoissonRateLoad, RunConfig
from flperf.bench.run_document import RunState
from flperf.bench.stats import parse_slo
from flperf.bench.sweep import (
    SweepPoint,
    SweepSettings,
    analyse,
    next_step,
    pareto_optimal,
    scaling_efficiency,
)

from .records_factory import make_record


def point(load: float, tps: float | None, passed: bool = True, **extra: object) -> SweepPoint:
    """A completed point with throughput `tps`; `passed=False` makes it miss an objective."""
    fields: dict[str, object] = {
        "load": load,
        "run_id": f"run_{int(load * 1000):016x}",
        "status": RunState.COMPLETED,
        "tps": tps,
        "request_throughput": None,
        "ttft_p95_ms": None,
        "e2e_p95_ms": None,
        "itl_p95_ms": None,
        "error_rate": 0.0,
        "requests": 10,
        "passed": passed,
        "failures": [] if passed else ["ttft p95 900.0 ms > 500 ms"],
    }
    fields.update(extra)
    return SweepPoint.model_validate(fields)


def auto(**fields: object) -> SweepSettings:
    return SweepSettings.model_validate({"mode": "auto", "start": 1, "max": 64, **fields})


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mode": "list"}, "loads: a list sweep needs at least one load"),
        ({"mode": "list", "loads": [2.5]}, "whole number"),
        ({"mode": "list", "loads": [1, 2.5]}, "loads[1]: a concurrency is a whole number"),
        ({"mode": "list", "loads": [1, 2], "start": 1}, "start and max apply to"),
        ({"mode": "auto", "max": 8}, "start: a auto sweep needs its first load"),
        ({"mode": "geometric", "start": 1}, "max: a geometric sweep needs its highest load"),
        ({"mode": "auto", "start": 1, "max": 2000}, "max: 2000 is outside 1..1024"),
        ({"mode": "auto", "start": 1, "max": 8, "loads": [1]}, "loads apply to list sweeps"),
        ({"axis": "rate", "mode": "auto", "start": 1, "max": 1e6}, "outside 0.001..100000"),
    ],
)
def test_invalid_settings_say_which_setting_is_wrong(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        SweepSettings.model_validate(fields)


def test_bounded_fields_are_checked_by_their_own_validators() -> None:
    with pytest.raises(ValidationError) as info:
        SweepSettings.model_validate({"start": 1, "max": 8, "factor": 1, "knee_efficiency": 1})
    assert {err["loc"][0] for err in info.value.errors()} == {"factor", "knee_efficiency"}


def test_geometric_concurrencies_are_whole_and_distinct() -> None:
    settings = SweepSettings(mode="geometric", start=1, factor=1.5, max=10)
    assert settings.scan_loads() == [1, 2, 3, 5, 8]


def test_geometric_rates_keep_four_significant_figures() -> None:
    settings = SweepSettings(axis="rate", mode="geometric", start=0.7, factor=3, max=200)
    assert settings.scan_loads() == [0.7, 2.1, 6.3, 18.9, 56.7, 170.1]


def test_a_concurrency_point_replaces_the_load_and_scales_iterations_by_it() -> None:
    base = RunConfig(iterations=4, warmup=2, rate=5, rate_mode="poisson", slos=["e2e_p95_ms=9"])
    config = SweepSettings(start=1, max=8).point_config(base, 8)
    assert config.load == ClosedLoad(concurrency=8)
    assert (config.iterations, config.warmup, config.slos) == (32, 2, ["e2e_p95_ms=9"])


def test_a_rate_point_keeps_the_arrivals_seed_and_cap_of_the_base_load() -> None:
    base = RunConfig(iterations=3, rate=1, rate_mode="poisson", seed=7, max_concurrency=16)
    settings = SweepSettings(axis="rate", start=1, max=8, scale_iterations=False)
    config = settings.point_config(base, 2.5)
    assert config.load == PoissonRateLoad(rate=2.5, seed=7, max_concurrency=16)
    assert config.iterations == 3
    scaled = settings.model_copy(update={"scale_iterations": True}).point_config(base, 2.5)
    assert scaled.iterations == 8  # about three seconds of arrivals at 2.5 requests/s


# --- a point from its run's summary ---------------------------------------------------------


def test_a_point_fails_on_a_missed_slo_and_on_too_many_errors() -> None:
    from flperf.bench.records import ErrorKind

    from .records_factory import make_failure

    records = [make_record(index=i, ttft_ms=100.0 + i) for i in range(9)]
    records.append(make_failure(ErrorKind.HTTP, index=9))
    slos = [parse_slo("ttft_p95_ms=50"), parse_slo("e2e_p95_ms=5000")]
    summary = aggregate(records, "m", "*", slos)
    settings = SweepSettings(start=1, max=8, max_error_rate=5)
    pt = SweepPoint.of(4, summary, settings, "run_0000000000000001", RunState.COMPLETED)
    assert not pt.passed
    assert pt.failures == ["ttft p95 107.6 ms > 50 ms", "error rate 10.0 % > 5 %"]
    assert pt.error_rate == 10.0 and pt.requests == 10
    lenient = settings.model_copy(update={"max_error_rate": 10})
    ok = aggregate(records, "m", "*", slos[1:])
    assert SweepPoint.of(4, ok, lenient, None, RunState.COMPLETED).passed


def test_a_point_without_a_summary_measured_nothing_and_fails() -> None:
    pt = SweepPoint.of(2, None, SweepSettings(start=1, max=8), None, RunState.FAILED)
    assert not pt.passed and not pt.complete and pt.tps is None and pt.error_rate == 100


# --- analysis -------------------------------------------------------------------------------


def test_scaling_efficiency_is_relative_gain_in_throughput_over_relative_gain_in_load() -> None:
    assert scaling_efficiency(point(2, 100), point(4, 200)) == pytest.approx(1.0)
    assert scaling_efficiency(point(4, 200), point(8, 300)) == pytest.approx(0.5)
    assert scaling_efficiency(point(8, 300), point(16, 270)) == pytest.approx(-0.1)
    assert scaling_efficiency(point(8, None), point(16, 270)) is None


def test_knee_is_the_point_before_the_first_step_that_stops_scaling() -> None:
    tps = {1: 100, 2: 198, 4: 390, 6: 560, 8: 600, 12: 610}
    result = analyse([point(load, value) for load, value in tps.items()], auto())
    assert result.knee == 6 and result.knee_tps == 560 and result.max_tps == 610
    assert result.knee_run_id == point(6, 0).run_id
    assert [p.efficiency for p in result.points][4] == pytest.approx((600 / 560 - 1) / (1 / 3))


def test_a_noisy_dip_below_the_knee_does_not_become_the_knee() -> None:
    tps = {1: 100, 2: 200, 4: 250, 8: 790, 16: 820, 32: 800}
    assert analyse([point(load, value) for load, value in tps.items()], auto()).knee == 8


def test_knee_threshold_decides_how_much_scaling_is_enough() -> None:
    points = [point(1, 100), point(2, 200), point(4, 300), point(8, 330)]
    assert analyse(points, auto(knee_efficiency=0.5)).knee == 4
    assert analyse(points, auto(knee_efficiency=0.6)).knee == 2


def test_no_knee_while_every_step_scales() -> None:
    result = analyse([point(1, 100), point(2, 190), point(4, 370)], auto())
    assert result.knee is None and result.knee_run_id is None


def test_points_that_did_not_complete_are_left_out_of_the_curve() -> None:
    cancelled = point(8, 50, status=RunState.CANCELLED)
    result = analyse([point(2, 100), point(4, 200), cancelled], auto())
    assert [p.load for p in result.points] == [2, 4] and result.knee is None


def test_capacity_is_the_highest_load_passing_with_every_lower_one() -> None:
    points = [point(1, 10), point(2, 20), point(4, 40, passed=False), point(8, 80)]
    result = analyse(points, auto())
    assert result.capacity == 2 and result.capacity_bounded
    assert result.capacity_run_id == point(2, 0).run_id


def test_capacity_is_a_lower_bound_when_nothing_failed_and_none_when_the_first_failed() -> None:
    unbounded = analyse([point(1, 10), point(2, 20)], auto())
    assert unbounded.capacity == 2 and not unbounded.capacity_bounded
    none = analyse([point(1, 10, passed=False), point(2, 20)], auto())
    assert none.capacity is None and none.capacity_bounded


# --- the search -----------------------------------------------------------------------------

Server = Callable[[float], tuple[float, bool]]


def saturating(knee: float, slo_limit: float = float("inf")) -> Server:
    """A server whose throughput grows in proportion to the load up to `knee`, then stays flat;
    its objectives hold up to `slo_limit`."""
    return lambda load: (100.0 * min(load, knee), load <= slo_limit)


def sweep(settings: SweepSettings, server: Server) -> list[SweepPoint]:
    """Measure what `next_step` asks for until it is done."""
    points: list[SweepPoint] = []
    while (step := next_step(settings, points)).load is not None:
        assert step.load not in {p.load for p in points}, "a load was measured twice"
        tps, ok = server(step.load)
        points.append(point(step.load, tps, passed=ok))
    return points


def test_a_list_is_measured_in_order_until_an_objective_is_missed() -> None:
    settings = SweepSettings(mode="list", loads=[1, 2, 4, 8, 16])
    points = sweep(settings, saturating(100, slo_limit=4))
    assert [p.load for p in points] == [1, 2, 4, 8]
    step = next_step(settings, points)
    assert step.phase == "done" and step.reason == "ttft p95 900.0 ms > 500 ms at concurrency 8"


def test_a_geometric_series_stops_when_throughput_stops_growing() -> None:
    settings = SweepSettings(mode="geometric", start=1, max=64, min_gain_pct=10)
    points = sweep(settings, saturating(10))
    assert [p.load for p in points] == [1, 2, 4, 8, 16, 32]
    reason = next_step(settings, points).reason
    assert reason == "throughput grew +0.0 % from 16 to 32 (less than 10 %)"


def test_a_series_that_never_stops_ends_at_its_highest_load() -> None:
    settings = SweepSettings(mode="geometric", start=1, max=8)
    points = sweep(settings, saturating(100))
    assert next_step(settings, points).reason == "reached the highest load (8)"


@pytest.mark.parametrize("knee", [3, 6, 7, 9])
def test_auto_finds_a_small_concurrency_knee_exactly(knee: int) -> None:
    # below 10, neighbouring whole numbers are more than the resolution (10 %) apart
    settings = auto(max=128, resolution=0.1)
    found = analyse(sweep(settings, saturating(knee)), settings)
    assert found.knee == knee


@pytest.mark.parametrize("knee", [11, 12, 20, 37, 64, 100])
def test_auto_finds_a_concurrency_knee_within_half_its_resolution(knee: int) -> None:
    settings = auto(max=256, resolution=0.1)
    found = analyse(sweep(settings, saturating(knee)), settings)
    assert found.knee is not None and abs(found.knee - knee) / knee <= 0.05


@pytest.mark.parametrize("knee", [7.3, 42.0, 150.0, 333.3])
def test_auto_finds_a_rate_knee_within_half_its_resolution(knee: float) -> None:
    settings = SweepSettings(axis="rate", mode="auto", start=5, max=2000, resolution=0.1)
    found = analyse(sweep(settings, saturating(knee)), settings)
    assert found.knee is not None and abs(found.knee - knee) / knee <= 0.05


@pytest.mark.parametrize(("limit", "knee"), [(5, 40), (13, 9), (30, 30)])
def test_auto_bisects_the_slo_boundary_to_the_last_passing_concurrency(
    limit: int, knee: int
) -> None:
    settings = auto(max=128)
    points = sweep(settings, saturating(knee, slo_limit=limit))
    found = analyse(points, settings)
    assert found.capacity == limit and found.capacity_bounded


def test_auto_never_measures_more_than_max_points() -> None:
    settings = auto(max=1024, max_points=6, resolution=0.01)
    points = sweep(settings, saturating(300))
    assert len(points) == 6
    assert next_step(settings, points).reason == "6 points measured (the most allowed)"


def test_the_next_step_depends_on_the_points_not_their_order() -> None:
    settings = auto(max=128)
    points = sweep(settings, saturating(23, slo_limit=17))
    shuffled = random.Random(1).sample(points, len(points))
    for cut in range(len(points)):
        assert next_step(settings, points[:cut]) == next_step(
            settings, sorted(points[:cut], key=lambda p: -p.load)
        )
    assert next_step(settings, shuffled) == next_step(settings, points)


def test_a_point_whose_run_did_not_complete_ends_the_search() -> None:
    settings = auto(max=64)
    points = [point(1, 100), point(2, 200, status=RunState.CANCELLED)]
    step = next_step(settings, points)
    assert step.load is None and step.reason == "the run at concurrency 2 ended cancelled"


# --- across models --------------------------------------------------------------------------


def test_pareto_keeps_points_no_other_beats_on_both_throughput_and_latency() -> None:
    pairs: list[tuple[float | None, float | None]] = [
        (100, 50),  # optimal: lowest latency
        (200, 80),  # optimal
        (150, 90),  # dominated by (200, 80)
        (300, 200),  # optimal: highest throughput
        (300, 250),  # dominated by (300, 200)
        (None, 10),  # unmeasured: never optimal
        (200, 80),  # a tie with an optimal point is optimal too
    ]
    assert pareto_optimal(pairs) == [True, True, False, True, False, False, True]


def test_a_scan_whose_max_is_below_its_start_measures_start_only() -> None:
    settings = SweepSettings(mode="geometric", start=8, max=4)
    assert settings.scan_loads() == [8.0]
