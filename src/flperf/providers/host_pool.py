"""What the ``foundry`` provider needs from the manager of its host processes.

The provider serves each started model from a host process, but never imports the code that
runs them: whoever builds the provider passes a `HostPool` (`flperf.host.HostManager` is one),
so ``flperf.host`` may depend on ``flperf.providers`` and never the other way round.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from flperf.bench.lifecycle import ModelLifecycle
from flperf.endpoint_health import HealthReport
from flperf.providers.registry import LogLine


class ServingHost(Protocol):
    """A started host process serving one model (running or ended)."""

    @property
    def model_id(self) -> str:
        """The full model id it serves (an alias resolved)."""

    @property
    def base_url(self) -> str:
        """OpenAI API root, ending in ``/v1``."""

    @property
    def pid(self) -> int: ...

    @property
    def alive(self) -> bool: ...

    @property
    def returncode(self) -> int | None:
        """Exit status once the process ended (negative: killed by that signal), else None."""

    @property
    def logs(self) -> Iterable[LogLine]:
        """The lines it printed, oldest first (the newest few thousand)."""

    @property
    def lifecycle(self) -> ModelLifecycle | None:
        """What starting it took (load time, memory after the load) and, once it was stopped,
        what stopping took (unload); None until it is ready."""

    def health(self) -> HealthReport:
        """Alive, model loaded, and a one-token request answered."""


class HostPool(Protocol):
    """Host processes by model id: started on demand, all stopped on `close`."""

    def start(
        self,
        model_id: str,
        model_path: Path | str | None = None,
        port: int = 0,
        timeout_s: float = 60.0,
    ) -> ServingHost:
        """The running host of ``model_id``, started now when there is none (or it died);
        raises `ServerStartError` when it does not come up."""

    def get(self, model_id: str) -> ServingHost | None:
        """The host started for ``model_id`` (alive or not) until it is stopped."""

    def handles(self) -> Sequence[ServingHost]:
        """Every host started and not stopped yet (alive or not), each once."""

    def stop(self, model_id: str, timeout_s: float = 5.0) -> int | None:
        """Stop the host of ``model_id``; its exit status, None when there was none."""

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop every host."""
