"""Comparing runs (or the models of one run) scenario by scenario.

The first column (the first model of the first run) is the baseline. Each other column gets,
per metric, the difference and whether it is larger than the noise: Welch's t-test
(`flperf.bench.stats.compare`) over the per-request values behind the metric. Runs whose
workloads differ (suite content or load settings, by `workload_hash`) are flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from flperf.bench.fingerprint import Fingerprint, comparability
from flperf.bench.records import RequestRecord, Status
from flperf.bench.stats import compare
from flperf.service.errors import InvalidInputError
from flperf.service.runs import RunService
from flperf.service.views import ResultView, RunView

MAX_RUNS = 10

# metric -> (per-request value tested for significance, higher is better)
METRICS: dict[str, tuple[str | None, bool]] = {
    "tps": ("gen_tps", True),
    "ttft": ("ttft_ms", False),
    "latency_p50": ("e2e_ms", False),
    "latency_p95": ("e2e_ms", False),
    "latency_p99": ("e2e_ms", False),
    "itl_p50": ("itl_ms", False),
    "error_rate": (None, False),
    "timeout_rate": (None, False),
}


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


class CompareEntry(BaseModel):
    run_id: str
    model_id: str
    model_alias: str | None
    device: str | None = Field(None, description="CPU, GPU or NPU, from the run's fingerprint")
    execution_provider: str | None = Field(None, description="From the run's fingerprint")
    result: ResultView
    diffs: list[MetricDiff] = Field(description="Empty for the baseline column")


class ScenarioComparison(BaseModel):
    scenario: str
    baseline: str = Field(description="`run_id/model_id` of the baseline column")
    entries: list[CompareEntry]


class RunComparability(BaseModel):
    run_id: str
    workload_hash: str
    comparable: bool = Field(description="Same workload as the baseline run")
    reason: str | None
    differences: list[str] = Field(description="Hardware or software that differs")


class ComparisonView(BaseModel):
    runs: list[RunView]
    comparable: bool = Field(description="Every run measured the same workload")
    comparability: list[RunComparability]
    method: str = "welch"
    scenarios: list[ScenarioComparison]


def _fingerprint(run: RunView) -> Fingerprint | None:
    if not run.hardware_info:
        return None
    try:
        return Fingerprint.model_validate(run.hardware_info)
    except ValidationError:
        return None


def _model_facts(run: RunView, model_id: str) -> dict[str, Any]:
    """What the run's fingerprint recorded about one of its models ({} when nothing)."""
    info = run.hardware_info or {}
    extra = info.get("extra")
    models = extra.get("models") if isinstance(extra, dict) else None
    facts = models.get(model_id) if isinstance(models, dict) else None
    if isinstance(facts, dict):
        return facts
    return info if run.model_ids == [model_id] else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _value(result: ResultView, metric: str) -> float | None:
    if metric == "itl_p50":
        return result.itl_ms.p50 if result.itl_ms is not None else None
    value = getattr(result, metric)
    return float(value) if value is not None else None


def _per_request(records: Sequence[RequestRecord], basis: str) -> list[float]:
    values = []
    for record in records:
        value = record.gen_tps if basis == "gen_tps" else getattr(record, basis)
        if value is not None:
            values.append(float(value))
    return values


def _diff(
    metric: str,
    base: ResultView,
    other: ResultView,
    base_records: Sequence[RequestRecord],
    other_records: Sequence[RequestRecord],
) -> MetricDiff:
    basis, higher = METRICS[metric]
    a, b = _value(base, metric), _value(other, metric)
    diff = b - a if a is not None and b is not None else None
    rel = diff / abs(a) * 100 if diff is not None and a else None
    better = None if diff is None or diff == 0 else (diff > 0) == higher
    verdict = significant = p_value = method = None
    if basis is not None:
        test = compare(_per_request(base_records, basis), _per_request(other_records, basis))
        verdict, significant, p_value, method = (
            test.verdict,
            test.significant if test.verdict != "insufficient data" else None,
            test.p_value,
            test.method,
        )
    return MetricDiff(
        metric=metric,
        baseline=a,
        value=b,
        diff=diff,
        rel_diff_pct=rel,
        higher_is_better=higher,
        better=better,
        basis=basis,
        verdict=verdict,
        significant=significant,
        p_value=p_value,
        method=method,
    )


def compare_runs(runs: RunService, run_ids: Sequence[str]) -> ComparisonView:
    """Compare the results of `run_ids` per scenario (raises NotFound / InvalidInput)."""
    ids = [r for r in run_ids if r]
    if not ids:
        raise InvalidInputError("runs", "give run ids separated by commas")
    if len(ids) > MAX_RUNS:
        raise InvalidInputError("runs", f"at most {MAX_RUNS} runs")
    if len(set(ids)) != len(ids):
        raise InvalidInputError("runs", "a run id appears twice")
    views = [runs.get_run(run_id) for run_id in ids]
    by_id = dict(zip(ids, views, strict=True))
    results = {run_id: runs.all_results(run_id) for run_id in ids}
    columns = [(run_id, m) for run_id, view in zip(ids, views, strict=True) for m in view.model_ids]
    if len(columns) < 2:
        raise InvalidInputError("runs", "give at least two runs, or one run with two models")
    records: dict[tuple[str, str, str], list[RequestRecord]] = {}
    for run_id in ids:
        for record in runs.records(run_id):
            if record.status is Status.OK and not record.warmup:
                records.setdefault((run_id, record.model, record.scenario), []).append(record)

    scenarios: list[str] = []
    for view in views:
        scenarios += [s for s in view.scenarios if s not in scenarios]
    comparisons = []
    for scenario in scenarios:
        found = []
        for run_id, model_id in columns:
            match = next(
                (r for r in results[run_id] if r.model_id == model_id and r.scenario == scenario),
                None,
            )
            if match is not None:
                found.append((run_id, model_id, match))
        if not found:
            continue
        base_run, base_model, base = found[0]
        base_records = records.get((base_run, base_model, scenario), [])
        entries = []
        for run_id, model_id, result in found:
            diffs = []
            if (run_id, model_id) != (base_run, base_model):
                mine = records.get((run_id, model_id, scenario), [])
                diffs = [_diff(m, base, result, base_records, mine) for m in METRICS]
            facts = _model_facts(by_id[run_id], model_id)
            entries.append(
                CompareEntry(
                    run_id=run_id,
                    model_id=model_id,
                    model_alias=result.model_alias,
                    device=_text(facts.get("device")),
                    execution_provider=_text(facts.get("execution_provider")),
                    result=result,
                    diffs=diffs,
                )
            )
        comparisons.append(
            ScenarioComparison(
                scenario=scenario, baseline=f"{base_run}/{base_model}", entries=entries
            )
        )

    base_view = views[0]
    checks = []
    for view in views:
        check = comparability(
            base_view.workload_hash, view.workload_hash, _fingerprint(base_view), _fingerprint(view)
        )
        checks.append(
            RunComparability(
                run_id=view.id,
                workload_hash=view.workload_hash,
                comparable=check.comparable,
                reason=check.reason,
                differences=check.differences,
            )
        )
    return ComparisonView(
        runs=views,
        comparable=all(c.comparable for c in checks),
        comparability=checks,
        scenarios=comparisons,
    )
