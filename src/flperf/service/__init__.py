"""The service layer: the API, the CLI and the web UI are thin shells over these services.

`open_services(settings)` connects the database (migrating it), then `Services.start()`
recovers what a dead server left behind and starts the run worker and the host watcher;
`Services.close()` cancels runs and stops every host this server started.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from flperf.service.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ServiceError,
    UnavailableError,
)
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
    _stop: threading.Event = field(default_factory=threading.Event)
    _watcher: threading.Thread | None = None

    def start(self) -> None:
        """Recover from a previous server's death, then start the run worker and host watcher."""
        self.models.recover_on_start()
        self.runs.recover_on_start()
        self.sweeps.recover_on_start()
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
            except Exception:  # the watcher must outlive any one failure
                log.exception("host watcher pass failed")

    def close(self) -> None:
        """Clean shutdown: cancel runs (never `interrupted`), stop hosts, close the database."""
        self._stop.set()
        self.sweeps.close()
        self.runs.close()
        if self._watcher is not None:
            self._watcher.join(5.0)
        self.models.close()
        self.db.dispose()


def open_services(settings: Settings) -> Services:
    """Connect (and migrate) the database and build the services; call `start()` next."""
    db = Database(settings.database_url, home=settings.home)
    db.migrate()
    logbook = Logbook(db)
    providers = ProviderSet(settings.home)
    models = ModelService(db, providers, logbook, settings.host_start_timeout_s)
    runs = RunService(db, models, logbook, settings.max_queued_runs)
    system = SystemService(db, providers, runs)
    cache = ModelCacheService(db, providers, logbook)
    sweeps = SweepService(db, runs, logbook)
    return Services(settings, db, logbook, providers, models, runs, system, cache, sweeps)
