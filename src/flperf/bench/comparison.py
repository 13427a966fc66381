"""Comparing two sets of request records (two runs, or two models) metric by metric.

Significance is judged on the per-request values (not on aggregates), with Welch's t-test by
default or a bootstrap of the means; the method used is part of every comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from flperf.bench.records import RequestRecord, Status
from flperf.bench.stats import Comparison, compare

Method = Literal["welch", "bootstrap"]

PER_REQUEST_METRICS: dict[str, tuple[str, Callable[[RequestRecord], float | None]]] = {
    "ttft_ms": ("ms", lambda r: r.ttft_ms),
    "itl_ms": ("ms", lambda r: r.itl_ms),
    "e2e_ms": ("ms", lambda r: r.e2e_ms),
    "gen_tps": ("tokens/s", lambda r: r.gen_tps),
}
"""The per-request figures compared, with their units. Lower is better except gen_tps."""


class MetricComparison(BaseModel):
    """One metric of one (model, scenario) compared between A and B."""

    model_a: str
    model_b: str
    scenario: str
    metric: str
    unit: str
    lower_is_better: bool
    comparison: Comparison = Field(description="Relative difference B vs A and its significance")


def _values(
    records: Sequence[RequestRecord], read: Callable[[RequestRecord], float | None]
) -> list[float]:
    return [
        v for r in records if r.status is Status.OK and not r.warmup and (v := read(r)) is not None
    ]


def compare_records(
    a: Sequence[RequestRecord],
    b: Sequence[RequestRecord],
    *,
    model_a: str,
    model_b: str,
    scenario: str,
    method: Method = "welch",
    seed: int = 0,
) -> list[MetricComparison]:
    """Every per-request metric of `a` against `b` (already filtered to one scenario or all)."""
    out = []
    for metric, (unit, read) in PER_REQUEST_METRICS.items():
        result = compare(_values(a, read), _values(b, read), method=method, seed=seed)
        out.append(
            MetricComparison(
                model_a=model_a,
                model_b=model_b,
                scenario=scenario,
                metric=metric,
                unit=unit,
                lower_is_better=metric != "gen_tps",
                comparison=result,
            )
        )
    return out


def compare_runs(
    a: Sequence[RequestRecord],
    b: Sequence[RequestRecord],
    *,
    method: Method = "welch",
    seed: int = 0,
) -> list[MetricComparison]:
    """Run A against run B on each (model, scenario) both have; models matched by name.

    When each run holds exactly one model and the names differ (two models compared), the single
    models are matched with each other.
    """
    models_a = list(dict.fromkeys(r.model for r in a))
    models_b = list(dict.fromkeys(r.model for r in b))
    if len(models_a) == 1 and len(models_b) == 1:
        pairs = [(models_a[0], models_b[0])]
    else:
        pairs = [(m, m) for m in models_a if m in models_b]
    out: list[MetricComparison] = []
    for ma, mb in pairs:
        scenarios_a = list(dict.fromkeys(r.scenario for r in a if r.model == ma))
        scenarios_b = {r.scenario for r in b if r.model == mb}
        for scenario in [s for s in scenarios_a if s in scenarios_b]:
            out += compare_records(
                [r for r in a if r.model == ma and r.scenario == scenario],
                [r for r in b if r.model == mb and r.scenario == scenario],
                model_a=ma,
                model_b=mb,
                scenario=scenario,
                method=method,
                seed=seed,
            )
    return out
