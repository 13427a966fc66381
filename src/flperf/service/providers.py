"""The provider instances of one server: made on first use, closed together on shutdown."""

from __future__ import annotations

import threading
from pathlib import Path

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
                cls = provider_class(name)
                # Foundry keeps its files in the data folder; other providers need nothing.
                instance = cls(home=self._home) if issubclass(cls, FoundryProvider) else cls()
                self._instances[name] = instance
            return instance

    @property
    def foundry(self) -> FoundryProvider:
        provider = self.get("foundry")
        assert isinstance(provider, FoundryProvider)
        return provider

    def started(self, name: str) -> Provider | None:
        """The instance of `name` if one was made already (never makes one)."""
        with self._lock:
            return self._instances.get(name)

    def close(self) -> None:
        """Close every provider (Foundry stops the hosts it started)."""
        with self._lock:
            instances, self._instances = list(self._instances.values()), {}
        for instance in instances:
            instance.close()
