"""`/api/system`: health and dashboard statistics."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from flperf.api.deps import ServicesDep
from flperf.service.views import StatsView, SystemHealthView

router = APIRouter(prefix="/system", tags=["system"])


@router.get("/health", response_model=SystemHealthView)
def system_health(services: ServicesDep) -> SystemHealthView:
    """The server, its database, and whether Foundry Local is usable here."""
    return services.system.health()


class ServerItem(BaseModel):
    """A `flperf serve` that uses (or used) this database."""

    id: str
    machine: str = Field(description="Its machine's name (FLPERF_MACHINE_NAME or host name)")
    hostname: str
    pid: int
    url: str | None
    started_at: int
    heartbeat_at: int = Field(description="Last time it said it was alive")
    stopped_at: int | None
    alive: bool = Field(description="Its heartbeat is fresh and it did not stop")
    current: bool = Field(description="The server answering this request")


class MachineItem(BaseModel):
    name: str
    runs: int = Field(description="Runs measured on it")
    servers_alive: int


class FleetView(BaseModel):
    """The servers sharing this database and the machines runs were measured on."""

    servers: list[ServerItem]
    machines: list[MachineItem]


@router.get("/servers", response_model=FleetView)
def fleet(services: ServicesDep) -> FleetView:
    """Fleet mode: every server on this database (alive or not) and each machine's runs."""
    servers = services.fleet.servers()
    alive: dict[str, int] = {}
    for server in servers:
        alive[server.machine] = alive.get(server.machine, 0) + int(server.alive)
    counts = dict(services.runs.machines())
    names = list(dict.fromkeys([*counts, *alive]))
    return FleetView(
        servers=[
            ServerItem(
                id=s.id,
                machine=s.machine,
                hostname=s.hostname,
                pid=s.pid,
                url=s.url,
                started_at=int(s.started_at),
                heartbeat_at=int(s.heartbeat_at),
                stopped_at=int(s.stopped_at) if s.stopped_at is not None else None,
                alive=s.alive,
                current=s.current,
            )
            for s in servers
        ],
        machines=[
            MachineItem(name=n, runs=counts.get(n, 0), servers_alive=alive.get(n, 0)) for n in names
        ],
    )


@router.get("/stats", response_model=StatsView)
def system_stats(services: ServicesDep) -> StatsView:
    """Dashboard figures; best throughput and p95 only from completed, successful results."""
    return services.system.stats()
