"""Providers by name: each is a small class registered with `@register_provider("name")`.

A provider knows how a configured model becomes an OpenAI-compatible endpoint the benchmark
can call (`start`), how to end that (`stop`), how to ask whether it still works (`health`),
whether it runs that server itself (`owns_server`; then `server` and `new_logs` tell about the
process), how to make the model available here (`prepare`), what a run records about it
(`run_facts`) and what loading and unloading it took (`ServedModel.lifecycle`, the facts `stop`
returns, `lifecycle`). The service layer reaches every provider through this interface only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from flperf.bench.lifecycle import ModelLifecycle
from flperf.endpoint_health import HealthReport
from flperf.providers.errors import UnknownProviderError

__all__ = [
    "HealthReport",
    "LogLine",
    "ModelTarget",
    "Preparation",
    "PreparationState",
    "Provider",
    "ServedModel",
    "ServerProcess",
    "provider_class",
    "provider_names",
    "register_provider",
]


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
    lifecycle: ModelLifecycle | None = None
    """What loading it took and cost, as far as the server tells (`cold_start`: the next
    request is the first after a load)."""


@dataclass(frozen=True)
class ServerProcess:
    """A server process a provider started for a target: where it answers and whether it runs."""

    served: ServedModel
    exit_status: int | None
    """None while it runs; its exit status once it ended (negative: killed by that signal)."""

    @property
    def alive(self) -> bool:
        return self.exit_status is None


class LogLine(Protocol):
    """One line a server process printed."""

    @property
    def time(self) -> float:
        """Unix seconds when it was read."""

    @property
    def level(self) -> str:
        """debug, info, warning, error or critical."""

    @property
    def message(self) -> str: ...

    @property
    def stream(self) -> str:
        """stdout or stderr."""


PreparationState = Literal["ready", "downloading", "failed", "cancelled"]


@dataclass(frozen=True)
class Preparation:
    """How far making a model available here has come (`Provider.prepare`)."""

    state: PreparationState
    percent: float
    """0-100."""
    error: str | None = None


class Provider(ABC):
    """Where models come from and how they are started."""

    name: ClassVar[str]
    owns_server: ClassVar[bool]
    """True when `start` runs the server process itself (and `stop` ends it); False when the
    server belongs to the user and `start`/`stop` only check it."""

    @abstractmethod
    def start(self, target: ModelTarget, timeout_s: float = 60.0) -> ServedModel:
        """Make ``target`` answer requests and say where.

        Raises a `ProviderError`; `ServerStartError` when a server process did not come up.
        """

    @abstractmethod
    def stop(self, target: ModelTarget, timeout_s: float = 5.0) -> ModelLifecycle | None:
        """End what `start` began (no-op when nothing runs); what stopping took (the unload),
        None when nothing was stopped."""

    @abstractmethod
    def health(self, target: ModelTarget) -> HealthReport:
        """Ask the served model whether it works."""

    @abstractmethod
    def server(self, target: ModelTarget) -> ServerProcess | None:
        """The server process this provider started for ``target`` (running or ended);
        None when it started none (always None unless `owns_server`)."""

    @abstractmethod
    def new_logs(self, target: ModelTarget) -> Sequence[LogLine]:
        """Lines ``target``'s server printed since the last call (also the last lines of one
        that `stop` just ended); empty when this provider started no server for it."""

    @abstractmethod
    def prepare(self, target: ModelTarget) -> Preparation:
        """Make ``target`` available here (a download runs in the background) and say how far
        that is; raises a `ProviderError` when it cannot be."""

    @abstractmethod
    def prepare_status(self, target: ModelTarget) -> Preparation:
        """How far `prepare` has come (``ready`` when nothing is left to do)."""

    @abstractmethod
    def run_facts(self, target: ModelTarget) -> dict[str, Any]:
        """What a run's fingerprint records about ``target`` (exact variant, execution
        provider, files, endpoint...); raises a `ProviderError` when it cannot be told."""

    def lifecycle(self, target: ModelTarget) -> ModelLifecycle:
        """What this provider can tell now about loading and unloading ``target`` (never
        raises; `unavailable` says what it cannot tell and why)."""
        reason = f"the {self.name} provider tells nothing about loading models"
        return ModelLifecycle(
            unavailable={group: reason for group in ("download", "load", "memory", "unload")}
        )

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release everything this provider holds (hosts, runtimes)."""


_REGISTRY: dict[str, type[Provider]] = {}
P = TypeVar("P", bound=type[Provider])


def register_provider(name: str) -> Callable[[P], P]:
    """Class decorator registering a provider under ``name``."""

    def decorate(cls: P) -> P:
        if not isinstance(getattr(cls, "owns_server", None), bool):
            raise TypeError(f"provider {name!r} must set owns_server (True or False)")
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
