"""Statistics on real engine measurements of the simulator: CIs shrink, significance is right."""

from __future__ import annotations

from flperf.bench.comparison import compare_runs
from flperf.bench.run_config import RunConfig
from flperf.sim.config import SimConfig
from flperf.sim.process import start_simulator

from .engine_harness import run_against


def _ci_width(trials: int) -> float:
    with start_simulator(
        SimConfig(ttft_ms=8, itl_ms=1, output_tokens=8, jitter=0.4, seed=5)
    ) as sim:
        _, outcome = run_against(sim, RunConfig(iterations=4, warmup=0, trials=trials))
    stats = outcome.results[0].trial_stats
    assert stats is not None
    ttft = stats["ttft_p50_ms"]
    assert ttft.n == trials and ttft.ci95_low is not None and ttft.ci95_high is not None
    return ttft.ci95_high - ttft.ci95_low


def test_confidence_interval_shrinks_as_trials_grow() -> None:
    assert _ci_width(16) < _ci_width(3)


def _itl_records(itl_ms: float) -> list:  # type: ignore[type-arg]
    config = SimConfig(ttft_ms=2, itl_ms=itl_ms, output_tokens=12, jitter=0.1, seed=11)
    with start_simulator(config) as sim:
        _, outcome = run_against(sim, RunConfig(iterations=30, warmup=1, temperature=0))
    return outcome.records


def test_same_settings_show_no_difference_and_20_percent_itl_shows() -> None:
    base = _itl_records(2.0)
    same = _itl_records(2.0)
    slower = _itl_records(2.4)
    itl = {c.metric: c.comparison for c in compare_runs(base, same)}["itl_ms"]
    assert itl.verdict == "no difference", itl
    itl = {c.metric: c.comparison for c in compare_runs(base, slower)}["itl_ms"]
    assert itl.verdict == "different" and itl.rel_diff_pct is not None
    assert 10 < itl.rel_diff_pct < 30
    boot = {c.metric: c.comparison for c in compare_runs(base, slower, method="bootstrap")}
    assert boot["itl_ms"].verdict == "different" and boot["itl_ms"].method == "bootstrap"
