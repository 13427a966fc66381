"""Foundry's public model catalog, fetched in the background and cached with its age.

Offline, the SDK's first public-catalog call retries for ~4.5 s and then returns nothing (a
server that accepts but never answers holds it ~30 s), so no caller ever waits for it: a
listing gets the last good list (kept on disk across restarts) or none, with a state that says
why. A quick TCP probe of the catalog host first spares the SDK's retries when it is plainly
unreachable. An empty answer counts as a failure: the real catalog is never empty.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flperf.providers.catalog_model import CatalogModel, PublicCatalogState

log = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = "public catalog unavailable (offline?)"
LOADING_MESSAGE = "public catalog is loading in the background"


@dataclass(frozen=True)
class PublicSnapshot:
    """What the cache holds right now."""

    models: list[CatalogModel]
    state: PublicCatalogState
    age_s: float | None
    message: str | None


def probe_reachable(urls: Sequence[str], timeout_s: float) -> bool:
    """True when a TCP connection to the host of any of ``urls`` opens within the timeout."""
    for url in urls:
        parts = urlsplit(url)
        if not parts.hostname:
            continue
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((parts.hostname, port), timeout=timeout_s):
                return True
        except OSError:
            continue
    return False


class PublicCatalogCache:
    """Background fetcher of the public catalog with an in-memory and on-disk copy.

    ``fetch`` does the slow SDK call; ``urls`` are probed first. ``max_age_s`` is how long a
    list counts as fresh; an older one is still shown (as "stale") while a refresh runs. After
    a failed fetch the next one starts no sooner than ``retry_after_s`` later.

    ``model_cache`` is the folder the entries' ``cached`` and ``path`` describe: a disk copy
    written for another folder (before the cache was switched) keeps its models but marks none
    as on disk until the next fetch says.
    """

    def __init__(
        self,
        fetch: Callable[[], list[CatalogModel]],
        urls: Sequence[str],
        cache_file: Path | None = None,
        max_age_s: float = 600.0,
        retry_after_s: float = 60.0,
        probe_timeout_s: float = 2.0,
        clock: Callable[[], float] = time.time,
        model_cache: Path | None = None,
    ) -> None:
        self._fetch = fetch
        self._model_cache = str(model_cache) if model_cache is not None else None
        self._urls = list(urls)
        self._cache_file = cache_file
        self._max_age_s = max_age_s
        self._retry_after_s = retry_after_s
        self._probe_timeout_s = probe_timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._models: list[CatalogModel] = []
        self._fetched_at: float | None = None
        self._last_failed = False
        self._last_attempt: float | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._done.set()
        self._load_disk_copy()

    def snapshot(self, refresh: bool = True) -> PublicSnapshot:
        """The cached list and its state; starts a background refresh when it is due."""
        if refresh and self._due():
            self.refresh()
        with self._lock:
            age = None if self._fetched_at is None else max(0.0, self._clock() - self._fetched_at)
            fetching = self._thread is not None
            if age is not None and age <= self._max_age_s:
                state: PublicCatalogState = "fresh"
            elif age is not None:
                state = "stale"
            elif fetching and not self._last_failed:
                state = "loading"
            else:
                state = "unavailable"
            message = None
            if self._last_failed:
                message = UNAVAILABLE_MESSAGE + (
                    f"; showing the list from {age:.0f} s ago" if age is not None else ""
                )
            elif state == "loading":
                message = LOADING_MESSAGE
            return PublicSnapshot(list(self._models), state, age, message)

    def refresh(self) -> threading.Event:
        """Start a background fetch unless one runs; the event is set when it ends."""
        with self._lock:
            if self._thread is None:
                self._last_attempt = self._clock()
                self._done.clear()
                self._thread = threading.Thread(
                    target=self._run, name="flperf-public-catalog", daemon=True
                )
                self._thread.start()
            return self._done

    @property
    def known_unavailable(self) -> bool:
        """The last fetch failed (looking a model up there now would only wait)."""
        with self._lock:
            return self._last_failed

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for a running fetch to end; True when none is running afterwards."""
        return self._done.wait(timeout_s)

    def _due(self) -> bool:
        with self._lock:
            if self._thread is not None:
                return False
            now = self._clock()
            if self._last_failed and self._last_attempt is not None:
                return now - self._last_attempt > self._retry_after_s
            return self._fetched_at is None or now - self._fetched_at > self._max_age_s

    def _run(self) -> None:
        models: list[CatalogModel] = []
        try:
            if probe_reachable(self._urls, self._probe_timeout_s):
                models = self._fetch()
        except Exception as exc:  # the SDK raises its own types; any failure means "unavailable"
            log.warning("public catalog fetch failed: %s", exc)
        with self._lock:
            if models:
                self._models = models
                self._fetched_at = self._clock()
                self._last_failed = False
            else:
                self._last_failed = True
        if models:
            self._save_disk_copy()
        with self._lock:
            self._thread = None
            self._done.set()

    def _load_disk_copy(self) -> None:
        if self._cache_file is None or not self._cache_file.is_file():
            return
        try:
            data = json.loads(self._cache_file.read_text(encoding="utf-8"))
            models = [CatalogModel.model_validate(m) for m in data["models"]]
            self._fetched_at = float(data["fetched_at"])
            written_for = data.get("model_cache")
            if written_for is not None and written_for != self._model_cache:
                models = [m.model_copy(update={"cached": False, "path": None}) for m in models]
            self._models = models
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable public catalog cache %s: %s", self._cache_file, exc)
            self._models, self._fetched_at = [], None

    def _save_disk_copy(self) -> None:
        if self._cache_file is None:
            return
        with self._lock:
            data = {
                "fetched_at": self._fetched_at,
                "model_cache": self._model_cache,
                "models": [m.model_dump() for m in self._models],
            }
        tmp = self._cache_file.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(self._cache_file)
        except OSError as exc:
            log.warning("cannot write public catalog cache %s: %s", self._cache_file, exc)
