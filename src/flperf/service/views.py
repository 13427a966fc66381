"""What the services hand out: typed views of models, runs, results and logs.

Field names and meanings follow spec/api.md (timestamps are Unix seconds, ids are strings);
fields beyond the spec are extensions that never change a documented one. The API, the CLI
and the web UI all show these, so none of them reshapes data on its own.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from flperf.bench.lifecycle import LifecycleRow, ModelLifecycle
from flperf.bench.run_config import RunConfig
from flperf.bench.run_document import (
    ProgressDetail,
    ResultEntry,
    RunInfo,
    RunState,
    SampleEntry,
)
from flperf.bench.workload import Message, Scenario, Suite
from flperf.store.tables import LogRow, ModelRow, ResultRow, RunRow, SampleRow

ModelStatus = Literal["stopped", "starting", "running", "error"]


def seconds(value: float | None) -> int | None:
    """A stored timestamp as whole Unix seconds."""
    return None if value is None else int(value)


class ModelView(BaseModel):
    """A configured model and the state of its service."""

    id: str = Field(description="Public id, `model_<hex>`")
    alias: str
    model_id: str = Field(description="Catalog id (foundry) or the name the server knows")
    provider: Literal["foundry", "openai"]
    endpoint: str | None = Field(description="Server root while running (foundry) or configured")
    port: int | None = None
    pid: int | None = Field(
        default=None, description="Process whose resources are attributed to this model"
    )
    status: ModelStatus
    last_error: str | None
    last_heartbeat: int | None = Field(description="Last time the service was seen alive")
    created_at: int
    updated_at: int
    lifecycle: ModelLifecycle | None = Field(
        default=None,
        description="Latest lifecycle facts: last load time, memory after it, last unload, "
        "download (None until the model was first started)",
    )

    @classmethod
    def of(cls, row: ModelRow) -> ModelView:
        return cls(
            id=row.id,
            alias=row.alias,
            model_id=row.model_id,
            provider=row.provider,
            endpoint=row.endpoint,
            port=row.port,
            pid=row.host_pid or row.pid,
            status=row.status,
            last_error=row.last_error,
            last_heartbeat=seconds(row.last_heartbeat),
            created_at=int(row.created_at),
            updated_at=int(row.updated_at),
            lifecycle=ModelLifecycle.model_validate(row.lifecycle) if row.lifecycle else None,
        )


class LogView(BaseModel):
    """One log record."""

    id: int
    entity_type: str = Field(description="`service` (a model), `run` or `system`")
    entity_id: str | None
    level: str
    message: str
    metadata: dict[str, Any] | None
    created_at: int

    @classmethod
    def of(cls, row: LogRow) -> LogView:
        return cls(
            id=row.id,
            entity_type=row.entity_type,
            entity_id=row.entity_id,
            level=row.level,
            message=row.message,
            metadata=row.meta,
            created_at=int(row.created_at),
        )


def _suite_version(row: RunRow) -> str | None:
    """The version in the run's suite snapshot (when the row has it loaded)."""
    if "suite" in row.__dict__ and isinstance(row.suite, dict):
        version = row.suite.get("version")
        return str(version) if version is not None else None
    return None


class RunView(RunInfo):
    """A benchmark run as the API lists it (`progress` live while it measures)."""

    server_id: str | None = Field(
        default=None, description="The server that owns it (fleet mode: several may share)"
    )

    @classmethod
    def of(
        cls,
        row: RunRow,
        detail: ProgressDetail | None = None,
        status: RunState | None = None,
    ) -> RunView:
        ids = [str(m) for m in row.model_ids]
        detail = detail or ProgressDetail(done=row.requests_done, total=row.requests_total)
        duration = row.duration_s
        if duration is None and row.started_at is not None and row.completed_at is not None:
            duration = max(0.0, row.completed_at - row.started_at)
        return cls(
            id=row.id,
            suite_name=row.suite_name,
            suite_version=_suite_version(row),
            endpoint=row.endpoint,
            machine=row.machine,
            server_id=row.server_id,
            model_ids=ids,
            model_aliases=[row.model_aliases.get(m) for m in ids],
            config=RunConfig.model_validate(row.config),
            hardware_info=row.hardware_info,
            status=status or RunState(row.status),
            error=row.error,
            created_at=int(row.created_at),
            started_at=seconds(row.started_at),
            completed_at=seconds(row.completed_at),
            duration_s=duration,
            scenarios=[str(name) for name in row.scenarios],
            workload_hash=row.workload_hash,
            sweep_id=row.sweep_id,
            lifecycle={
                str(k): ModelLifecycle.model_validate(v) for k, v in (row.lifecycle or {}).items()
            },
            progress=detail.percent,
            progress_detail=detail,
        )


class ResultView(ResultEntry):
    """Aggregates of one model on one scenario of a run (every field of `ResultMetrics`)."""

    id: str = Field(description="Public id, `result_<hex>`")
    run_id: str

    @classmethod
    def of(cls, row: ResultRow) -> ResultView:
        return cls.model_validate(
            {
                **row.metrics,
                "id": row.id,
                "run_id": row.run_id,
                "model_id": row.model_id,
                "model_alias": row.model_alias,
                "error": row.error,
            }
        )

    def entry(self) -> ResultEntry:
        """The result as a run document holds it (without the store's ids)."""
        return ResultEntry.model_validate(self.model_dump(exclude={"id", "run_id"}))


class RunDetail(BaseModel):
    """A run with its per-scenario results and per-model summaries (`scenario` = `*`)."""

    run: RunView
    results: list[ResultView]
    summary: list[ResultView] = Field(description="One result per model over all scenarios")
    lifecycle: list[LifecycleRow] = Field(
        default_factory=list,
        description="Per model: started for the run?, load time, memory after load, unload "
        "time, and first (cold only when loaded for the run) and warm TTFT",
    )


class CurrentView(BaseModel):
    model_id: str | None
    model_alias: str | None
    scenario: str | None


class RunStatusView(BaseModel):
    """What a client polls while a run is in progress."""

    id: str
    status: RunState
    progress: float = Field(description="Percent of planned requests done, 0-100")
    progress_detail: ProgressDetail = Field(description="Requests done, planned, ok and failed")
    current: CurrentView | None = Field(description="What is being measured now")
    eta_s: float | None = Field(description="Seconds left at the pace so far")
    started_at: int | None
    completed_at: int | None
    error: str | None
    worker_pid: int | None = Field(
        default=None, description="Process measuring the run (while it runs)"
    )


class SampleView(SampleEntry):
    """One resource sample; `t_ms` is on the run's time axis (as requests' `start_ms`)."""

    @classmethod
    def of(cls, row: SampleRow) -> SampleView:
        return cls.model_validate(row, from_attributes=True)


class HealthView(BaseModel):
    """A model service's health, checked now."""

    status: ModelStatus
    healthy: bool
    endpoint: str | None
    lastCheck: int
    detail: str | None = None
    latency_ms: float | None = None


class StartView(BaseModel):
    success: bool = True
    endpoint: str | None
    port: int | None


class LoadView(BaseModel):
    """State of making a model available locally (download when needed)."""

    success: bool = True
    state: Literal["ready", "downloading", "failed", "cancelled"]
    progress: float = Field(description="Download percent, 0-100")
    error: str | None = None


class BestTps(BaseModel):
    modelId: str
    tps: float
    alias: str | None = None
    runId: str | None = None
    scenario: str | None = None


class BestLatency(BaseModel):
    modelId: str
    p95: float
    alias: str | None = None
    runId: str | None = None
    scenario: str | None = None


class StatsView(BaseModel):
    """Dashboard figures; the best ones come only from completed, successful results."""

    totalModels: int
    runningServices: int
    totalRuns: int
    lastRun: RunView | None
    bestTpsModel: BestTps | None
    bestLatencyModel: BestLatency | None


class SystemHealthView(BaseModel):
    status: Literal["healthy", "degraded"]
    error: str | None = Field(
        default=None, description="Why the server is not healthy (None when it is)"
    )
    foundryLocal: Literal["available", "unavailable"]
    timestamp: int
    foundryLocalReason: str | None = None
    database: str = Field(description="`ok`, or what is wrong")
    publicCatalog: str | None = Field(
        default=None, description="fresh, stale, loading or unavailable"
    )
    version: str


class ScenarioView(BaseModel):
    """A scenario as the suites listing shows it: `prompt` always a string (for a scenario of
    messages, its last user message) and `messages` always the list sent."""

    name: str
    description: str
    prompt: str
    messages: list[Message]
    max_tokens: int
    expected_output_length: int | None
    expected_pattern: str | None

    @classmethod
    def of(cls, scenario: Scenario) -> ScenarioView:
        messages = [Message.model_validate(m) for m in scenario.chat_messages()]
        users = [m.content for m in messages if m.role == "user"]
        return cls(
            name=scenario.name,
            description=scenario.description,
            prompt=scenario.prompt if scenario.prompt is not None else (users or [""])[-1],
            messages=messages,
            max_tokens=scenario.max_tokens,
            expected_output_length=scenario.expected_output_length,
            expected_pattern=scenario.expected_pattern,
        )


class SuiteView(BaseModel):
    """A benchmark suite as listed (its scenarios in run order)."""

    name: str
    description: str
    version: str
    scenarios: list[ScenarioView]

    @classmethod
    def of(cls, suite: Suite) -> SuiteView:
        return cls(
            name=suite.name,
            description=suite.description,
            version=suite.version,
            scenarios=[ScenarioView.of(s) for s in suite.scenarios],
        )
