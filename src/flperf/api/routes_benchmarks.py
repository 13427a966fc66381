"""`/api/benchmarks`: suites, runs (start, follow, cancel, delete), results, exports, compare."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from flperf.api.deps import LogLimit, Offset, ServicesDep
from flperf.api.schemas import (
    BUSY,
    CONFLICT,
    ERRORS,
    RUN_IDS,
    UNAVAILABLE,
    LogsEnvelope,
    RequestsEnvelope,
    ResultsEnvelope,
    RunBody,
    RunsEnvelope,
    RunStarted,
    SamplesEnvelope,
    Success,
    SuitesEnvelope,
)
from flperf.bench.run_document import DocumentError, RunDocument
from flperf.report import registry as report_registry
from flperf.service.compare import ComparisonView, compare_runs
from flperf.service.errors import InvalidInputError
from flperf.service.views import RunDetail, RunStatusView, SuiteView

router = APIRouter(prefix="/benchmarks", tags=["benchmarks"], responses=ERRORS)

FilterText = Annotated[str | None, Query(max_length=300, pattern=r"^[^\x00]*$")]


def _text(name: str, value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise InvalidInputError(name, "must not contain NUL characters")
    return value


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/suites", response_model=SuitesEnvelope)
def list_suites(services: ServicesDep) -> SuitesEnvelope:
    """Benchmark suites: the built-in ones and those in `<data dir>/suites`."""
    return SuitesEnvelope(suites=[SuiteView.of(s) for s in services.runs.suites()])


@router.post("/run", response_model=RunStarted, responses={**UNAVAILABLE, **BUSY})
def start_run(body: RunBody, services: ServicesDep) -> RunStarted:
    """Validate and queue a run; it proceeds in the background (follow `/runs/{id}/status`)."""
    run_id = services.runs.start_run(
        body.modelIds, body.suiteName, body.config, selected_scenarios=body.selectedScenarios
    )
    return RunStarted(runId=run_id)


@router.get("/runs", response_model=RunsEnvelope)
def list_runs(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Runs per page")] = 100,
    offset: Offset = 0,
    machine: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[^\x00-\x1f]+$",
            description="Only runs measured on this machine (fleet mode)",
        ),
    ] = None,
) -> RunsEnvelope:
    """Runs, newest first (one page; `total` counts them all, of `machine` when given)."""
    page = services.runs.list_runs(limit, offset, machine)
    return RunsEnvelope(runs=page.runs, total=page.total, limit=limit, offset=offset)


@router.post(
    "/runs/import",
    response_model=RunStarted,
    status_code=201,
    responses=CONFLICT,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "A run document as `flperf bench --json` writes it (up to 512 MiB)",
        }
    },
)
async def import_run(request: Request, services: ServicesDep) -> RunStarted:
    """Store a finished run measured on another machine (`flperf bench --report-to URL`)."""
    try:
        document = RunDocument.parse(await request.body())
    except DocumentError as exc:
        raise InvalidInputError("", f"not a run document: {exc}") from None
    run_id = await run_in_threadpool(services.runs.import_document, document)
    return RunStarted(runId=run_id, message="Run stored")


@router.get("/runs/{run_id}", response_model=RunDetail)
def get_run(run_id: str, services: ServicesDep) -> RunDetail:
    """A run with its per-scenario results (`summary`: one result per model)."""
    return services.runs.detail(run_id)


@router.get("/runs/{run_id}/status", response_model=RunStatusView)
def run_status(run_id: str, services: ServicesDep) -> RunStatusView:
    """Status, progress (done/total), the model and scenario measured now, ETA."""
    return services.runs.status(run_id)


@router.post("/runs/{run_id}/cancel", response_model=RunStatusView, responses=CONFLICT)
def cancel_run(run_id: str, services: ServicesDep) -> RunStatusView:
    """Cancel a queued or running run; what was measured is kept."""
    return services.runs.cancel(run_id)


@router.delete("/runs/{run_id}", response_model=Success, responses=CONFLICT)
def delete_run(run_id: str, services: ServicesDep) -> Success:
    """Delete a run and everything it measured (409 while it runs)."""
    services.runs.delete(run_id)
    return Success()


@router.get("/runs/{run_id}/requests", response_model=RequestsEnvelope)
def run_requests(
    run_id: str,
    services: ServicesDep,
    model: FilterText = None,
    scenario: FilterText = None,
    status: Literal["ok", "error", "timeout", "cancelled"] | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Records per page")] = 100,
) -> RequestsEnvelope:
    """The run's per-request records, in index order, filtered and paged."""
    page = services.runs.requests(
        run_id,
        model=_text("model", model),
        scenario=_text("scenario", scenario),
        status=status,
        offset=offset,
        limit=limit,
    )
    return RequestsEnvelope(
        requests=[r.to_dict() for r in page.requests], total=page.total, offset=offset, limit=limit
    )


@router.get("/runs/{run_id}/samples", response_model=SamplesEnvelope)
def run_samples(run_id: str, services: ServicesDep) -> SamplesEnvelope:
    """Resource samples taken while the run measured (system, server process, GPU)."""
    return SamplesEnvelope(samples=services.runs.samples(run_id))


@router.get("/runs/{run_id}/logs", response_model=LogsEnvelope)
def run_logs(run_id: str, services: ServicesDep, limit: LogLimit = 100) -> LogsEnvelope:
    """The run's newest log records, newest first."""
    return LogsEnvelope(logs=services.runs.logs(run_id, limit))


def _export_route(fmt: str, summary: str) -> None:
    exporter = report_registry.exporter(fmt)

    def export(run_id: str, services: ServicesDep) -> Response:
        content = exporter.render_bytes(services.runs.document(run_id))
        return _download(content, exporter.media_type, f"{run_id}.{exporter.file_extension}")

    media = exporter.media_type.split(";")[0]
    router.add_api_route(
        f"/runs/{{run_id}}/export/{fmt}",
        export,
        methods=["GET"],
        response_class=Response,
        summary=summary,
        name=f"export_{fmt}",
        description="The same bytes as `flperf report RUN_ID`; every format renders the run "
        "document (results with each model's `*` row, every request, resource samples).",
        responses={200: {"content": {media: {}}, "description": f"{fmt} file"}},
    )


for _fmt, _summary in (
    ("json", "The run document: run, results, every request, samples"),
    ("csv", "One row per result (each model's `*` row included), every figure a column"),
    ("html", "Self-contained HTML report (charts included, no network needed)"),
    ("md", "Markdown summary"),
):
    _export_route(_fmt, _summary)


@router.get("/results", response_model=ResultsEnvelope)
def list_results(
    services: ServicesDep,
    runId: Annotated[str | None, Query(max_length=100)] = None,  # spec name
    modelId: Annotated[str | None, Query(max_length=100)] = None,  # spec name
    limit: Annotated[int, Query(ge=1, le=10_000, description="Results per page")] = 1000,
    offset: Offset = 0,
) -> ResultsEnvelope:
    """Per-scenario results, newest run first; filter by run and/or model."""
    if runId is not None:
        services.runs.get_run(runId)
    if modelId is not None:
        services.models.get(modelId, include_deleted=True)
    page = services.runs.results(runId, modelId, limit, offset)
    return ResultsEnvelope(results=page.results, total=page.total, limit=limit, offset=offset)


@router.get("/compare", response_model=ComparisonView)
def compare(
    services: ServicesDep,
    runs: Annotated[
        str,
        Query(
            max_length=1000,
            pattern=RUN_IDS,
            description="Two to ten run ids, comma-separated (or one run with several models)",
        ),
    ],
) -> ComparisonView:
    """Runs side by side per scenario: differences against the first, and their significance."""
    return compare_runs(services.runs, [r.strip() for r in runs.split(",")])
