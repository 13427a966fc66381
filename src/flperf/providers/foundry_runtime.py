"""The Foundry Local runtime of this process: its folders, its configuration and its one manager.

``foundry_local_sdk`` keeps one native manager per process. `FoundryRuntime.open` returns the
runtime for a data folder, closing the previous one when another folder is asked for (tests
use many). The SDK is imported here, on first use, never when `flperf.providers` is imported.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flperf.providers.errors import ProviderUnavailableError
from flperf.providers.model_cache import read_choice

if TYPE_CHECKING:
    from foundry_local_sdk import Catalog, FoundryLocalManager

APP_NAME = "flperf"
DEFAULT_CATALOG_URL = "https://api.catalog.azureml.ms/asset-gallery/v1.0/models"
CATALOG_URLS_ENV = "FLPERF_FOUNDRY_CATALOG_URLS"
"""Semicolon-separated public catalog URLs replacing Foundry's default (tests point it at a
closed loopback port to be offline on purpose)."""


@dataclass(frozen=True)
class FoundryDirs:
    """Folders the runtime writes to: all under ``<flperf home>/foundry``, except the model
    cache when the user chose another folder for it (`flperf.providers.model_cache`)."""

    root: Path
    chosen_model_cache: Path | None = None

    @classmethod
    def under(cls, home: Path) -> FoundryDirs:
        """The folders of data folder ``home``, with the model cache chosen there (if any)."""
        root = Path(home).expanduser().resolve() / "foundry"
        return cls(root, read_choice(root))

    @property
    def default_model_cache(self) -> Path:
        return self.root / "models"

    @property
    def model_cache(self) -> Path:
        """Foundry's model cache: downloaded models and the LOCAL catalog of this folder."""
        return self.chosen_model_cache or self.default_model_cache

    @property
    def app_data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def demo_model(self) -> Path:
        """Where flperf copies its built-in demo model before registering it."""
        return self.root / "demo-model"

    @property
    def public_catalog_cache(self) -> Path:
        return self.root / "public-catalog.json"

    def create(self) -> None:
        """Create the folders; a chosen model cache that is gone is an error, not remade (it
        may be a disk that is not mounted now: models would land on another disk)."""
        chosen = self.chosen_model_cache
        if chosen is not None and not chosen.is_dir():
            raise ProviderUnavailableError(
                f"the model cache folder chosen for Foundry Local, {chosen}, does not exist "
                "(a disk not mounted?): create it, or switch the cache (POST /api/cache/switch, "
                "`flperf models cache --switch`)"
            )
        for path in (self.model_cache, self.app_data, self.logs):
            path.mkdir(parents=True, exist_ok=True)


def catalog_urls_from_env() -> tuple[str, ...] | None:
    """Catalog URLs from `FLPERF_FOUNDRY_CATALOG_URLS`, or None for Foundry's default."""
    raw = os.environ.get(CATALOG_URLS_ENV, "").strip()
    if not raw:
        return None
    return tuple(url.strip() for url in raw.split(";") if url.strip())


def import_sdk() -> Any:
    """The `foundry_local_sdk` module, or a clear error where it is not installed."""
    try:
        import foundry_local_sdk
    except ImportError as exc:  # pragma: no cover - depends on the platform
        raise ProviderUnavailableError(
            "Foundry Local is not available here: the foundry-local-sdk package is not "
            f"installed for this platform ({exc})"
        ) from exc
    return foundry_local_sdk


class FoundryRuntime:
    """This process's Foundry Local manager, configured with flperf's folders."""

    _lock = threading.Lock()
    _current: FoundryRuntime | None = None

    def __init__(self, dirs: FoundryDirs, catalog_urls: tuple[str, ...] | None) -> None:
        sdk = import_sdk()
        dirs.create()
        self.dirs = dirs
        self.catalog_urls = catalog_urls
        config = sdk.Configuration(
            app_name=APP_NAME,
            model_cache_dir=str(dirs.model_cache),
            app_data_dir=str(dirs.app_data),
            logs_dir=str(dirs.logs),
            log_level=sdk.LogLevel.WARNING,
            catalog_urls=[(url, None) for url in catalog_urls] if catalog_urls else None,
            disable_nonessential_telemetry=True,
        )
        sdk.FoundryLocalManager.initialize(config)
        self.manager: FoundryLocalManager = sdk.FoundryLocalManager.instance
        self._sdk = sdk
        self.closed = False

    @classmethod
    def open(cls, home: Path, catalog_urls: tuple[str, ...] | None = None) -> FoundryRuntime:
        """The runtime for flperf home ``home``, started (or restarted for another home) now."""
        dirs = FoundryDirs.under(home)
        urls = catalog_urls if catalog_urls is not None else catalog_urls_from_env()
        with cls._lock:
            current = cls._current
            if current is not None and not current.closed:
                if current.dirs == dirs and current.catalog_urls == urls:
                    return current
                current.close()
            cls._current = cls(dirs, urls)
            return cls._current

    @classmethod
    def close_current(cls) -> None:
        """Close this process's runtime, if one is open."""
        with cls._lock:
            if cls._current is not None:
                cls._current.close()
                cls._current = None

    @property
    def sdk(self) -> Any:
        return self._sdk

    @property
    def public_catalog_urls(self) -> tuple[str, ...]:
        return self.catalog_urls or (DEFAULT_CATALOG_URL,)

    def local_catalog(self) -> Catalog:
        return self.manager.get_catalog(self._sdk.CatalogType.LOCAL)

    def public_catalog(self) -> Catalog:
        return self.manager.get_catalog(self._sdk.CatalogType.PUBLIC)

    def close(self) -> None:
        """Release the native manager (about a second; waits for native calls in flight)."""
        if not self.closed:
            self.closed = True
            self.manager.close()
