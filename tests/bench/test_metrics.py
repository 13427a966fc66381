"""Aggregates follow DESIGN section 5 exactly; checked on hand-made records."""

from __future__ import annotations

import numpy as np
import pytest

from flperf.bench.metrics import SMALL_SAMPLE, aggregate, aggregate_run, summarize
from flperf.bench.records import ErrorKind, RequestRecord

from .records_factory import make_failure, make_record


def test_percentiles_use_linear_interpolation_over_successful_requests() -> None:
    values = [float(v) for v in range(1, 11)]
    summary = summarize(values)
    assert summary is not None
    assert summary.p50 == pytest.approx(5.5)
    assert summary.p95 == pytest.approx(float(np.percentile(values, 95)))
    assert summary.n == 10 and summary.small_sample


def test_small_sample_flag_clears_at_threshold() -> None:
    summary = summarize([1.0] * SMALL_SAMPLE)
    assert summary is not None and not summary.small_sample and summary.stdev == 0.0


def test_tps_is_tokens_of_successful_requests_over_measured_window() -> None:
    records = [
        make_record(index=0, start_ms=0.0, end_ms=1000.0, output_tokens=100),
        make_record(index=1, start_ms=500.0, end_ms=2000.0, output_tokens=100),
        make_failure(ErrorKind.HTTP, index=2, start_ms=100.0, end_ms=150.0, http_status=500),
    ]
    result = aggregate(records, "m", "s")
    assert result.window_s == pytest.approx(2.0)
    assert result.tps == pytest.approx(100.0)  # 200 tokens / 2 s; the failure adds no tokens
    assert result.request_throughput == pytest.approx(1.0)


def test_warmup_requests_are_excluded_from_aggregates() -> None:
    records = [
        make_record(index=0, warmup=True, ttft_ms=900.0, start_ms=0.0, end_ms=5000.0),
        make_record(index=1, ttft_ms=100.0, start_ms=6000.0, end_ms=7000.0),
    ]
    result = aggregate(records, "m", "s")
    assert result.ttft == 100.0
    assert result.warmup_requests == 1 and result.requests_attempted == 1
    assert result.window_s == pytest.approx(1.0)
    assert result.cold_ttft_ms == 900.0
    assert result.warm_ttft_ms == 100.0  # every request after the first


def test_warm_ttft_is_the_median_of_successful_requests_after_the_first() -> None:
    records = [
        make_record(index=0, ttft_ms=500.0, start_ms=0.0, end_ms=600.0),
        make_record(index=1, ttft_ms=10.0, start_ms=700.0, end_ms=800.0),
        make_record(index=2, ttft_ms=30.0, start_ms=900.0, end_ms=1000.0),
        make_failure(ErrorKind.HTTP, index=3, start_ms=1100.0, end_ms=1200.0, http_status=500),
    ]
    result = aggregate(records, "m", "s")
    assert result.cold_ttft_ms == 500.0
    assert result.warm_ttft_ms == pytest.approx(20.0)
    assert aggregate(records[:1], "m", "s").warm_ttft_ms is None


def test_error_and_timeout_rates_are_percent_of_attempted_with_kinds() -> None:
    records: list[RequestRecord] = [make_record(index=i) for i in range(6)]
    records += [
        make_failure(ErrorKind.HTTP, index=6, http_status=500),
        make_failure(ErrorKind.HTTP, index=7, http_status=429),
        make_failure(ErrorKind.CONNECTION, index=8),
        make_failure(ErrorKind.TIMEOUT, index=9),
        make_failure(ErrorKind.CANCELLED, index=10),  # not attempted to completion
    ]
    result = aggregate(records, "m", "s")
    assert result.requests_attempted == 10
    assert result.error_rate == pytest.approx(40.0)
    assert result.timeout_rate == pytest.approx(10.0)
    assert result.requests_cancelled == 1
    assert result.errors_by_kind == {"http_500": 1, "http_429": 1, "connection": 1, "timeout": 1}


def test_all_failed_gives_no_latency_and_no_throughput() -> None:
    result = aggregate([make_failure(ErrorKind.CONNECTION)], "m", "s")
    assert result.tps is None and result.ttft is None and result.latency_p95 is None
    assert result.error_rate == 100.0 and result.successful_iterations == 0


def test_decode_speed_is_inverse_of_itl_per_request() -> None:
    result = aggregate([make_record(itl_ms=20.0), make_record(index=1, itl_ms=10.0)], "m", "s")
    assert result.decode_tps is not None
    assert sorted([result.decode_tps.min, result.decode_tps.max]) == [50.0, 100.0]
    # The original web client's numbers: mean decode tokens/s and mean ms per output token.
    assert result.gen_tps == 75.0 and result.tpot == 15.0


def test_results_stored_with_the_decode_distribution_under_gen_tps_still_load() -> None:
    stored = aggregate([make_record(itl_ms=20.0)], "m", "s").model_dump(mode="json")
    stored["gen_tps"] = stored.pop("decode_tps")
    del stored["tpot"]
    result = type(aggregate([], "m", "s")).model_validate(stored)
    assert result.decode_tps is not None and result.decode_tps.p50 == 50.0
    assert result.gen_tps == 50.0 and result.tpot == 20.0


def test_run_aggregates_recompute_percentiles_from_all_records() -> None:
    a = [make_record(index=i, scenario="a", e2e_ms=float(100 + i)) for i in range(10)]
    b = [make_record(index=10 + i, scenario="b", e2e_ms=float(1000 + i)) for i in range(30)]
    results = aggregate_run(a + b)
    assert [(r.model_id, r.scenario) for r in results] == [("m", "a"), ("m", "b"), ("m", "*")]
    overall = results[-1]
    expected = np.percentile([r.e2e_ms for r in a + b], 95)
    assert overall.latency_p95 == pytest.approx(expected)
    assert overall.requests_attempted == 40


def test_token_sources_and_disagreement_are_counted() -> None:
    records = [
        make_record(index=0),
        make_record(index=1, tokens_disagree=True),
        make_record(index=2, token_source=None, output_tokens=None),
    ]
    result = aggregate(records, "m", "s")
    assert result.token_sources == {"usage": 2}
    assert result.tokens_disagree == 1


def test_goodput_counts_only_requests_meeting_every_slo() -> None:
    from flperf.bench.stats import parse_slos

    records = [
        make_record(index=0, ttft_ms=50.0, start_ms=0.0, end_ms=1000.0),
        make_record(index=1, ttft_ms=150.0, start_ms=0.0, end_ms=2000.0),
        make_record(index=2, ttft_ms=90.0, e2e_ms=5000.0, start_ms=0.0, end_ms=2000.0),
        make_failure(ErrorKind.TIMEOUT, index=3, start_ms=0.0, end_ms=2000.0),
    ]
    slos = parse_slos(["ttft_p95_ms=100", "e2e_p50_ms=2000"])
    result = aggregate(records, "m", "s", slos)
    assert result.goodput == pytest.approx(0.5)  # 1 good request / 2 s
    assert result.slo_pass_rate == pytest.approx(25.0)
    assert result.slo_results is not None and len(result.slo_results) == 2
    assert result.slos_met is False
    assert aggregate(records, "m", "s").slos_met is None


def test_trial_stats_appear_only_with_several_trials() -> None:
    one = [make_record(index=i, ttft_ms=100.0 + i) for i in range(4)]
    assert aggregate(one, "m", "s").trial_stats is None
    many = [
        make_record(
            index=t * 4 + i,
            trial=t,
            ttft_ms=100.0 + 10 * t,
            start_ms=t * 1000.0,
            end_ms=t * 1000.0 + 900.0,
        )
        for t in range(3)
        for i in range(4)
    ]
    stats = aggregate(many, "m", "s").trial_stats
    assert stats is not None and stats["ttft_p50_ms"].n == 3
    assert stats["ttft_p50_ms"].mean == pytest.approx(110.0)
    assert stats["ttft_p50_ms"].ci95_low is not None and stats["ttft_p50_ms"].ci95_low < 110.0
