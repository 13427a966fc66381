"""SystemService: is the server healthy, and the figures of the dashboard."""

from __future__ import annotations

import threading
import time

from flperf import __version__
from flperf.providers import ProviderError
from flperf.service.providers import ProviderSet
from flperf.service.runs import RunService
from flperf.service.views import (
    BestLatency,
    BestTps,
    StatsView,
    SystemHealthView,
)
from flperf.store import Database
from flperf.store.health_repo import ping
from flperf.store.models_repo import count_models
from flperf.store.runs_repo import best_latency, best_tps, count_runs, last_run

FOUNDRY_CHECK_TTL_S = 30.0


class SystemService:
    """Health of the server and its dependencies; dashboard statistics (SQL aggregates)."""

    def __init__(self, db: Database, providers: ProviderSet, runs: RunService) -> None:
        self._db = db
        self._providers = providers
        self._runs = runs
        self._lock = threading.Lock()
        self._foundry: tuple[float, str | None] | None = None  # (checked at, reason or None)

    def foundry_local(self) -> str | None:
        """None when the Foundry Local SDK imports and its runtime initialises, else why not."""
        with self._lock:
            cached = self._foundry
            if cached is not None and time.monotonic() - cached[0] < FOUNDRY_CHECK_TTL_S:
                return cached[1]
            try:
                self._providers.foundry.runtime  # noqa: B018 - opening it is the check
                reason = None
            except ProviderError as exc:
                reason = str(exc)
            except Exception as exc:  # the native runtime may fail in its own ways
                reason = f"{type(exc).__name__}: {exc}"
            self._foundry = (time.monotonic(), reason)
            return reason

    def health(self) -> SystemHealthView:
        """Overall health: the database answers; whether Foundry Local is usable here."""
        try:
            with self._db.read() as session:
                ping(session)
            database = "ok"
        except Exception as exc:
            database = f"{type(exc).__name__}: {exc}"
        reason = self.foundry_local()
        catalog = None
        if reason is None:
            try:
                catalog = self._providers.foundry.public_catalog.snapshot().state
            except Exception:
                catalog = "unavailable"
        return SystemHealthView(
            status="healthy" if database == "ok" else "degraded",
            error=None if database == "ok" else f"the database does not answer: {database}",
            foundryLocal="available" if reason is None else "unavailable",
            foundryLocalReason=reason,
            timestamp=int(time.time()),
            database=database,
            publicCatalog=catalog,
            version=__version__,
        )

    def stats(self) -> StatsView:
        """Counts, the last run, and the best throughput / p95 latency of completed runs."""
        with self._db.read() as session:
            models = count_models(session)
            running = count_models(session, "running")
            total_runs = count_runs(session)
            last = last_run(session)
            tps = best_tps(session)
            latency = best_latency(session)
        return StatsView(
            totalModels=models,
            runningServices=running,
            totalRuns=total_runs,
            lastRun=self._runs.get_run(last.id) if last is not None else None,
            bestTpsModel=BestTps(
                modelId=tps.model_id,
                tps=tps.tps,
                alias=tps.model_alias,
                runId=tps.run_id,
                scenario=tps.scenario,
            )
            if tps is not None and tps.tps is not None
            else None,
            bestLatencyModel=BestLatency(
                modelId=latency.model_id,
                p95=latency.latency_p95,
                alias=latency.model_alias,
                runId=latency.run_id,
                scenario=latency.scenario,
            )
            if latency is not None and latency.latency_p95 is not None
            else None,
        )
