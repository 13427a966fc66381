"""Comparing runs (or the models of one run) scenario by scenario.

The first column (the first model of the first run) is the baseline. Each other column gets,
for each metric of the catalogue's `compare` view, the difference and whether it is larger than
the noise (`flperf.bench.comparison`: Welch's t-test over the per-request values behind the
metric). Runs whose workloads differ (suite content or load settings, by `workload_hash`) are
flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from flperf.bench.comparison import MetricDiff, diff_results
from flperf.bench.fingerprint import Fingerprint, comparability
from flperf.bench.records import RequestRecord, Status
from flperf.service.errors import InvalidInputError
from flperf.service.runs import RunService
from flperf.service.views import ResultView, RunView

MAX_RUNS = 10


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
    return run.hardware_info


def _model_facts(run: RunView, model_id: str) -> dict[str, Any]:
    """What the run's fingerprint recorded about one of its models ({} when nothing)."""
    info = run.hardware_info
    if info is None:
        return {}
    models = info.extra.get("models")
    facts = models.get(model_id) if isinstance(models, dict) else None
    if isinstance(facts, dict):
        return facts
    return info.model_dump() if run.model_ids == [model_id] else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def compare_runs(runs: RunService, run_ids: Sequence[str]) -> ComparisonView:
    """Compare the results of `run_ids` per scenario (raises NotFound / InvalidInput)."""
    ids = [r for r in run_ids if r]
    if not ids:
        raise InvalidInputError("runs", "give run ids separated by commas")
    if len(ids) > MAX_RUNS:
        raise InvalidInputError("runs", f"at most {MAX_RUNS} runs")
    views = [runs.get_run(run_id) for run_id in ids]  # an unknown one: NotFoundError
    if len(set(ids)) != len(ids):
        raise InvalidInputError("runs", "a run id appears twice")
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
                diffs = diff_results(base, result, base_records, mine)
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
            base_view.workload_hash or "",
            view.workload_hash or "",
            _fingerprint(base_view),
            _fingerprint(view),
        )
        checks.append(
            RunComparability(
                run_id=view.id,
                workload_hash=view.workload_hash or "",
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
