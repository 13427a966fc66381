"""One result against a baseline, metric by metric: the catalogue's `compare` view.

For each compared metric: the difference of the aggregates, whether it is an improvement (the
metric's direction), and whether it is larger than the noise. Significance is judged on the
per-request values behind the metric (its `basis`), never on the aggregates: Welch's t-test by
default, or a seeded bootstrap of the means; a pass rate (quality) by Fisher's exact test on
the passes and fails. Metrics without a basis (error rates) are not tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from flperf.bench.metric_catalog import Basis, Metric, metrics
from flperf.bench.metrics import ResultMetrics
from flperf.bench.records import RequestRecord, Status
from flperf.bench.stats import compare, compare_proportions

Method = Literal["welch", "bootstrap"]


class MetricDiff(BaseModel):
    """One metric of a column against the baseline column."""

    metric: str
    baseline: float | None
    value: float | None
    diff: float | None = Field(description="value - baseline")
    rel_diff_pct: float | None = Field(description="(value - baseline) / |baseline| * 100")
    higher_is_better: bool
    better: bool | None = Field(description="True when the change is an improvement")
    basis: str | None = Field(description="Per-request values the significance test used")
    verdict: str | None = Field(
        description="'different', 'no difference', 'insufficient data'; None when not tested"
    )
    significant: bool | None
    p_value: float | None
    method: str | None


def per_request_values(records: Sequence[RequestRecord], basis: Basis) -> list[float]:
    """The `basis` figure of every successful measured request that has one."""
    values = []
    for record in records:
        if record.status is not Status.OK or record.warmup:
            continue
        value = getattr(record, basis)
        if value is not None:
            values.append(float(value))
    return values


def diff_metric(
    metric: Metric,
    base: ResultMetrics,
    other: ResultMetrics,
    base_records: Sequence[RequestRecord],
    other_records: Sequence[RequestRecord],
    *,
    method: Method = "welch",
    seed: int = 0,
) -> MetricDiff:
    """`other` against `base` on one metric; the records are those behind each result."""
    a, b = metric.value(base), metric.value(other)
    higher = metric.better == "higher"
    diff = b - a if a is not None and b is not None else None
    rel = diff / abs(a) * 100 if diff is not None and a else None
    better = None if diff is None or diff == 0 else (diff > 0) == higher
    verdict = significant = p_value = used = None
    if metric.basis is not None:
        base_values = per_request_values(base_records, metric.basis)
        other_values = per_request_values(other_records, metric.basis)
        if metric.basis == "quality_pass":  # pass (1) or fail (0): a proportion
            test = compare_proportions(
                int(sum(base_values)), len(base_values), int(sum(other_values)), len(other_values)
            )
        else:
            test = compare(base_values, other_values, method=method, seed=seed)
        verdict, p_value, used = test.verdict, test.p_value, test.method
        significant = test.significant if test.verdict != "insufficient data" else None
    return MetricDiff(
        metric=metric.key,
        baseline=a,
        value=b,
        diff=diff,
        rel_diff_pct=rel,
        higher_is_better=higher,
        better=better,
        basis=metric.basis,
        verdict=verdict,
        significant=significant,
        p_value=p_value,
        method=used,
    )


def diff_results(
    base: ResultMetrics,
    other: ResultMetrics,
    base_records: Sequence[RequestRecord],
    other_records: Sequence[RequestRecord],
    *,
    method: Method = "welch",
    seed: int = 0,
) -> list[MetricDiff]:
    """`other` against `base` on every metric of the catalogue's `compare` view, in its order."""
    return [
        diff_metric(m, base, other, base_records, other_records, method=method, seed=seed)
        for m in metrics("compare")
    ]
