"""Request bodies and response envelopes of the REST API (spec/api.md plus extensions)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flperf.bench.run_config import RunConfig
from flperf.bench.workload import Suite
from flperf.providers import CatalogModel
from flperf.providers.catalog_model import ModelGroup
from flperf.service.views import LogView, ModelView, ResultView, RunView, SampleView


class ErrorBody(BaseModel):
    error: str = Field(description="What went wrong, naming the field when input was bad")


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad request (names the field)"},
    404: {"model": ErrorBody, "description": "Unknown id"},
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "Not possible in the current state"}
}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "The model's server cannot be started or reached"}
}


class Success(BaseModel):
    success: bool = True


class AddModelBody(BaseModel):
    """A model to configure. `endpoint` (and optionally `pid`) only for `openai` models."""

    model_config = ConfigDict(extra="forbid")

    alias: str = Field(min_length=1, max_length=200, description="Your name for the model")
    model_id: str = Field(min_length=1, max_length=300, description="Catalog id or server name")
    provider: Literal["foundry", "openai"] = "foundry"
    endpoint: str | None = Field(
        default=None, max_length=2000, description="http(s) URL of an OpenAI-compatible server"
    )
    pid: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The server's process id (resources)"
    )


class ModelEnvelope(BaseModel):
    model: ModelView


class ModelsEnvelope(BaseModel):
    models: list[ModelView]


class AvailableModels(BaseModel):
    """Foundry Local catalog: local and demo models now, public ones from a background cache."""

    models: list[CatalogModel] = Field(description="One entry per model variant")
    groups: list[ModelGroup] = Field(
        default_factory=list, description="The variants of each model (alias), by device"
    )
    public_catalog: str = Field(description="fresh, stale, loading or unavailable")
    public_catalog_age_s: float | None = None
    message: str | None = None


class LogsEnvelope(BaseModel):
    logs: list[LogView]


class SuitesEnvelope(BaseModel):
    suites: list[Suite]


class RunBody(BaseModel):
    """A benchmark run: which models, which suite, how (`config.timeout` in ms)."""

    model_config = ConfigDict(extra="forbid")

    modelIds: list[str] = Field(min_length=1, max_length=20)
    suiteName: str = Field(default="default", min_length=1, max_length=64)
    config: RunConfig = Field(default_factory=RunConfig)


class RunStarted(BaseModel):
    success: bool = True
    message: str = "Benchmark started"
    runId: str


class RunsEnvelope(BaseModel):
    runs: list[RunView]
    total: int = Field(description="Runs in all (the list is one page, newest first)")
    limit: int
    offset: int


class ResultsEnvelope(BaseModel):
    results: list[ResultView]
    total: int
    limit: int
    offset: int


class RequestsEnvelope(BaseModel):
    requests: list[dict[str, Any]] = Field(description="Per-request records (index order)")
    total: int = Field(description="Records matching the filters")
    offset: int
    limit: int


class SamplesEnvelope(BaseModel):
    samples: list[SampleView]
