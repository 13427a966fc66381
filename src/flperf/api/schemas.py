"""Request bodies and response envelopes of the REST API (spec/api.md plus extensions)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from flperf.bench.run_config import RunConfig
from flperf.bench.strict_json import StrictJsonModel
from flperf.bench.workload import list_suites
from flperf.providers import CatalogModel
from flperf.providers.catalog_model import ModelGroup
from flperf.service.model_input import HTTP_URL, MAX_ALIAS, MAX_ENDPOINT, MAX_MODEL_ID, PLAIN_TEXT
from flperf.service.views import LogView, ModelView, ResultView, RunView, SampleView, SuiteView


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
BUSY: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "Too many runs queued; retry later"}
}
UPSTREAM: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorBody, "description": "The model's server failed the request"}
}


class Success(BaseModel):
    success: bool = True


Alias = Annotated[
    str,
    Field(min_length=1, max_length=MAX_ALIAS, pattern=PLAIN_TEXT, description="Your name for it"),
]
CatalogId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_MODEL_ID,
        pattern=PLAIN_TEXT,
        description="Catalog id (foundry) or the name the server knows (openai)",
    ),
]


class FoundryModelBody(StrictJsonModel):
    """A Foundry Local model (spec/api.md's body): a host process serves it when started."""

    alias: Alias
    model_id: CatalogId
    provider: Literal["foundry"] = "foundry"
    endpoint: None = Field(default=None, description="Not for foundry models (started here)")
    pid: None = Field(default=None, description="Not for foundry models (tracked here)")


class OpenAIModelBody(StrictJsonModel):
    """A model of an OpenAI-compatible server you run (Ollama, llama.cpp, vLLM, LM Studio...)."""

    alias: Alias
    model_id: CatalogId
    provider: Literal["openai"]
    endpoint: str = Field(
        max_length=MAX_ENDPOINT,
        pattern=HTTP_URL,
        description="http(s) URL of the server, e.g. http://127.0.0.1:11434",
    )
    pid: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The server's process id (resources)"
    )


def _provider_of(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("provider") or "foundry")
    return str(getattr(body, "provider", "foundry"))


AddModelBody = Annotated[
    Annotated[FoundryModelBody, Tag("foundry")] | Annotated[OpenAIModelBody, Tag("openai")],
    Discriminator(_provider_of),
]
"""A model to configure: `provider` (default foundry) says which fields it takes."""


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
    suites: list[SuiteView]


def _published_run_body(schema: dict[str, Any]) -> None:
    """Names the server knows (suites, scenarios) and that the scenario selection is given
    once: as `selectedScenarios` (the original web client) or as `config.scenarios`."""
    properties = schema.setdefault("properties", {})
    suites = [s.name for s in list_suites()]
    if suites:
        properties["suiteName"]["enum"] = suites
    scenarios = sorted({sc.name for s in list_suites() for sc in s.scenarios})
    for branch in properties["selectedScenarios"].get("anyOf", []):
        if branch.get("type") == "array" and scenarios:
            branch["items"] = {"type": "string", "enum": scenarios}
    schema["not"] = {
        "required": ["selectedScenarios", "config"],
        "properties": {
            "selectedScenarios": {"type": "array"},
            "config": {"required": ["scenarios"], "properties": {"scenarios": {"type": "array"}}},
        },
    }


RUN_IDS = r"^run_[0-9a-f]{16}(,run_[0-9a-f]{16}){0,9}$"
"""One to ten run ids, comma-separated (the `runs` of a comparison)."""

ModelIdItem = Annotated[
    str, Field(pattern=r"^model_[0-9a-f]{16}$", description="A configured model's id")
]


class RunBody(StrictJsonModel):
    """A benchmark run: which models, which suite, how (`config.timeout` in ms)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_published_run_body)

    modelIds: list[ModelIdItem] = Field(
        min_length=1, max_length=20, json_schema_extra={"uniqueItems": True}
    )
    suiteName: str = Field(default="default", min_length=1, max_length=64)
    selectedScenarios: list[str] | None = Field(
        default=None,
        min_length=1,
        json_schema_extra={"uniqueItems": True},
        description="The original web client's scenario selection: the same as "
        "`config.scenarios` (give one of them)",
    )
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
