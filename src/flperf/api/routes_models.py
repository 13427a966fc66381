"""`/api/models`: the catalog, configured models and their services."""

from __future__ import annotations

from fastapi import APIRouter

from flperf.api.deps import LogLimit, ServicesDep
from flperf.api.schemas import (
    CONFLICT,
    ERRORS,
    UNAVAILABLE,
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
def add_model(body: AddModelBody, services: ServicesDep) -> ModelEnvelope:
    """Configure a model (`provider: openai` needs `endpoint`)."""
    model: ModelView = services.models.add(
        body.alias, body.model_id, body.provider, body.endpoint, body.pid
    )
    return ModelEnvelope(model=model)


@router.delete("/{model_id}", response_model=Success)
def delete_model(model_id: str, services: ServicesDep) -> Success:
    """Remove a model (its service is stopped; its results are kept)."""
    services.models.delete(model_id)
    return Success()


@router.post("/{model_id}/start", responses=UNAVAILABLE, response_model=StartView)
def start_model(model_id: str, services: ServicesDep) -> StartView:
    """Start the model's service (foundry: a host process; openai: check it answers)."""
    return services.models.start(model_id)


@router.post("/{model_id}/stop", responses=UNAVAILABLE, response_model=Success)
def stop_model(model_id: str, services: ServicesDep) -> Success:
    """Stop the model's service."""
    services.models.stop(model_id)
    return Success()


@router.post("/{model_id}/load", responses=UNAVAILABLE, response_model=LoadView)
def load_model(model_id: str, services: ServicesDep) -> LoadView:
    """Make the model available locally; downloads run in the background (poll GET)."""
    return services.models.load(model_id)


@router.get("/{model_id}/load", response_model=LoadView)
def load_status(model_id: str, services: ServicesDep) -> LoadView:
    """Progress of the model's download."""
    return services.models.download_status(model_id)


@router.get("/{model_id}/health", response_model=HealthView)
def model_health(model_id: str, services: ServicesDep) -> HealthView:
    """Ask the service now: alive, model loaded, a one-token answer."""
    return services.models.health(model_id)


@router.get("/{model_id}/logs", response_model=LogsEnvelope)
def model_logs(model_id: str, services: ServicesDep, limit: LogLimit = 100) -> LogsEnvelope:
    """The newest log records of the model's service (host output included), newest first."""
    return LogsEnvelope(logs=services.models.logs(model_id, limit))


@router.post("/{model_id}/test", response_model=PromptTestView, responses=UNAVAILABLE)
def test_prompt(model_id: str, body: PromptTestBody, services: ServicesDep) -> PromptTestView:
    """Send one prompt (serving the model if needed); the reply with the engine's timings."""
    return run_prompt_test(services.models, model_id, body)
