"""The provider instances of one server: made on first use, closed together on shutdown.

This is where providers are put together: the ``foundry`` provider gets the `HostManager`
that runs its host processes (``flperf.providers`` never imports ``flperf.host`` itself).
"""

from __future__ import annotations

import threading
from pathlib import Path

from flperf.host import HostManager
from flperf.providers import FoundryProvider, Provider, provider_class, provider_names


class ProviderSet:
    """One instance per registered provider name (`foundry`, `openai`, ...)."""

    def __init__(self, home: Path) -> None:
        self._home = home
        self._lock = threading.Lock()
        self._instances: dict[str, Provider] = {}

    @staticmethod
    def names() -> list[str]:
        return provider_names()

    def get(self, name: str) -> Provider:
        """The provider registered as `name` (raises `UnknownProviderError`)."""
        with self._lock:
            instance = self._instances.get(name)
            if instance is None:
                instance = self._make(provider_class(name))
                self._instances[name] = instance
            return instance

    def _make(self, cls: type[Provider]) -> Provider:
        if issubclass(cls, FoundryProvider):
            # Foundry keeps its files in the data folder and serves each model from a host.
            return cls(home=self._home, hosts=HostManager(home=self._home))
        return cls()

    @property
    def foundry(self) -> FoundryProvider:
        """The Foundry Local provider: its catalog and runtime (`available`, system health)."""
        provider = self.get("foundry")
        assert isinstance(provider, FoundryProvider)
        return provider

    def started(self, name: str) -> Provider | None:
        """The instance of `name` if one was made already (never makes one)."""
        with self._lock:
            return self._instances.get(name)

    def made(self) -> dict[str, Provider]:
        """Every instance made so far, by name."""
        with self._lock:
            return dict(self._instances)

    def close(self) -> None:
        """Close every provider (Foundry stops the hosts it started)."""
        with self._lock:
            instances, self._instances = list(self._instances.values()), {}
        for instance in instances:
            instance.close()
