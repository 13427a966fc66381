"""The metric catalogue: entries are checked against the result schema, cover every figure a
result holds, and write composite figures (ratios, counts, lists) the same way for every view."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flperf.bench import metric_catalog
from flperf.bench.metric_catalog import (
    DISTRIBUTIONS,
    Catalogue,
    Metric,
    catalogue,
    metric,
    metrics,
    stat,
    trial_label,
)
from flperf.bench.metrics import ResultMetrics, Summary, aggregate
from flperf.bench.monitor import MonitorSummary
from flperf.bench.records import ErrorKind
from flperf.report.figures import MISSING, number

from .records_factory import make_failure, make_record


def _result(n: int = 3) -> ResultMetrics:
    records = [make_record(index=i, start_ms=10.0 * i, end_ms=10.0 * i + 900) for i in range(n)]
    records.append(make_failure(ErrorKind.HTTP, http_status=500, index=n))
    return aggregate(records, "m", "s")


def test_a_path_missing_from_results_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="'p42'"):
        Metric(key="x", label="X", path=("ttft_ms", "p42"), group="performance", views=("ui",))
    with pytest.raises(ValidationError, match="'no_such_field'"):
        Metric(key="x", label="X", path=("no_such_field",), group="performance", views=("ui",))


def test_inconsistent_entries_are_refused() -> None:
    with pytest.raises(ValidationError, match="needs `per`"):
        Metric(key="x", label="X", kind="ratio", path=("quality_passed",), group="reliability",
               views=("ui",))  # fmt: skip
    with pytest.raises(ValidationError, match="compared metrics need"):
        Metric(key="x", label="X", path=("cpu_avg",), group="resources", views=("compare",))
    with pytest.raises(ValidationError, match="declared twice: tps"):
        Catalogue.model_validate({**catalogue().model_dump(), "metrics": [metric("tps")] * 2})
    with pytest.raises(ValueError, match="view 'tables'"):
        metrics("tables")  # type: ignore[arg-type]


def test_descriptions_default_to_the_result_schema() -> None:
    assert metric("error_rate").description == ResultMetrics.model_fields["error_rate"].description
    assert metric("proc_rss_peak_mb").description == (
        MonitorSummary.model_fields["proc_rss_peak_mb"].description
    )
    assert metric("ttft_p95").description.startswith("Time to first token")
    assert "95th percentile" in metric("ttft_p95").description


def test_every_figure_of_a_result_has_an_entry() -> None:
    detail = metrics("report_detail")
    shown = {m.key for m in detail} | {m.path[-1] for m in detail}
    shown |= {m.per[-1] for m in detail if m.per}  # a ratio shows both counts
    nested = {"model_id", "scenario", "resources", "slo_results", "trial_stats"}
    for name, info in ResultMetrics.model_fields.items():
        if name not in nested and info.annotation != Summary | None:
            assert name in shown, f"ResultMetrics.{name} has no catalogue entry"
    for name in ResultMetrics.model_computed_fields:
        assert name in shown, f"ResultMetrics.{name} has no catalogue entry"
    for name in [*MonitorSummary.model_fields, *MonitorSummary.model_computed_fields]:
        assert name == "window_s" or name in shown, f"MonitorSummary.{name} has no entry"
    summaries = {n for n, i in ResultMetrics.model_fields.items() if i.annotation == Summary | None}
    assert {d.field for d in DISTRIBUTIONS} == summaries


def test_a_statistic_takes_label_unit_direction_and_basis_from_its_distribution() -> None:
    p90 = stat("ttft_p90", "ttft_ms", "p90", views=("ui",))
    assert (p90.label, p90.unit, p90.better, p90.basis) == ("TTFT p90", "ms", "lower", "ttft_ms")
    assert p90.path == ("ttft_ms", "p90") and p90.tail
    assert not metric("ttft").tail


def test_values_small_samples_and_composites_are_read_from_the_result() -> None:
    result = _result()
    assert result.ttft_ms is not None and result.ttft_ms.small_sample
    assert metric("latency_p95").value(result) == result.latency_p95
    assert metric("latency_p95").small_sample(result)
    assert not metric("latency_p50").small_sample(result)
    assert metric("ok_sent").value(result) is None  # a ratio has no single value

    def text(key: str) -> str:
        return metric(key).text(result, number, MISSING)

    assert text("ok_sent") == "3/4"
    assert text("errors_by_kind") == "http_500: 1"
    assert text("token_sources") == "usage: 3"
    assert text("quality_pass") == MISSING  # nothing was checked
    assert text("quality") == MISSING and metric("quality").value(result) is None
    checked = result.model_copy(update={"quality_checked": 8, "quality_passed": 6})
    assert metric("quality").text(checked, number, MISSING) == f"{number(75.0, '%')} (n=8)"
    assert metric("quality_pass").text(checked, number, MISSING) == "6/8"
    assert text("requests_attempted") == "4"
    assert text("proc_cpu_avg") == MISSING  # not sampled
    sampled = result.model_copy(
        update={"resources": MonitorSummary(proc_cpu_avg=150.0, sources_unavailable=["gpu"])}
    )
    assert metric("proc_cpu_avg").value(sampled) == 150.0
    assert metric("sources_unavailable").text(sampled, number, MISSING) == "gpu"


def test_each_spread_across_trials_is_labelled_by_its_metric() -> None:
    records = [make_record(index=i, trial=i % 2) for i in range(4)]
    spread = aggregate(records, "m", "s").trial_stats
    assert spread is not None
    for key in spread:
        owner = next(m for m in metrics() if m.trial_key == key)
        assert trial_label(key) == owner.heading


def test_the_json_form_round_trips_and_reads_the_catalogue_when_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = catalogue().model_dump(mode="json")
    assert Catalogue.model_validate(data) == catalogue()
    ttft = next(m for m in data["metrics"] if m["key"] == "ttft")
    assert ttft["path"] == ["ttft_ms", "p50"] and ttft["basis"] == "ttft_ms"
    extra = stat("ttft_p90", "ttft_ms", "p90", views=("ui",))
    monkeypatch.setattr(metric_catalog, "METRICS", (*metric_catalog.METRICS, extra))
    assert catalogue().metrics[-1] == extra and metrics("ui")[-1] == extra
