"""Statistics on real engine measurements of the simulator: CIs shrink, significance is right."""

from __future__ import annotations

from flperf.bench.comparison import Method, MetricDiff, diff_metric, diff_results
from flperf.bench.metric_catalog import metric
from flperf.bench.metrics import aggregate
from flperf.bench.records import RequestRecord
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


def _itl_records(itl_ms: float) -> list[RequestRecord]:
    config = SimConfig(ttft_ms=2, itl_ms=itl_ms, output_tokens=12, jitter=0.1, seed=11)
    with start_simulator(config) as sim:
        _, outcome = run_against(sim, RunConfig(iterations=30, warmup=1, temperature=0))
    return outcome.records


def _itl_diff(
    base: list[RequestRecord], other: list[RequestRecord], method: Method = "welch"
) -> MetricDiff:
    """ITL p50 of `other` against `base`, tested on the per-request ITL values."""
    return diff_metric(
        metric("itl_p50"),
        aggregate(base, "sim", "*"),
        aggregate(other, "sim", "*"),
        base,
        other,
        method=method,
    )


def test_same_settings_show_no_difference_and_20_percent_itl_shows() -> None:
    base = _itl_records(2.0)
    same = _itl_records(2.0)
    slower = _itl_records(2.4)
    itl = _itl_diff(base, same)
    assert itl.verdict == "no difference" and itl.basis == "itl_ms", itl
    itl = _itl_diff(base, slower)
    assert itl.verdict == "different" and itl.better is False and itl.rel_diff_pct is not None
    assert 10 < itl.rel_diff_pct < 30
    boot = _itl_diff(base, slower, method="bootstrap")
    assert boot.verdict == "different" and boot.method == "bootstrap"
    # Every compared metric is judged; decode speed (basis of throughput) is the slower one too.
    diffs = {
        d.metric: d
        for d in diff_results(
            aggregate(base, "sim", "*"), aggregate(slower, "sim", "*"), base, slower
        )
    }
    assert diffs["tps"].basis == "gen_tps" and diffs["tps"].verdict == "different"
    assert diffs["error_rate"].verdict is None and diffs["error_rate"].basis is None
