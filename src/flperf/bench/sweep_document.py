"""The sweep document: one typed description of a sweep, whoever ran it.

`flperf sweep --json` writes it (with every point's run document under `runs`), and the server's
`GET /api/benchmarks/sweeps/{id}` answers the same shape (points link to their stored runs
instead). Figures come from `flperf.bench.sweep`; nothing here computes one of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from pydantic import BaseModel, Field

from flperf.bench.run_config import RunConfig
from flperf.bench.run_document import RunDocument, RunState
from flperf.bench.sweep import SweepAnalysis, SweepSettings, analyse, pareto_optimal
from flperf.bench.sweep import SweepPoint as SweepPoint


class SweepInfo(BaseModel):
    """What was asked of a sweep and how it went. Timestamps are Unix seconds."""

    id: str = Field(description="`sweep_<hex>`")
    suite_name: str
    model_ids: list[str]
    model_aliases: list[str | None] = Field(description="Aliases in `model_ids` order")
    endpoint: str | None = Field(default=None, description="Server called (`flperf sweep`)")
    config: RunConfig = Field(description="Base settings of every point (its load replaced)")
    settings: SweepSettings
    status: RunState = Field(description="running, completed, failed, cancelled, interrupted")
    error: str | None = None
    current_run_id: str | None = Field(
        default=None, description="The point being measured (while running)"
    )
    created_at: int
    started_at: int | None = None
    completed_at: int | None = None


class ModelSweep(BaseModel):
    """One model's part of a sweep: its points and what they show."""

    model_id: str
    model_alias: str | None = None
    done: bool = Field(description="No more points will be measured for this model")
    stop_reason: str | None = Field(default=None, description="Why its sweep stopped")
    analysis: SweepAnalysis

    @classmethod
    def of(
        cls,
        model_id: str,
        alias: str | None,
        points: Sequence[SweepPoint],
        settings: SweepSettings,
        *,
        done: bool,
        stop_reason: str | None,
    ) -> ModelSweep:
        return cls(
            model_id=model_id,
            model_alias=alias,
            done=done,
            stop_reason=stop_reason,
            analysis=analyse(points, settings),
        )


class ParetoPoint(BaseModel):
    """A point on the throughput / p95 TTFT plane, and whether it is Pareto-optimal."""

    sweep_id: str
    model_id: str
    model_alias: str | None
    load: float
    axis: str
    run_id: str | None
    tps: float | None = Field(description="Output tokens/s")
    ttft_p95_ms: float | None
    passed: bool = Field(description="The point met every objective of its sweep")
    optimal: bool = Field(description="No other point has more throughput at lower p95 TTFT")


def pareto_points(sweeps: Sequence[tuple[SweepInfo, Sequence[ModelSweep]]]) -> list[ParetoPoint]:
    """Every completed point of the given sweeps, each marked optimal or not across them all."""
    rows = [
        (info, model, point)
        for info, models in sweeps
        for model in models
        for point in model.analysis.points
    ]
    optimal = pareto_optimal([(p.tps, p.ttft_p95_ms) for _, _, p in rows])
    return [
        ParetoPoint(
            sweep_id=info.id,
            model_id=model.model_id,
            model_alias=model.model_alias,
            load=point.load,
            axis=info.settings.axis,
            run_id=point.run_id,
            tps=point.tps,
            ttft_p95_ms=point.ttft_p95_ms,
            passed=point.passed,
            optimal=best,
        )
        for (info, model, point), best in zip(rows, optimal, strict=True)
    ]


class SweepDocument(BaseModel):
    """A sweep: what was asked, each model's points and findings, the Pareto front across them,
    and (from `flperf sweep`) the run document of every point."""

    sweep: SweepInfo
    models: list[ModelSweep]
    pareto: list[ParetoPoint] = Field(
        default_factory=list, description="Every point on the throughput / p95 TTFT plane"
    )
    runs: list[RunDocument] = Field(
        default_factory=list, description="Each point's run document (CLI documents only)"
    )

    @classmethod
    def build(
        cls,
        info: SweepInfo,
        models: Sequence[ModelSweep],
        runs: Sequence[RunDocument] = (),
    ) -> SweepDocument:
        return cls(
            sweep=info,
            models=list(models),
            pareto=pareto_points([(info, models)]),
            runs=list(runs),
        )

    def to_json(self) -> bytes:
        """The document as JSON bytes (indented, stable key order)."""
        data = self.model_dump(mode="json")
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
