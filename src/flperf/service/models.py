"""ModelService: configured models and their services (start, stop, load, health, logs).

Every model is reached through its provider (`flperf.providers.Provider`). A provider that
owns its server (`foundry`: a host process this server starts) has its process watched and its
output stored; otherwise (`openai`: a server the user runs) start and stop only check it.
Status moves stopped -> starting -> running, or -> error with `last_error`; an owned server
that dies (even by SIGKILL) is noticed by the health check and by `watch_once` (run every
second by the server) and becomes `error`.
"""

from __future__ import annotations

import builtins
import threading
import time
from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit

from flperf.bench.lifecycle import ModelLifecycle
from flperf.bench.runner import Target
from flperf.providers import (
    CatalogListing,
    EndpointUnreachableError,
    ModelFolderError,
    ModelNotDownloadedError,
    ModelNotFoundError,
    ModelTarget,
    Preparation,
    Provider,
    ProviderError,
    ProviderUnavailableError,
    ServedModel,
    ServerProcess,
    ServerStartError,
    UnknownProviderError,
    provider_class,
)
from flperf.providers.openai import normalize_base_url
from flperf.service.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from flperf.service.fleet import FleetMember
from flperf.service.logbook import Logbook
from flperf.service.model_input import check_new_model
from flperf.service.providers import ProviderSet
from flperf.service.views import HealthView, LoadView, LogView, ModelView, StartView
from flperf.store import Database, ModelRow, new_id
from flperf.store.logs_repo import add_log, list_logs
from flperf.store.models_repo import find_by_alias, get_model, list_models, with_status
from flperf.store.servers_repo import gone_server_ids

HEARTBEAT_EVERY_S = 5.0
_NOT_READY_KINDS = {"not_downloaded", "invalid_model_folder"}


def _root(base_url: str) -> str:
    return normalize_base_url(base_url)


class ModelService:
    """Everything the API, CLI and web UI do with configured models."""

    def __init__(
        self,
        db: Database,
        providers: ProviderSet,
        logbook: Logbook,
        start_timeout_s: float = 120.0,
        fleet: FleetMember | None = None,
    ) -> None:
        self._db = db
        self._providers = providers
        self._logbook = logbook
        self._fleet = fleet
        self._start_timeout_s = start_timeout_s
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._heartbeats: dict[str, float] = {}

    # -- reading -------------------------------------------------------------------------

    def list(self) -> builtins.list[ModelView]:
        """Every configured model (deleted ones excluded), oldest first."""
        with self._db.read() as session:
            return [ModelView.of(row) for row in list_models(session)]

    def get(self, model_id: str, include_deleted: bool = False) -> ModelView:
        """One model (raises `NotFoundError`); deleted ones only when asked."""
        return ModelView.of(self._row(model_id, include_deleted))

    def _row(self, model_id: str, include_deleted: bool = False) -> ModelRow:
        with self._db.read() as session:
            row = get_model(session, model_id, include_deleted)
        if row is None:
            raise NotFoundError(f"model {model_id!r} not found")
        return row

    def logs(self, model_id: str, limit: int = 100) -> builtins.list[LogView]:
        """The newest `limit` log records of the model's service, newest first."""
        self._row(model_id)
        with self._db.read() as session:
            return [LogView.of(r) for r in list_logs(session, "service", model_id, limit)]

    def fingerprint_facts(self, model_id: str) -> dict[str, Any]:
        """What a run records about a model: exact variant, execution provider, files on disk."""
        row = self._row(model_id, include_deleted=True)
        facts: dict[str, Any] = {
            "alias": row.alias,
            "provider": row.provider,
            "model_variant_id": row.model_id,
        }
        try:
            facts.update(self._providers.get(row.provider).run_facts(self._target(row)))
        except Exception as exc:  # the catalog may be unreachable; the run still goes on
            facts["detail"] = f"catalog lookup failed: {exc}"
        return facts

    def available(self) -> CatalogListing:
        """Foundry Local's catalog: local and demo models now, public ones from the cache."""
        try:
            return self._providers.foundry.list_models()
        except Exception as exc:  # the SDK or its native runtime may fail in many ways
            return CatalogListing(
                models=[], public_catalog="unavailable", message=f"Foundry Local: {exc}"
            )

    # -- configuring ---------------------------------------------------------------------

    def add(
        self,
        alias: str,
        model_id: str,
        provider: str = "foundry",
        endpoint: str | None = None,
        pid: int | None = None,
    ) -> ModelView:
        """Configure a model; `endpoint` (http(s) URL) is required for `openai` models."""
        fields = check_new_model(alias, model_id, provider, endpoint, pid, ProviderSet.names())
        now = time.time()
        with self._db.write() as session:
            if find_by_alias(session, fields.alias) is not None:
                raise ConflictError(f"a model with alias {fields.alias!r} already exists")
            row = ModelRow(
                id=new_id("model"),
                alias=fields.alias,
                model_id=fields.model_id,
                provider=fields.provider,
                endpoint=fields.endpoint,
                port=urlsplit(fields.endpoint).port if fields.endpoint else None,
                pid=fields.pid,
                status="stopped",
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            add_log(session, "service", row.id, "info", f"Model {row.alias} added", None, now)
        return ModelView.of(row)

    def delete(self, model_id: str) -> None:
        """Remove a model from the list; its service is stopped, its results are kept."""
        row = self._row(model_id)
        if self._server_of(row) is not None:
            self.stop(model_id)
        with self._db.write() as session:
            current = get_model(session, model_id)
            if current is None:
                raise NotFoundError(f"model {model_id!r} not found")
            current.deleted_at = current.updated_at = time.time()
            current.status = "stopped"
            add_log(session, "service", model_id, "info", "Model deleted (results are kept)")

    # -- serving -------------------------------------------------------------------------

    def _lock(self, model_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(model_id, threading.Lock())

    @staticmethod
    def _target(row: ModelRow) -> ModelTarget:
        return ModelTarget(
            provider=row.provider, model_id=row.model_id, endpoint=row.endpoint, pid=row.pid
        )

    def _update(self, model_id: str, **values: Any) -> ModelRow:
        """Change a model's row; `updated_at` moves unless only the heartbeat changes."""
        with self._db.write() as session:
            row = get_model(session, model_id, include_deleted=True)
            if row is None:
                raise NotFoundError(f"model {model_id!r} not found")
            for key, value in values.items():
                setattr(row, key, value)
            if set(values) != {"last_heartbeat"}:
                row.updated_at = time.time()
            return row

    def start(self, model_id: str) -> StartView:
        """Start the model's service (foundry: a host process) and say where it answers."""
        row = self._row(model_id)
        with self._lock(model_id):
            self._start_locked(row, reason="Starting service")
        row = self._row(model_id)
        return StartView(endpoint=row.endpoint, port=row.port)

    def _start_locked(self, row: ModelRow, reason: str) -> ServedModel:
        provider = self._providers.get(row.provider)
        self._update(row.id, status="starting", last_error=None, server_id=self._server_id)
        self._logbook.service(row.id, "info", f"{reason}: {row.model_id} ({row.provider})")
        try:
            served = provider.start(self._target(row), timeout_s=self._start_timeout_s)
        except Exception as exc:
            message = _start_failure(exc)
            self._update(row.id, status="error", last_error=message, host_pid=None)
            if isinstance(exc, ServerStartError):
                for line in exc.log_tail:
                    self._logbook.service(row.id, "info", line)
            self._logbook.service(row.id, "error", f"Service failed to start: {message}")
            raise _start_error(exc, message) from exc
        now = time.time()
        root = _root(served.base_url)
        self._remember(row.id, served.lifecycle)
        if provider.owns_server:
            self._copy_server_logs(row, provider)
            self._update(
                row.id,
                status="running",
                endpoint=root,
                port=urlsplit(root).port,
                host_pid=served.pid,
                last_heartbeat=now,
                last_error=None,
            )
        else:
            self._update(row.id, status="running", last_heartbeat=now, last_error=None)
        self._heartbeats[row.id] = now
        self._logbook.service(row.id, "info", f"Service started on {root}", pid=served.pid)
        return served

    def stop(self, model_id: str) -> ModelLifecycle | None:
        """Stop the model's service (openai: nothing to stop, the status becomes stopped); what
        its provider tells of the server just stopped (its load and unload), None when nothing
        was stopped."""
        row = self._row(model_id)
        with self._lock(model_id):
            provider = self._providers.get(row.provider)
            try:
                stopped = provider.stop(self._target(row))
            except ProviderError as exc:
                raise UnavailableError(f"could not stop {row.alias}: {exc}") from exc
            self._remember(model_id, stopped)
            if provider.owns_server:
                self._copy_server_logs(row, provider)
                self._update(model_id, status="stopped", endpoint=None, port=None, host_pid=None)
            else:
                self._update(model_id, status="stopped")
        self._logbook.service(model_id, "info", "Service stopped")
        return stopped

    def _remember(self, model_id: str, facts: ModelLifecycle | None) -> ModelLifecycle | None:
        """Merge new lifecycle facts into the model's latest ones; the result."""
        if facts is None:
            return None
        with self._db.write() as session:
            row = get_model(session, model_id, include_deleted=True)
            if row is None:
                return None
            merged = _lifecycle_of(row).merged(facts.without_run_flags())
            row.lifecycle = merged.model_dump(mode="json")
        return merged

    def lifecycle_now(self, model_id: str) -> ModelLifecycle:
        """What the model's provider tells now (an Ollama server: whether the model is loaded
        and its memory), also merged into the model's latest facts."""
        row = self._row(model_id, include_deleted=True)
        facts = self._providers.get(row.provider).lifecycle(self._target(row))
        self._remember(model_id, facts)
        return facts

    def _remember_download(self, row: ModelRow, provider: Provider) -> None:
        """Keep the time and size of a download the provider finished."""
        facts = provider.lifecycle(self._target(row))
        if facts.download_ms is not None:
            self._remember(
                row.id,
                ModelLifecycle(
                    download_ms=facts.download_ms,
                    download_mb=facts.download_mb,
                    downloaded_at=facts.downloaded_at,
                ),
            )

    def load(self, model_id: str) -> LoadView:
        """Make the model available locally: foundry downloads it when needed (in the
        background; poll `download_status`), openai checks the endpoint answers."""
        row = self._row(model_id)
        provider = self._providers.get(row.provider)
        try:
            preparation = provider.prepare(self._target(row))
        except ProviderError as exc:
            raise _start_error(exc, f"{row.alias}: {exc}") from exc
        self._logbook.service(model_id, "info", f"Load requested for {row.model_id}")
        if preparation.state == "ready":
            self._remember_download(row, provider)
        return _load_view(preparation)

    def download_status(self, model_id: str) -> LoadView:
        """Progress of the model's download (`ready` when nothing is left to fetch)."""
        row = self._row(model_id)
        provider = self._providers.started(row.provider)  # none made yet: nothing downloads
        if provider is None:
            return LoadView(state="ready", progress=100.0)
        preparation = provider.prepare_status(self._target(row))
        if preparation.state == "ready":
            self._remember_download(row, provider)
        return _load_view(preparation)

    def health(self, model_id: str) -> HealthView:
        """Ask the service now (alive, model loaded, a one-token answer)."""
        row = self._row(model_id)
        provider = self._providers.get(row.provider)
        if provider.owns_server and provider.server(self._target(row)) is None:
            if row.status in ("running", "starting"):
                row = self._mark_dead(row, "host process is not running")
            return HealthView(
                status=row.status,
                healthy=False,
                endpoint=row.endpoint,
                lastCheck=int(time.time()),
                detail="not started",
            )
        report = provider.health(self._target(row))
        now = time.time()
        if report.ok:
            values: dict[str, Any] = {"last_heartbeat": now}
            if not provider.owns_server and row.status == "error":
                values.update(status="running", last_error=None)
            row = self._update(model_id, **values)
        elif row.status in ("running", "starting") and not report.alive:
            row = self._mark_dead(row, report.detail or "service does not answer")
        return HealthView(
            status=row.status,
            healthy=report.ok,
            endpoint=row.endpoint,
            lastCheck=int(now),
            detail=report.detail,
            latency_ms=report.latency_ms,
        )

    def _mark_dead(self, row: ModelRow, reason: str) -> ModelRow:
        updated = self._update(row.id, status="error", last_error=reason, host_pid=None)
        self._logbook.service(row.id, "error", f"Service died: {reason}")
        return updated

    # -- for runs ------------------------------------------------------------------------

    def ensure_serving(self, model_id: str, purpose: str) -> tuple[Target, bool]:
        """A benchmark target for the model, starting its service when needed.

        `purpose` says what for in the logs (e.g. `run run_1a2b...`).

        Returns the target and whether this call started the service (the caller stops it
        after measuring). The target's `lifecycle` holds the model's load facts, with whether
        this call started (`started_for_run`) and loaded (`cold_start`) it. Raises
        `NotFoundError` / `UnavailableError` / `InvalidInputError`.
        """
        row = self._row(model_id)
        with self._lock(model_id):
            row = self._row(model_id)
            started = False
            provider = self._providers.get(row.provider)
            server = provider.server(self._target(row)) if provider.owns_server else None
            if server is not None and server.alive:
                served = server.served
            elif provider.owns_server:
                served = self._start_locked(row, reason=f"Starting service for {purpose}")
                started = True
            else:  # the user's server: check it answers (status and logs say what happened)
                served = self._start_locked(row, reason=f"Checking the service for {purpose}")
        facts = served.lifecycle or ModelLifecycle()
        if provider.owns_server:  # a host started now loads the model now; a running one did
            facts = facts.model_copy(update={"started_for_run": started, "cold_start": started})
            if not started:  # its unload (if any) belongs to another cycle, not to this run
                facts = facts.model_copy(update={"unload_ms": None, "stop_ms": None}).with_reason(
                    "unload", "running before the run, and left running after it"
                )
        else:  # the user's server: only it can tell whether it holds the model already
            facts = facts.model_copy(update={"started_for_run": False})
        target = Target(
            name=row.id,
            endpoint=served.base_url,
            served_model=served.model,
            pid=served.pid,
            lifecycle=facts,
        )
        return target, started

    # -- watching ------------------------------------------------------------------------

    def _server_of(self, row: ModelRow) -> ServerProcess | None:
        """The server process this server's provider started for the model (never makes a
        provider: none made means none started)."""
        provider = self._providers.started(row.provider)
        return provider.server(self._target(row)) if provider is not None else None

    def _copy_server_logs(self, row: ModelRow, provider: Provider) -> None:
        """Store the lines the model's server printed since the last copy."""
        lines = provider.new_logs(self._target(row))
        if not lines:
            return
        with self._db.write() as session:
            for line in lines:
                add_log(
                    session,
                    "service",
                    row.id,
                    line.level,
                    line.message,
                    {"stream": line.stream},
                    line.time,
                )

    @property
    def _server_id(self) -> str | None:
        return self._fleet.id if self._fleet is not None else None

    def _owned_rows(
        self, statuses: tuple[str, ...], providers: Collection[str] | None = None
    ) -> builtins.list[ModelRow]:
        """Models in `statuses` whose provider runs their server itself (of `providers` only,
        when given)."""
        with self._db.read() as session:
            rows = with_status(session, statuses)
        if providers is not None:
            return [r for r in rows if r.provider in providers]
        return [r for r in rows if _owns_server(r.provider)]

    def watch_once(self) -> None:
        """One pass over models whose server this server runs: keep its output, notice
        servers that died."""
        owners = {name: p for name, p in self._providers.made().items() if p.owns_server}
        if not owners:
            return  # no provider that runs servers was used: none runs
        now = time.time()
        for row in self._owned_rows(("running",), owners):
            provider = owners[row.provider]
            server = provider.server(self._target(row))
            if server is None:
                continue  # not this server's process (recover_on_start handles those)
            self._copy_server_logs(row, provider)
            if not server.alive:
                with self._lock(row.id):
                    current = self._row(row.id)
                    if current.status == "running":
                        self._mark_dead(
                            current, f"host process exited with status {server.exit_status}"
                        )
            elif now - self._heartbeats.get(row.id, 0.0) >= HEARTBEAT_EVERY_S:
                self._heartbeats[row.id] = now
                self._update(row.id, last_heartbeat=now)

    def _gone_servers(self) -> set[str]:
        if self._fleet is None:
            return set()
        with self._db.read() as session:
            return gone_server_ids(session, self._fleet.stale_before())

    def recover_on_start(self) -> None:
        """Models whose server a server that is gone ran (this one's previous incarnation, or
        another of the fleet) have none now: mark them stopped. A live server's are left."""
        gone = self._gone_servers()
        rows = [
            r
            for r in self._owned_rows(("running", "starting"))
            if self._server_of(r) is None and (r.server_id is None or r.server_id in gone)
        ]
        for row in rows:
            self._update(row.id, status="stopped", endpoint=None, port=None, host_pid=None)
            self._logbook.service(
                row.id, "warning", "The server restarted; this service is no longer running"
            )

    def close(self) -> None:
        """Stop every server process this server started and mark those models stopped."""
        running = [
            r.id
            for r in self._owned_rows(("running", "starting"))
            if r.server_id in (None, self._server_id)
        ]
        self._providers.close()
        for model_id in running:
            self._update(model_id, status="stopped", endpoint=None, port=None, host_pid=None)
            self._logbook.service(model_id, "info", "Service stopped (server shutdown)")


def _owns_server(provider: str) -> bool:
    try:
        return provider_class(provider).owns_server
    except UnknownProviderError:  # a row of a provider this version no longer has
        return False


def _lifecycle_of(row: ModelRow) -> ModelLifecycle:
    return ModelLifecycle.model_validate(row.lifecycle or {})


def _load_view(preparation: Preparation) -> LoadView:
    return LoadView(
        success=preparation.state != "failed",
        state=preparation.state,
        progress=preparation.percent,
        error=preparation.error,
    )


def _start_failure(exc: Exception) -> str:
    if isinstance(exc, ServerStartError):
        return exc.message
    return str(exc) or type(exc).__name__


def _start_error(exc: Exception, message: str) -> Exception:
    """The service error for a model that did not start: its catalog model is missing (404),
    not ready to serve (409: not downloaded, a broken folder, the user's server not answering)
    or the server this one starts failed (503)."""
    kind = exc.kind if isinstance(exc, ServerStartError) else None
    if isinstance(exc, ModelNotFoundError) or kind == "model_not_found":
        return NotFoundError(f"model_id: {message}")
    if isinstance(exc, ModelNotDownloadedError | ModelFolderError) or kind in _NOT_READY_KINDS:
        return ConflictError(f"model_id: {message}")
    if kind == "bad_arguments":
        return InvalidInputError("model_id", message)
    if isinstance(exc, EndpointUnreachableError):
        # The user's own server is down: a state of the model to fix, not a failure here.
        return ConflictError(f"{message}; start that server, then retry")
    if isinstance(exc, ProviderUnavailableError | ServerStartError):
        return UnavailableError(message)
    return UnavailableError(f"could not start the service: {message}")
