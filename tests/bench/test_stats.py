from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from flperf.bench.stats import (
    Slo,
    compare,
    compare_proportions,
    describe,
    evaluate_slos,
    parse_slo,
    parse_slos,
    request_meets_slos,
    run_meets_slos,
)


def test_describe_reports_mean_sample_stdev_cv_and_t_interval() -> None:
    stats = describe([10.0, 12.0, 14.0])

    assert stats.n == 3
    assert stats.mean == pytest.approx(12.0)
    assert stats.stdev == pytest.approx(2.0)  # ddof=1
    assert stats.cv == pytest.approx(2.0 / 12.0)
    # t(0.975, df=2) = 4.302653; half-width = t * 2 / sqrt(3)
    assert stats.ci95_low == pytest.approx(12.0 - 4.302653 * 2 / 3**0.5, rel=1e-6)
    assert stats.ci95_high == pytest.approx(12.0 + 4.302653 * 2 / 3**0.5, rel=1e-6)


def test_describe_leaves_spread_unset_below_two_values() -> None:
    one = describe([5.0])
    none = describe([])

    assert (one.n, one.mean, one.stdev, one.cv, one.ci95_low, one.ci95_high) == (
        1,
        5.0,
        None,
        None,
        None,
        None,
    )
    assert (none.n, none.mean, none.ci95_high) == (0, None, None)


def test_describe_has_no_cv_when_mean_is_zero() -> None:
    stats = describe([-1.0, 1.0])

    assert stats.mean == 0.0
    assert stats.cv is None
    assert stats.stdev == pytest.approx(2**0.5)


def test_describe_ignores_non_finite_values() -> None:
    assert describe([1.0, float("nan"), 3.0, float("inf")]).n == 2


def test_confidence_interval_shrinks_as_trials_grow() -> None:
    rng = np.random.default_rng(7)
    widths = []
    for n in (5, 20, 80, 320):
        stats = describe(rng.normal(100.0, 10.0, size=n))
        assert stats.ci95_low is not None and stats.ci95_high is not None
        assert stats.ci95_low < 100.0 < stats.ci95_high
        widths.append(stats.ci95_high - stats.ci95_low)

    assert widths == sorted(widths, reverse=True)
    assert widths[-1] < widths[0] / 4


def test_welch_finds_no_difference_between_samples_of_one_distribution() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(50.0, 5.0, size=30), rng.normal(50.0, 5.0, size=30)

    result = compare(a, b)

    assert result.verdict == "no difference"
    assert not result.significant
    assert result.p_value is not None and result.p_value > 0.05
    assert result.ci_low_pct is not None and result.ci_high_pct is not None
    assert result.ci_low_pct < 0 < result.ci_high_pct


def test_welch_finds_a_twenty_percent_shift_with_small_noise() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(100.0, 3.0, size=10), rng.normal(120.0, 3.0, size=10)

    result = compare(a, b)

    assert result.verdict == "different"
    assert result.significant
    assert result.p_value is not None and result.p_value < 1e-6
    assert result.rel_diff_pct == pytest.approx(20.0, abs=3.0)
    assert result.ci_low_pct is not None and result.ci_low_pct > 0


def test_bootstrap_agrees_with_welch() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(100.0, 3.0, size=12)
    same = rng.normal(100.0, 3.0, size=12)
    shifted = rng.normal(120.0, 3.0, size=12)

    assert compare(base, same, method="bootstrap").verdict == "no difference"
    shifted_result = compare(base, shifted, method="bootstrap")
    assert shifted_result.verdict == "different"
    assert shifted_result.method == "bootstrap"
    assert shifted_result.ci_low_pct is not None and shifted_result.ci_low_pct > 10.0
    assert shifted_result.ci_high_pct is not None and shifted_result.ci_high_pct < 30.0


def test_bootstrap_is_reproducible_for_a_seed() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 6.0]

    first = compare(a, b, method="bootstrap", seed=11)
    again = compare(a, b, method="bootstrap", seed=11)
    other = compare(a, b, method="bootstrap", seed=12)

    assert (first.ci_low_pct, first.ci_high_pct) == (again.ci_low_pct, again.ci_high_pct)
    assert (first.ci_low_pct, first.ci_high_pct) != (other.ci_low_pct, other.ci_high_pct)


def test_compare_reports_insufficient_data_below_two_values_per_side() -> None:
    result = compare([10.0], [12.0, 13.0])

    assert result.verdict == "insufficient data"
    assert not result.significant
    assert result.p_value is None
    assert result.rel_diff_pct == pytest.approx(25.0)


def test_compare_of_constant_samples_is_exact() -> None:
    assert compare([5.0, 5.0], [5.0, 5.0]).verdict == "no difference"
    assert compare([5.0, 5.0], [6.0, 6.0]).verdict == "different"


def test_compare_rejects_an_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown method 'ttest'"):
        compare([1.0, 2.0], [1.0, 2.0], method="ttest")  # type: ignore[arg-type]


def test_parse_slo_reads_metric_percentile_and_threshold() -> None:
    slo = parse_slo("ttft_p95_ms=500")

    assert slo == Slo(metric="ttft", percentile="p95", threshold_ms=500.0)
    assert slo.quantile == 95.0
    assert str(slo) == "ttft_p95_ms=500"
    assert parse_slo(" latency_p99_ms = 1500.5 ") == Slo(
        metric="e2e", percentile="p99", threshold_ms=1500.5
    )


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("ttft_p95_ms", "no '=' found"),
        ("ttftp95=500", "is not <metric>_<percentile>_ms"),
        ("speed_p95_ms=500", "unknown metric 'speed'"),
        ("ttft_p97_ms=500", "unknown percentile 'p97'"),
        ("ttft_p95_s=0.5", "unit 's' is not supported"),
        ("ttft_p95_ms=fast", "threshold 'fast' is not a number"),
        ("ttft_p95_ms=-3", "threshold must be a positive number"),
    ],
)
def test_parse_slo_errors_name_what_was_wrong(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_slo(text)


def test_parse_slos_splits_a_comma_separated_list() -> None:
    assert [str(s) for s in parse_slos("ttft_p95_ms=500, itl_p50_ms=40,")] == [
        "ttft_p95_ms=500",
        "itl_p50_ms=40",
    ]


@dataclass
class _Request:
    ttft_ms: float | None
    itl_ms: float | None
    e2e_ms: float | None


def test_request_meets_slos_compares_its_own_latencies() -> None:
    slos = parse_slos("ttft_p95_ms=500,itl_p95_ms=50")

    assert request_meets_slos(slos, _Request(ttft_ms=400, itl_ms=20, e2e_ms=900))
    assert not request_meets_slos(slos, _Request(ttft_ms=501, itl_ms=20, e2e_ms=900))
    assert not request_meets_slos(slos, {"ttft_ms": 100.0, "itl_ms": 60.0})


def test_missing_itl_passes_but_missing_ttft_fails() -> None:
    slos = parse_slos("ttft_p95_ms=500,itl_p95_ms=50")

    assert request_meets_slos(slos, {"ttft_ms": 100.0, "itl_ms": None})
    assert not request_meets_slos(slos, {"ttft_ms": None, "itl_ms": 10.0})


def test_run_level_slo_uses_the_percentile_over_requests() -> None:
    # ttft 1..100 ms: p50 = 50.5, p95 = 95.05 (linear interpolation)
    requests = [{"ttft_ms": float(v), "itl_ms": None, "e2e_ms": None} for v in range(1, 101)]

    met, missed, empty = evaluate_slos(
        parse_slos("ttft_p50_ms=51,ttft_p95_ms=95,e2e_p50_ms=10"), requests
    )

    assert (met.n, met.observed_ms, met.met) == (100, pytest.approx(50.5), True)
    assert (missed.observed_ms, missed.met) == (pytest.approx(95.05), False)
    assert (empty.n, empty.observed_ms, empty.met) == (0, None, None)
    assert run_meets_slos(parse_slos("ttft_p50_ms=51"), requests)
    assert not run_meets_slos(parse_slos("ttft_p50_ms=51,ttft_p95_ms=95"), requests)


def test_pass_rates_are_compared_with_fishers_exact_test() -> None:
    # 6/6 against 0/6: the exact two-sided p is 2 / C(12, 6) = 2 / 924.
    apart = compare_proportions(6, 6, 0, 6)
    assert apart.method == "fisher" and apart.verdict == "different" and apart.significant
    assert apart.p_value == pytest.approx(2 / 924)
    assert (apart.mean_a, apart.mean_b, apart.rel_diff_pct) == (100.0, 0.0, -100.0)
    close = compare_proportions(9, 10, 8, 10)
    assert close.verdict == "no difference" and close.p_value == pytest.approx(1.0)
    # A baseline passing nothing is still tested: the rates are counts, not means to divide by.
    from_zero = compare_proportions(0, 12, 12, 12)
    assert from_zero.verdict == "different" and from_zero.rel_diff_pct is None
    assert compare_proportions(3, 3, 0, 0).verdict == "insufficient data"
    with pytest.raises(ValueError, match="passes"):
        compare_proportions(4, 3, 0, 1)
