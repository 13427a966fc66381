"""ModelService: configured models and their services (start, stop, load, health, logs).

A `foundry` model is served by a host process this server starts; an `openai` model is a
server the user runs, which start and stop only check. Status moves stopped -> starting ->
running, or -> error with `last_error`; a host that dies (even by SIGKILL) is noticed by the
health check and by `watch_once` (run every second by the server) and becomes `error`.
"""

from __future__ import annotations

import builtins
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from flperf.bench.runner import Target
from flperf.host import HostHandle, HostLogRecord, HostStartError
from flperf.providers import (
    CatalogListing,
    EndpointUnreachableError,
    ModelFolderError,
    ModelNotDownloadedError,
    ModelNotFoundError,
    ModelTarget,
    ProviderError,
    ProviderUnavailableError,
    ServedModel,
)
from flperf.providers.openai import normalize_base_url
from flperf.service.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from flperf.service.logbook import Logbook
from flperf.service.model_input import check_new_model
from flperf.service.providers import ProviderSet
from flperf.service.views import HealthView, LoadView, LogView, ModelView, StartView
from flperf.store import Database, ModelRow, new_id
from flperf.store.logs_repo import add_log, list_logs
from flperf.store.models_repo import find_by_alias, get_model, list_models, with_status

HEARTBEAT_EVERY_S = 5.0
_BAD_MODEL_KINDS = {"model_not_found", "not_downloaded", "invalid_model_folder", "bad_arguments"}


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
    ) -> None:
        self._db = db
        self._providers = providers
        self._logbook = logbook
        self._start_timeout_s = start_timeout_s
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._log_cursor: dict[int, HostLogRecord] = {}
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
        if row.provider != "foundry":
            facts["endpoint"] = row.endpoint
            return facts
        try:
            info = self._providers.foundry.get_model(row.model_id)
        except Exception as exc:  # the catalog may be unreachable; the run still goes on
            facts["detail"] = f"catalog lookup failed: {exc}"
            return facts
        return {**facts, **info.run_facts()}

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
        if row.provider == "foundry" and self._handle(row.model_id) is not None:
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
        self._update(row.id, status="starting", last_error=None)
        self._logbook.service(row.id, "info", f"{reason}: {row.model_id} ({row.provider})")
        try:
            served = provider.start(self._target(row), timeout_s=self._start_timeout_s)
        except Exception as exc:
            message = _start_failure(exc)
            self._update(row.id, status="error", last_error=message, host_pid=None)
            if isinstance(exc, HostStartError):
                for line in exc.log_tail:
                    self._logbook.service(row.id, "info", line)
            self._logbook.service(row.id, "error", f"Service failed to start: {message}")
            raise _start_error(exc, message) from exc
        now = time.time()
        root = _root(served.base_url)
        if row.provider == "foundry":
            self._copy_host_logs(row.id, self._handle(row.model_id))
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

    def stop(self, model_id: str) -> None:
        """Stop the model's service (openai: nothing to stop, the status becomes stopped)."""
        row = self._row(model_id)
        with self._lock(model_id):
            provider = self._providers.get(row.provider)
            if row.provider == "foundry":
                handle = self._handle(row.model_id)
                try:
                    provider.stop(self._target(row))
                except ProviderError as exc:
                    raise UnavailableError(f"could not stop {row.alias}: {exc}") from exc
                if handle is not None:
                    self._copy_host_logs(row.id, handle)
                    self._log_cursor.pop(id(handle), None)
                self._update(model_id, status="stopped", endpoint=None, port=None, host_pid=None)
            else:
                self._update(model_id, status="stopped")
        self._logbook.service(model_id, "info", "Service stopped")

    def load(self, model_id: str) -> LoadView:
        """Make the model available locally: foundry downloads it when needed (in the
        background; poll `download_status`), openai checks the endpoint answers."""
        row = self._row(model_id)
        if row.provider != "foundry":
            self._check_reachable(row)
            return LoadView(state="ready", progress=100.0)
        try:
            task = self._providers.foundry.download(row.model_id)
        except ProviderError as exc:
            raise UnavailableError(str(exc)) from exc
        task.wait(0.5)  # a model already on disk answers at once
        self._logbook.service(model_id, "info", f"Load requested for {row.model_id}")
        return self.download_status(model_id)

    def download_status(self, model_id: str) -> LoadView:
        """Progress of the model's download (`ready` when nothing is left to fetch)."""
        row = self._row(model_id)
        task = None
        if row.provider == "foundry" and self._providers.started("foundry") is not None:
            task = self._providers.foundry.download_status(row.model_id)
        if task is None:
            return LoadView(state="ready", progress=100.0)
        status = task.status()
        state = {"running": "downloading", "done": "ready"}.get(status.state, status.state)
        return LoadView(
            success=status.state != "failed",
            state=state,
            progress=status.percent,
            error=status.error,
        )

    def _check_reachable(self, row: ModelRow) -> ServedModel:
        try:
            return self._providers.get(row.provider).start(self._target(row))
        except ProviderError as exc:
            raise UnavailableError(f"{row.alias}: {exc}") from exc

    def health(self, model_id: str) -> HealthView:
        """Ask the service now (alive, model loaded, a one-token answer)."""
        row = self._row(model_id)
        provider = self._providers.get(row.provider)
        if row.provider == "foundry" and self._handle(row.model_id) is None:
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
            if row.provider != "foundry" and row.status == "error":
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
        after measuring). Raises `NotFoundError` / `UnavailableError` / `InvalidInputError`.
        """
        row = self._row(model_id)
        with self._lock(model_id):
            row = self._row(model_id)
            started = False
            handle = self._handle(row.model_id) if row.provider == "foundry" else None
            if row.provider == "foundry" and (handle is None or not handle.alive):
                served = self._start_locked(row, reason=f"Starting service for {purpose}")
                started = True
            elif row.provider == "foundry":
                assert handle is not None
                served = ServedModel(handle.model_id, handle.base_url, handle.pid)
            else:  # the user's server: check it answers (status and logs say what happened)
                served = self._start_locked(row, reason=f"Checking the service for {purpose}")
        target = Target(
            name=row.id,
            endpoint=served.base_url,
            served_model=served.model,
            pid=served.pid,
        )
        return target, started

    # -- watching ------------------------------------------------------------------------

    def _handle(self, catalog_id: str) -> HostHandle | None:
        foundry = self._providers.started("foundry")
        if foundry is None:
            return None
        handle: HostHandle | None = self._providers.foundry.hosts.get(catalog_id)
        return handle

    def _copy_host_logs(self, model_id: str, handle: HostHandle | None) -> None:
        """Store the lines the host printed since the last copy."""
        if handle is None:
            return
        records = list(handle.logs)
        last = self._log_cursor.get(id(handle))
        if last is not None:
            for i in range(len(records) - 1, -1, -1):
                if records[i] is last:
                    records = records[i + 1 :]
                    break
        if not records:
            return
        self._log_cursor[id(handle)] = records[-1]
        with self._db.write() as session:
            for record in records:
                add_log(
                    session,
                    "service",
                    model_id,
                    record.level,
                    record.message,
                    {"stream": record.stream},
                    record.time,
                )

    def watch_once(self) -> None:
        """One pass over started foundry models: keep host output, notice dead hosts."""
        if self._providers.started("foundry") is None:
            return
        with self._db.read() as session:
            rows = [r for r in with_status(session, ("running",)) if r.provider == "foundry"]
        now = time.time()
        for row in rows:
            handle = self._handle(row.model_id)
            if handle is None:
                continue  # not this server's host (recover_on_start handles those)
            self._copy_host_logs(row.id, handle)
            if not handle.alive:
                with self._lock(row.id):
                    current = self._row(row.id)
                    if current.status == "running":
                        self._mark_dead(
                            current, f"host process exited with status {handle.returncode}"
                        )
            elif now - self._heartbeats.get(row.id, 0.0) >= HEARTBEAT_EVERY_S:
                self._heartbeats[row.id] = now
                self._update(row.id, last_heartbeat=now)

    def recover_on_start(self) -> None:
        """Foundry models left running by a previous server have no host now: mark them."""
        with self._db.read() as session:
            rows = [
                r
                for r in with_status(session, ("running", "starting"))
                if r.provider == "foundry" and self._handle(r.model_id) is None
            ]
        for row in rows:
            self._update(row.id, status="stopped", endpoint=None, port=None, host_pid=None)
            self._logbook.service(
                row.id, "warning", "The server restarted; this service is no longer running"
            )

    def close(self) -> None:
        """Stop every host this server started and mark those models stopped."""
        with self._db.read() as session:
            running = [
                r.id
                for r in with_status(session, ("running", "starting"))
                if r.provider == "foundry"
            ]
        self._providers.close()
        for model_id in running:
            self._update(model_id, status="stopped", endpoint=None, port=None, host_pid=None)
            self._logbook.service(model_id, "info", "Service stopped (server shutdown)")


def _start_failure(exc: Exception) -> str:
    if isinstance(exc, HostStartError):
        return exc.message
    return str(exc) or type(exc).__name__


def _start_error(exc: Exception, message: str) -> Exception:
    if isinstance(exc, ModelNotFoundError | ModelNotDownloadedError | ModelFolderError):
        return InvalidInputError("model_id", message)
    if isinstance(exc, HostStartError) and exc.kind in _BAD_MODEL_KINDS:
        return InvalidInputError("model_id", message)
    if isinstance(exc, ProviderUnavailableError | EndpointUnreachableError | HostStartError):
        return UnavailableError(message)
    return UnavailableError(f"could not start the service: {message}")
