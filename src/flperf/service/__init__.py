"""The service layer: the API, the CLI and the web UI are thin shells over these services.

`open_services(settings)` connects the database (migrating it), then `Services.start()`
recovers what a dead server left behind and starts the run worker and the host watcher;
`Services.close()` cancels runs and stops every host this server started.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from flperf.config import machine_name
from flperf.service.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ServiceError,
    UnavailableError,
)
from flperf.service.fleet import FleetMember
from flperf.service.logbook import Logbook
from flperf.service.model_cache import ModelCacheService
from flperf.service.models import ModelService
from flperf.service.providers import ProviderSet
from flperf.service.runs import RunService
from flperf.service.settings import Settings
from flperf.service.sweeps import SweepService
from flperf.service.system import SystemService
from flperf.store import Database

log = logging.getLogger(__name__)

__all__ = [
    "ConflictError",
    "InvalidInputError",
    "ModelCacheService",
    "ModelService",
    "NotFoundError",
    "RunService",
    "ServiceError",
    "Services",
    "Settings",
    "SweepService",
    "SystemService",
    "UnavailableError",
    "open_services",
]


@dataclass
class Services:
    """Every service of one server, sharing one database and one set of providers."""

    settings: Settings
    db: Database
    logbook: Logbook
    providers: ProviderSet
    models: ModelService
    runs: RunService
    system: SystemService
    cache: ModelCacheService
    sweeps: SweepService
    fleet: FleetMember
    _stop: threading.Event = field(default_factory=threading.Event)
    _watcher: threading.Thread | None = None
    _last_orphan_check: float = 0.0

    def start(self) -> None:
        """Join the fleet, recover what gone servers left, then start the run worker and the
        watcher (hosts, heartbeat, other servers' orphaned runs)."""
        url = f"http://{self.settings.host}:{self.settings.port}"
        self.fleet.join(url)
        self.models.recover_on_start()
        self.runs.recover_orphans()
        self.sweeps.recover_orphans()
        if self.settings.background:
            self.runs.start_worker()
            self._watcher = threading.Thread(
                target=self._watch, name="flperf-host-watcher", daemon=True
            )
            self._watcher.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.watch_interval_s):
            try:
                self.models.watch_once()
                self.fleet.beat_if_due()
                self._recover_orphans_if_due()
            except Exception:  # the watcher must outlive any one failure
                log.exception("watcher pass failed")

    def _recover_orphans_if_due(self) -> None:
        """Look for runs of servers that went away (fleet mode) a few times a minute."""
        now = time.monotonic()
        if now - self._last_orphan_check < min(5.0, self.settings.stale_after_s / 2):
            return
        self._last_orphan_check = now
        self.runs.recover_orphans()
        self.sweeps.recover_orphans()

    def close(self) -> None:
        """Clean shutdown: cancel runs (never `interrupted`), stop hosts, close the database."""
        self._stop.set()
        self.sweeps.close()
        self.runs.close()
        if self._watcher is not None:
            self._watcher.join(5.0)
        self.models.close()
        self.fleet.leave()
        self.db.dispose()


def open_services(settings: Settings) -> Services:
    """Connect (and migrate) the database and build the services; call `start()` next."""
    db = Database(settings.database_url, home=settings.home)
    db.migrate()
    logbook = Logbook(db)
    providers = ProviderSet(settings.home)
    fleet = FleetMember(
        db,
        settings.machine_name or machine_name(),
        str(settings.home.resolve()),
        heartbeat_s=settings.heartbeat_s,
        stale_after_s=settings.stale_after_s,
    )
    models = ModelService(db, providers, logbook, settings.host_start_timeout_s, fleet)
    runs = RunService(db, models, logbook, fleet, settings.max_queued_runs)
    system = SystemService(db, providers, runs)
    cache = ModelCacheService(db, providers, logbook)
    sweeps = SweepService(db, runs, logbook, fleet)
    return Services(settings, db, logbook, providers, models, runs, system, cache, sweeps, fleet)
