"""`/api/benchmarks/sweeps`: start, follow, cancel and delete sweeps; the Pareto front across them.

Each point of a sweep is an ordinary run (`run.sweep_id` names its sweep), so its results,
exports and comparisons are the runs routes'.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from flperf.api.deps import Offset, ServicesDep
from flperf.api.schemas import CONFLICT, ERRORS, UNAVAILABLE, ModelIdItem, Success
from flperf.bench.run_config import RunConfig
from flperf.bench.strict_json import StrictJsonModel
from flperf.bench.sweep import SweepSettings
from flperf.bench.sweep_document import ParetoPoint, SweepDocument
from flperf.bench.workload import list_suites
from flperf.report.sweep_markdown import MEDIA_TYPE, render_sweep_markdown

router = APIRouter(prefix="/benchmarks/sweeps", tags=["sweeps"], responses=ERRORS)

SWEEP_IDS = r"^sweep_[0-9a-f]{16}(,sweep_[0-9a-f]{16}){0,19}$"


class SweepBody(StrictJsonModel):
    """A sweep: which models, which suite, the base run settings and how loads are chosen."""

    modelIds: list[ModelIdItem] = Field(
        min_length=1,
        max_length=20,
        description="Swept in this order",
        json_schema_extra={"uniqueItems": True},
    )
    suiteName: str = Field(
        default="default",
        min_length=1,
        max_length=64,
        json_schema_extra=lambda schema: schema.update(enum=[s.name for s in list_suites()]),
    )
    config: RunConfig = Field(
        default_factory=RunConfig,
        description="Settings of every point; its load is replaced by the point's (SLOs here "
        "decide which points pass)",
    )
    sweep: SweepSettings


class SweepStarted(BaseModel):
    success: bool = True
    message: str = "Sweep started"
    sweepId: str
    runId: str = Field(description="The run of the first point")


class SweepsEnvelope(BaseModel):
    sweeps: list[SweepDocument]
    total: int = Field(description="Sweeps in all (the list is one page, newest first)")
    limit: int
    offset: int


class ParetoEnvelope(BaseModel):
    points: list[ParetoPoint] = Field(description="Every completed point of the sweeps asked")


@router.post("", response_model=SweepStarted, responses=UNAVAILABLE)
def start_sweep(body: SweepBody, services: ServicesDep) -> SweepStarted:
    """Validate and start a sweep; its points are queued one after another as runs."""
    sweep_id, run_id = services.sweeps.start_sweep(
        body.modelIds, body.suiteName, body.config, body.sweep
    )
    return SweepStarted(sweepId=sweep_id, runId=run_id)


@router.get("", response_model=SweepsEnvelope)
def list_sweeps(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Sweeps per page")] = 100,
    offset: Offset = 0,
) -> SweepsEnvelope:
    """Sweeps, newest first, each with its points and findings."""
    page = services.sweeps.list(limit, offset)
    return SweepsEnvelope(sweeps=page.sweeps, total=page.total, limit=limit, offset=offset)


@router.get("/pareto", response_model=ParetoEnvelope)
def pareto(
    services: ServicesDep,
    sweeps: Annotated[
        str,
        Query(
            max_length=1000,
            pattern=SWEEP_IDS,
            description="One to twenty sweep ids, comma-separated",
        ),
    ],
) -> ParetoEnvelope:
    """Points of several sweeps (any models) on the throughput / p95 TTFT plane, the
    Pareto-optimal ones marked across them all."""
    return ParetoEnvelope(points=services.sweeps.pareto([s.strip() for s in sweeps.split(",")]))


@router.get("/{sweep_id}", response_model=SweepDocument)
def get_sweep(sweep_id: str, services: ServicesDep) -> SweepDocument:
    """A sweep: each model's points (with their run ids), knee, capacity under SLO, why it
    stopped, and the Pareto front across its models."""
    return services.sweeps.get(sweep_id)


@router.get(
    "/{sweep_id}/export/md",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}}, "description": "Markdown file"}},
)
def export_markdown(sweep_id: str, services: ServicesDep) -> Response:
    """A Markdown summary: each model's points, knee and capacity under SLO, the Pareto
    front (the same text as `flperf sweep --markdown`)."""
    text = render_sweep_markdown(services.sweeps.get(sweep_id))
    return Response(
        text.encode("utf-8"),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{sweep_id}.md"'},
    )


@router.post("/{sweep_id}/cancel", response_model=SweepDocument, responses=CONFLICT)
def cancel_sweep(sweep_id: str, services: ServicesDep) -> SweepDocument:
    """Cancel the point being measured and queue no more (409 once the sweep ended)."""
    return services.sweeps.cancel(sweep_id)


@router.delete("/{sweep_id}", response_model=Success, responses=CONFLICT)
def delete_sweep(sweep_id: str, services: ServicesDep) -> Success:
    """Delete a sweep that ended and the runs of its points (409 while it runs)."""
    services.sweeps.delete(sweep_id)
    return Success()
