"""The ``foundry`` provider: models of Foundry Local (SDK 2.x), each served by a host process.

Catalog work (listing, registering folders, the demo model, downloads, load/unload) runs in
this process through the SDK; serving runs in one host process per started model, managed by
the `HostPool` the provider is given.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from time import perf_counter
from typing import Any

from flperf import config
from flperf.bench.lifecycle import ModelLifecycle
from flperf.providers.catalog_model import CatalogListing, CatalogModel
from flperf.providers.downloads import DownloadState, DownloadTask
from flperf.providers.errors import (
    DownloadCancelledError,
    ModelCacheBusyError,
    ModelNotDownloadedError,
    ModelNotFoundError,
    ProviderUnavailableError,
)
from flperf.providers.foundry_runtime import FoundryDirs, FoundryRuntime
from flperf.providers.host_pool import HostPool, ServingHost
from flperf.providers.local_models import (
    DEMO_ALIAS,
    DEMO_MODEL_ID,
    describe,
    ensure_demo,
    folder_mib,
    register_folder,
    unregister,
)
from flperf.providers.model_cache import (
    ModelCacheLocation,
    prepare_cache_folder,
    read_choice,
    write_choice,
)
from flperf.providers.public_catalog import PublicCatalogCache, probe_reachable
from flperf.providers.registry import (
    HealthReport,
    LogLine,
    ModelTarget,
    Preparation,
    PreparationState,
    Provider,
    ServedModel,
    ServerProcess,
    register_provider,
)

HOST_KIND = "flperf-host"
_PREPARATION: dict[DownloadState, PreparationState] = {
    "running": "downloading",
    "done": "ready",
    "failed": "failed",
    "cancelled": "cancelled",
}


@register_provider("foundry")
class FoundryProvider(Provider):
    """Foundry Local models: public catalog, LOCAL catalog (your folders) and the demo model.

    ``home`` is the flperf data folder (default `flperf.config.home()`); ``catalog_urls``
    replaces Foundry's public catalog URL (default: `FLPERF_FOUNDRY_CATALOG_URLS` or Foundry's).
    ``hosts`` runs the host processes that serve started models (the provider closes it); a
    provider without one lists, downloads and loads models but cannot serve them.
    """

    owns_server = True

    def __init__(
        self,
        home: Path | None = None,
        catalog_urls: tuple[str, ...] | None = None,
        catalog_max_age_s: float = 600.0,
        hosts: HostPool | None = None,
    ) -> None:
        self.home = Path(home) if home is not None else config.home()
        self._catalog_urls = catalog_urls
        self._lock = threading.Lock()
        self._runtime: FoundryRuntime | None = None
        self._public: PublicCatalogCache | None = None
        self._catalog_max_age_s = catalog_max_age_s
        self._hosts = hosts
        self._downloads: dict[str, DownloadTask] = {}
        self._downloaded: dict[str, ModelLifecycle] = {}  # downloads this provider ran
        self._logs_lock = threading.Lock()
        self._log_cursor: dict[str, tuple[ServingHost, LogLine]] = {}
        self._stopped: dict[str, ServingHost] = {}  # stopped hosts whose last lines are unread
        self._switching = False  # the model cache folder is being switched
        self._starting = 0  # host starts in progress

    # -- runtime -------------------------------------------------------------------------

    @property
    def runtime(self) -> FoundryRuntime:
        """This process's Foundry Local runtime for ``home`` (started on first use)."""
        with self._lock:
            if self._runtime is None or self._runtime.closed:
                self._runtime = FoundryRuntime.open(self.home, self._catalog_urls)
            return self._runtime

    @property
    def public_catalog(self) -> PublicCatalogCache:
        with self._lock:
            if self._public is None:
                runtime = self._runtime or FoundryRuntime.open(self.home, self._catalog_urls)
                self._runtime = runtime
                self._public = PublicCatalogCache(
                    fetch=self._fetch_public,
                    urls=runtime.public_catalog_urls,
                    cache_file=runtime.dirs.public_catalog_cache,
                    max_age_s=self._catalog_max_age_s,
                    model_cache=runtime.dirs.model_cache,
                )
            return self._public

    def _fetch_public(self) -> list[CatalogModel]:
        models = []
        for model in self.runtime.public_catalog().list_models():
            for variant in model.variants:
                models.append(describe(variant, "public"))
        return models

    # -- catalogs ------------------------------------------------------------------------

    def list_models(self, include_public: bool = True) -> CatalogListing:
        """Local and demo models now, plus the public list from the background cache.

        Never waits for the network: the public part is whatever the last background fetch
        brought (its age and state are in the listing); a fetch starts when one is due.
        """
        self.ensure_demo_model()
        local = self.local_models()
        if not include_public:
            return CatalogListing(
                models=local, public_catalog="unavailable", message="public catalog not requested"
            )
        snapshot = self.public_catalog.snapshot()
        known = {m.id for m in local}
        public = [m for m in snapshot.models if m.id not in known]
        return CatalogListing(
            models=local + public,
            public_catalog=snapshot.state,
            public_catalog_age_s=snapshot.age_s,
            message=snapshot.message,
        )

    def local_models(self) -> list[CatalogModel]:
        """Models of the LOCAL catalog (registered folders and the demo model)."""
        models = []
        for model in self.runtime.local_catalog().list_models():
            for variant in model.variants:
                models.append(describe(variant))
        return sorted(models, key=lambda m: (m.source != "demo", m.id))

    def refresh_public_catalog(self, wait_s: float | None = None) -> CatalogListing:
        """Start a public-catalog fetch and wait up to ``wait_s`` for it."""
        self.public_catalog.refresh().wait(wait_s)
        return self.list_models()

    def get_model(self, model_id: str, allow_public: bool = True) -> CatalogModel:
        """Describe one model by id or alias: LOCAL catalog first, then the public one."""
        return describe(self._sdk_model(model_id, allow_public))

    def _sdk_model(self, model_id: str, allow_public: bool = True) -> Any:
        if model_id in (DEMO_MODEL_ID, DEMO_ALIAS):
            return self._ensure_demo_sdk_model()
        local = self.runtime.local_catalog()
        model = _lookup(local, model_id)
        if model is None and allow_public and not self._public_reachable():
            raise ModelNotFoundError(
                f"model {model_id!r} is not in the local catalog and the public catalog is "
                "unavailable (offline?)"
            )
        if model is None and allow_public:
            model = _lookup(self.runtime.public_catalog(), model_id)
        if model is None:
            where = "the local or public catalog" if allow_public else "the local catalog"
            raise ModelNotFoundError(
                f"model {model_id!r} is not in {where}"
                + (" (the public catalog needs the internet)" if allow_public else "")
            )
        return model

    def _public_reachable(self) -> bool:
        """Whether a public-catalog lookup could succeed now (a quick check, no SDK retries)."""
        if self.public_catalog.known_unavailable:
            return False
        return probe_reachable(self.runtime.public_catalog_urls, 2.0)

    def _ensure_demo_sdk_model(self) -> Any:
        return ensure_demo(self.runtime)

    def ensure_demo_model(self) -> CatalogModel:
        """Register the built-in offline demo model on first use and describe it."""
        return describe(self._ensure_demo_sdk_model(), "demo")

    def register_local_model(
        self,
        path: str | Path,
        model_id: str | None = None,
        alias: str | None = None,
        description: str | None = None,
    ) -> CatalogModel:
        """Register an ONNX Runtime GenAI folder in the LOCAL catalog.

        Raises `ModelFolderError` naming what is missing (nothing is registered then).
        ``model_id`` defaults to ``<folder name>:1``.
        """
        model = register_folder(
            self.runtime, Path(path), model_id, alias=alias, description=description
        )
        return describe(model)

    def unregister_local_model(self, model_id: str) -> None:
        """Remove a LOCAL-catalog registration; the folder is left alone."""
        unregister(self.runtime, model_id)

    # -- the model cache folder ----------------------------------------------------------

    def model_cache_location(self) -> ModelCacheLocation:
        """Where the model cache is now (read from the data folder; opens no runtime)."""
        dirs = FoundryDirs.under(self.home)
        return ModelCacheLocation(dirs.model_cache, dirs.default_model_cache)

    def cache_models(self) -> CatalogListing:
        """The models of the model cache in use: its LOCAL catalog (registered folders and the
        demo model, registered on first use) and the public-catalog models downloaded into it,
        as the last public catalog fetch for this folder found them (none known offline until
        one succeeds; the listing's state says so)."""
        self.ensure_demo_model()
        local = self.local_models()
        snapshot = self.public_catalog.snapshot()
        known = {m.id for m in local}
        downloaded = [m for m in snapshot.models if m.cached and m.id not in known]
        return CatalogListing(
            models=local + downloaded,
            public_catalog=snapshot.state,
            public_catalog_age_s=snapshot.age_s,
            message=snapshot.message,
        )

    def switch_model_cache(self, folder: str | None) -> ModelCacheLocation:
        """Make ``folder`` (None: the default) the model cache, persisted in the data folder.

        Refused (`ModelCacheBusyError`) while this provider's hosts serve models or downloads
        run; a folder that is not absolute, not creatable or not writable raises
        `CacheFolderError`. An open runtime is closed and reopened on the new folder (if that
        fails the previous choice is restored and the error raised); the demo model is
        registered there on first use, and the public catalog is fetched again to learn which
        of its models that folder holds.
        """
        with self._lock:
            busy = self._cache_users()
            if busy:
                raise ModelCacheBusyError(
                    f"the model cache cannot be switched while {' and '.join(busy)}: "
                    "stop them first"
                )
            self._switching = True
        try:
            return self._switch(prepare_cache_folder(folder) if folder is not None else None)
        finally:
            with self._lock:
                self._switching = False

    def _cache_users(self) -> list[str]:
        """What uses the model cache now, in words (call with ``_lock`` held)."""
        users = []
        serving = sorted(
            {h.model_id for h in self._hosts.handles() if h.alive} if self._hosts else ()
        )
        if serving:
            users.append(f"Foundry Local models are served ({', '.join(serving)})")
        elif self._starting:
            users.append("a Foundry Local model is starting")
        downloading = sorted(
            model_id
            for model_id, task in self._downloads.items()
            if task.status().state == "running"
        )
        if downloading:
            users.append(f"models are downloading ({', '.join(downloading)})")
        return users

    def _switch(self, target: Path | None) -> ModelCacheLocation:
        dirs = FoundryDirs.under(self.home)
        if target is not None and target == dirs.default_model_cache.resolve():
            target = None  # the default folder named explicitly stays "the default"
        previous = read_choice(dirs.root)
        write_choice(dirs.root, target)
        with self._lock:
            reopen = self._runtime is not None
            self._public = None
            if reopen:
                try:
                    self._runtime = FoundryRuntime.open(self.home, self._catalog_urls)
                except Exception:
                    write_choice(dirs.root, previous)
                    self._runtime = None  # reopened on the previous folder at next use
                    raise
        if reopen:
            self.public_catalog.refresh()
        return self.model_cache_location()

    # -- downloads and loading -----------------------------------------------------------

    def download(
        self,
        model_id: str,
        on_progress: Callable[[float], None] | None = None,
    ) -> DownloadTask:
        """Start downloading a public model in the background (or return the running task)."""
        with self._lock:
            self._refuse_while_switching()
            task = self._downloads.get(model_id)
            if task is not None and task.status().state == "running":
                return task

        def work(progress: Callable[[float], None], cancel: threading.Event) -> None:
            model = self._sdk_model(model_id)
            if model.is_cached:
                return
            began = perf_counter()
            model.download(progress_callback=progress, cancel_event=cancel)
            if cancel.is_set():
                raise DownloadCancelledError(f"download of {model_id} cancelled")
            took_ms = (perf_counter() - began) * 1000.0
            self._remember_download(model_id, model, took_ms)

        with self._lock:
            self._refuse_while_switching()  # checked again: a switch may have begun meanwhile
            task = DownloadTask(model_id, work, on_progress)
            self._downloads[model_id] = task
        return task

    def _remember_download(self, model_id: str, model: Any, took_ms: float) -> None:
        info = describe(model)
        size = folder_mib(info.path) if info.path else info.size_mb
        facts = ModelLifecycle(download_ms=took_ms, download_mb=size, downloaded_at=time.time())
        with self._lock:
            for key in {model_id, info.id}:
                self._downloaded[key] = facts

    def _download_facts(self, *model_ids: str) -> ModelLifecycle | None:
        with self._lock:
            return next((self._downloaded[m] for m in model_ids if m in self._downloaded), None)

    def _refuse_while_switching(self) -> None:
        if self._switching:
            raise ProviderUnavailableError(
                "Foundry Local's model cache folder is being switched: try again in a moment"
            )

    def download_status(self, model_id: str) -> DownloadTask | None:
        with self._lock:
            return self._downloads.get(model_id)

    def load(self, model_id: str) -> None:
        """Load a cached model into this process's runtime."""
        model = self._sdk_model(model_id)
        if not model.is_cached:
            raise ModelNotDownloadedError(f"model {model_id} is not downloaded yet")
        model.load()

    def unload(self, model_id: str) -> None:
        """Unload a model from this process's runtime (no-op when not loaded)."""
        model = self._sdk_model(model_id, allow_public=False)
        if model.is_loaded:
            model.unload()

    def prepare(self, target: ModelTarget) -> Preparation:
        """Start downloading ``target`` when needed (in the background) and say how far."""
        self.download(target.model_id).wait(0.5)  # a model already on disk is ready at once
        return self.prepare_status(target)

    def prepare_status(self, target: ModelTarget) -> Preparation:
        task = self.download_status(target.model_id)
        if task is None:
            return Preparation("ready", 100.0)
        status = task.status()
        return Preparation(_PREPARATION[status.state], status.percent, status.error)

    def run_facts(self, target: ModelTarget) -> dict[str, Any]:
        """The catalog's facts of the exact variant (raises `ModelNotFoundError`)."""
        return self.get_model(target.model_id).run_facts()

    # -- serving (one host process per model) --------------------------------------------

    def _pool(self) -> HostPool:
        hosts = self._hosts
        if hosts is None:
            raise ProviderUnavailableError(
                "this Foundry provider has no host manager (none given, or closed): "
                "it cannot serve models"
            )
        return hosts

    def start(self, target: ModelTarget, timeout_s: float = 60.0) -> ServedModel:
        """Start (or reuse) the host process serving ``target.model_id``."""
        pool = self._pool()
        with self._lock:
            self._refuse_while_switching()
            self._starting += 1
        try:
            handle = pool.start(target.model_id, model_path=target.model_path, timeout_s=timeout_s)
        finally:
            with self._lock:
                self._starting -= 1
        with self._logs_lock:
            self._stopped.pop(target.model_id, None)
        return _served(handle, self._host_facts(target, handle))

    def stop(self, target: ModelTarget, timeout_s: float = 5.0) -> ModelLifecycle | None:
        """Stop the model's host; what starting and stopping it took (None: none ran)."""
        pool = self._pool()
        handle = pool.get(target.model_id)
        pool.stop(target.model_id, timeout_s=timeout_s)
        if handle is None:
            return None
        with self._logs_lock:
            self._stopped[target.model_id] = handle
        return self._host_facts(target, handle)

    def lifecycle(self, target: ModelTarget) -> ModelLifecycle:
        """The facts of the model's host (running, or stopped and not yet read) and of the
        download this provider ran for it."""
        handle = self._hosts.get(target.model_id) if self._hosts is not None else None
        if handle is None:
            with self._logs_lock:
                handle = self._stopped.get(target.model_id)
        if handle is not None:
            return self._host_facts(target, handle)
        facts = self._download_facts(target.model_id) or ModelLifecycle(source=HOST_KIND)
        return facts.with_reason("load", "not started by this server since it started")

    def _host_facts(self, target: ModelTarget, handle: ServingHost) -> ModelLifecycle:
        facts = handle.lifecycle or ModelLifecycle(source=HOST_KIND)
        return facts.merged(self._download_facts(target.model_id, handle.model_id))

    def server(self, target: ModelTarget) -> ServerProcess | None:
        handle = self._hosts.get(target.model_id) if self._hosts is not None else None
        if handle is None:
            return None
        return ServerProcess(_served(handle, self._host_facts(target, handle)), handle.returncode)

    def new_logs(self, target: ModelTarget) -> Sequence[LogLine]:
        key = target.model_id
        with self._logs_lock:
            stopped = self._stopped.pop(key, None)
            handle = self._hosts.get(key) if self._hosts is not None else None
            if handle is None:
                handle = stopped
            if handle is None:
                return []
            records = list(handle.logs)
            cursor = self._log_cursor.get(key)
            if cursor is not None and cursor[0] is handle:
                for i in range(len(records) - 1, -1, -1):
                    if records[i] is cursor[1]:
                        records = records[i + 1 :]
                        break
            if handle is stopped:
                self._log_cursor.pop(key, None)
            elif records:
                self._log_cursor[key] = (handle, records[-1])
            return records

    def health(self, target: ModelTarget) -> HealthReport:
        handle = self._hosts.get(target.model_id) if self._hosts is not None else None
        if handle is None:
            return HealthReport(
                alive=False, model_loaded=False, answered=False, detail="not started"
            )
        return handle.health()

    def close(self) -> None:
        """Stop every host this provider started and cancel its downloads.

        The process's runtime stays open for other users; `FoundryRuntime.close_current`
        releases it.
        """
        with self._lock:
            hosts, self._hosts = self._hosts, None
            downloads = list(self._downloads.values())
        with self._logs_lock:
            self._log_cursor.clear()
            self._stopped.clear()
        if hosts is not None:
            hosts.close()
        for task in downloads:
            task.cancel()
        deadline = time.monotonic() + 5.0
        for task in downloads:
            task.wait(max(0.0, deadline - time.monotonic()))


def _served(handle: ServingHost, lifecycle: ModelLifecycle | None = None) -> ServedModel:
    return ServedModel(
        model=handle.model_id,
        base_url=handle.base_url,
        pid=handle.pid,
        kind=HOST_KIND,
        lifecycle=lifecycle,
    )


def _lookup(catalog: Any, model_id: str) -> Any:
    """A variant by full id (``name:version``) or a model by alias; None when unknown."""
    if ":" in model_id:
        return catalog.get_model_variant(model_id)
    return catalog.get_model(model_id)
