"""`/api/models`: the catalog, configured models and their services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from flperf.api.deps import LogLimit, ServicesDep
from flperf.api.schemas import (
    CONFLICT,
    ERRORS,
    UNAVAILABLE,
    UPSTREAM,
    AddModelBody,
    AvailableModels,
    LogsEnvelope,
    ModelEnvelope,
    ModelsEnvelope,
    Success,
)
from flperf.service.prompt_test import PromptTestBody, PromptTestView, run_prompt_test
from flperf.service.views import HealthView, LoadView, ModelView, StartView

router = APIRouter(prefix="/models", tags=["models"], responses=ERRORS)

ModelIdPath = Annotated[
    str, Path(max_length=100, description="The configured model's id (`model_<hex>`)")
]


@router.get("/available", response_model=AvailableModels)
def available_models(services: ServicesDep) -> AvailableModels:
    """Foundry Local's catalog (never waits for the network: public models come from a cache)."""
    listing = services.models.available()
    return AvailableModels(
        models=listing.models,
        groups=listing.groups,
        public_catalog=listing.public_catalog,
        public_catalog_age_s=listing.public_catalog_age_s,
        message=listing.message,
    )


@router.get("", response_model=ModelsEnvelope)
def list_models(services: ServicesDep) -> ModelsEnvelope:
    """Every configured model with the state of its service."""
    return ModelsEnvelope(models=services.models.list())


@router.post("", response_model=ModelEnvelope, status_code=201, responses=CONFLICT)
def add_model(body: Annotated[AddModelBody, Body()], services: ServicesDep) -> ModelEnvelope:
    """Configure a model (`provider: openai` needs `endpoint`)."""
    model: ModelView = services.models.add(
        body.alias, body.model_id, body.provider, body.endpoint, body.pid
    )
    return ModelEnvelope(model=model)


@router.delete("/{id}", response_model=Success)
def delete_model(id: ModelIdPath, services: ServicesDep) -> Success:
    """Remove a model (its service is stopped; its results are kept)."""
    services.models.delete(id)
    return Success()


@router.post("/{id}/start", responses={**UNAVAILABLE, **CONFLICT}, response_model=StartView)
def start_model(id: ModelIdPath, services: ServicesDep) -> StartView:
    """Start the model's service (foundry: a host process; openai: check it answers)."""
    return services.models.start(id)


@router.post("/{id}/stop", responses=UNAVAILABLE, response_model=Success)
def stop_model(id: ModelIdPath, services: ServicesDep) -> Success:
    """Stop the model's service."""
    services.models.stop(id)
    return Success()


@router.post("/{id}/load", responses={**UNAVAILABLE, **CONFLICT}, response_model=LoadView)
def load_model(id: ModelIdPath, services: ServicesDep) -> LoadView:
    """Make the model available locally; downloads run in the background (poll GET)."""
    return services.models.load(id)


@router.get("/{id}/load", response_model=LoadView)
def load_status(id: ModelIdPath, services: ServicesDep) -> LoadView:
    """Progress of the model's download."""
    return services.models.download_status(id)


@router.get("/{id}/health", response_model=HealthView)
def model_health(id: ModelIdPath, services: ServicesDep) -> HealthView:
    """Ask the service now: alive, model loaded, a one-token answer."""
    return services.models.health(id)


@router.get("/{id}/logs", response_model=LogsEnvelope)
def model_logs(id: ModelIdPath, services: ServicesDep, limit: LogLimit = 100) -> LogsEnvelope:
    """The newest log records of the model's service (host output included), newest first."""
    return LogsEnvelope(logs=services.models.logs(id, limit))


@router.post(
    "/{id}/test", response_model=PromptTestView, responses={**UNAVAILABLE, **UPSTREAM, **CONFLICT}
)
def test_prompt(id: ModelIdPath, body: PromptTestBody, services: ServicesDep) -> PromptTestView:
    """Send one prompt (serving the model if needed); the reply with the engine's timings."""
    return run_prompt_test(services.models, id, body)
