"""`/api/system`: health and dashboard statistics."""

from __future__ import annotations

from fastapi import APIRouter

from flperf.api.deps import ServicesDep
from flperf.service.views import StatsView, SystemHealthView

router = APIRouter(prefix="/system", tags=["system"])


@router.get("/health", response_model=SystemHealthView)
def system_health(services: ServicesDep) -> SystemHealthView:
    """The server, its database, and whether Foundry Local is usable here."""
    return services.system.health()


@router.get("/stats", response_model=StatsView)
def system_stats(services: ServicesDep) -> StatsView:
    """Dashboard figures; best throughput and p95 only from completed, successful results."""
    return services.system.stats()
