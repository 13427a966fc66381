"""`/api/cache`: Foundry Local's model cache folder (shown, switched) and the models in it.

The routes and field names are those of the original FLPerformance web client's Cache page.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from flperf.api.deps import ServicesDep
from flperf.api.schemas import CONFLICT, ERRORS, UNAVAILABLE
from flperf.bench.strict_json import StrictJsonModel
from flperf.service.model_cache import CacheLocationView, CacheModelsView, CacheSwitchView

router = APIRouter(prefix="/cache", tags=["cache"], responses=ERRORS)


class CacheSwitchBody(StrictJsonModel):
    """The folder to keep Foundry Local's models in, or `"default"`."""

    path: str = Field(
        min_length=1,
        max_length=4096,
        description="An absolute folder (or one starting with ~), created when missing and "
        'writable; `"default"` goes back to `<data folder>/foundry/models`',
    )


@router.get("/location", response_model=CacheLocationView)
def cache_location(services: ServicesDep) -> CacheLocationView:
    """The model cache folder in use, the default one, and whether they are the same."""
    return services.cache.location()


@router.post("/switch", response_model=CacheSwitchView, responses={**CONFLICT, **UNAVAILABLE})
def switch_cache(body: CacheSwitchBody, services: ServicesDep) -> CacheSwitchView:
    """Keep Foundry Local's models in another folder (persisted; hosts started later use it).

    400 names what is wrong with the folder; 409 while Foundry models are served, starting or
    downloading, or a run with Foundry models is queued or running.
    """
    return services.cache.switch(body.path)


@router.get("/models", response_model=CacheModelsView)
def cache_models(services: ServicesDep) -> CacheModelsView:
    """The models in the folder in use: registered folders and the demo model, then the
    public-catalog models downloaded there."""
    return services.cache.models()
