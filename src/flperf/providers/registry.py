"""Providers by name: each is a small class registered with `@register_provider("name")`.

A provider knows how a configured model becomes an OpenAI-compatible endpoint the benchmark
can call (`start`), how to end that (`stop`) and how to ask whether it still works (`health`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from flperf.providers.errors import UnknownProviderError


@dataclass(frozen=True)
class ModelTarget:
    """A configured model: which provider serves it and what that provider needs to know."""

    provider: str
    model_id: str
    endpoint: str | None = None
    """Base URL of an external server (openai provider), e.g. ``http://127.0.0.1:11434``."""
    model_path: str | None = None
    """Folder of a bring-your-own model (foundry provider, LOCAL catalog)."""
    pid: int | None = None
    """PID of an external server, for resource attribution (openai provider)."""


@dataclass(frozen=True)
class ServedModel:
    """A model answering OpenAI-compatible requests."""

    model: str
    """The name to send as ``model`` in requests."""
    base_url: str
    """Root of the OpenAI API, ending in ``/v1``."""
    pid: int | None
    """Server process whose resources belong to this model, when known."""
    kind: str = "openai"
    """What serves it: ``flperf-host``, ``ollama``, ``foundry-0.8``, ``foundry``, ..."""


@dataclass(frozen=True)
class HealthReport:
    """Whether a served model works now."""

    alive: bool
    """The server process or endpoint answers."""
    model_loaded: bool
    """The model is loaded and ready."""
    answered: bool
    """A one-token completion came back."""
    latency_ms: float | None = None
    detail: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.alive and self.model_loaded and self.answered


class Provider(ABC):
    """Where models come from and how they are started."""

    name: ClassVar[str]

    @abstractmethod
    def start(self, target: ModelTarget, timeout_s: float = 60.0) -> ServedModel:
        """Make ``target`` answer requests and say where."""

    @abstractmethod
    def stop(self, target: ModelTarget, timeout_s: float = 5.0) -> None:
        """End what `start` began (no-op when nothing runs)."""

    @abstractmethod
    def health(self, target: ModelTarget) -> HealthReport:
        """Ask the served model whether it works."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release everything this provider holds (hosts, runtimes)."""


_REGISTRY: dict[str, type[Provider]] = {}
P = TypeVar("P", bound=type[Provider])


def register_provider(name: str) -> Callable[[P], P]:
    """Class decorator registering a provider under ``name``."""

    def decorate(cls: P) -> P:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def provider_class(name: str) -> type[Provider]:
    """The provider class registered as ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise UnknownProviderError(f"unknown provider {name!r} (known: {known})") from None


def provider_names() -> list[str]:
    return sorted(_REGISTRY)
