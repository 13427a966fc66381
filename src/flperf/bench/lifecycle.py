"""Model lifecycle: what bringing a model up and down cost, measured where it happens.

A `ModelLifecycle` gathers facts from whoever knows them: the Foundry host process times its
runtime start and `model.load()` and reads its own memory right after the load (its readiness
line), and times `model.unload()` when it stops gracefully; the parent that started it times the
whole start (spawn to ready) and stop; the foundry provider times the downloads it runs; an Ollama
server says which models it holds in memory and how much (`/api/ps`). A fact nobody could tell is
None, and `unavailable` says why, per group of facts.

The service keeps each model's latest facts; a run records each model's facts as they were for
that run, with whether the run loaded it (`cold_start`). Cold and warm TTFT are result metrics
(`cold_ttft_ms`: the first request's, `warm_ttft_ms`: the rest's median); `lifecycle_rows` puts
facts and metrics together and is the one place that decides whether a first request was cold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # the host imports this module; it need not load numpy for a type
    from flperf.bench.metrics import ResultMetrics

__all__ = [
    "FACT_GROUPS",
    "FactGroup",
    "LifecycleRow",
    "ModelLifecycle",
    "lifecycle_rows",
]

FactGroup = Literal["download", "load", "memory", "unload"]
FACT_GROUPS: dict[FactGroup, str] = {
    "download": "download_ms",
    "load": "load_ms",
    "memory": "memory_after_load_mb",
    "unload": "unload_ms",
}
"""Each group of facts and the field whose presence means the group is known."""


class ModelLifecycle(BaseModel):
    """Facts about loading and unloading one model; None where they could not be told."""

    model_config = ConfigDict(extra="ignore")  # a newer flperf's facts read back without error

    source: str | None = Field(
        default=None,
        description="What told these facts: `flperf-host` (the Foundry host process and the "
        "server that started it), `ollama` (its /api/ps), `openai` (a server that tells none)",
    )
    started_for_run: bool | None = Field(
        default=None,
        description="Per run: flperf started the model's server for this run (False: it was "
        "already serving, or the server is the user's)",
    )
    cold_start: bool | None = Field(
        default=None,
        description="Per run: the model was loaded for this run, so its first request was the "
        "first after the load (False: it was already loaded; None: unknown)",
    )
    startup_ms: float | None = Field(
        default=None,
        description="Starting the model's server until it answered ready, ms (process spawn, "
        "runtime start and model load, on the clock of the process that started it)",
    )
    runtime_init_ms: float | None = Field(
        default=None, description="Starting the Foundry Local runtime inside the host, ms"
    )
    load_ms: float | None = Field(
        default=None, description="Loading the model into the runtime (`model.load()`), ms"
    )
    memory_after_load_mb: float | None = Field(
        default=None,
        description="Resident memory of the host process right after the model loaded, MiB "
        "(Ollama: the memory /api/ps reports for the loaded model)",
    )
    loaded_at: float | None = Field(default=None, description="When the load ended, Unix s")
    unload_ms: float | None = Field(
        default=None,
        description="Unloading the model when its host stopped gracefully (`model.unload()`), ms",
    )
    stop_ms: float | None = Field(
        default=None,
        description="Asking the model's server to stop until it exited, ms (the parent's clock)",
    )
    unloaded_at: float | None = Field(default=None, description="When it stopped, Unix s")
    download_ms: float | None = Field(
        default=None, description="Downloading the model's files (a download flperf ran), ms"
    )
    download_mb: float | None = Field(
        default=None, description="Size of the model's files on disk (what a download fetches), MiB"
    )
    downloaded_at: float | None = Field(default=None, description="When it ended, Unix s")
    unavailable: dict[FactGroup, str] = Field(
        default_factory=dict,
        description="Why a group of facts (download, load, memory, unload) is missing",
    )

    def known(self, group: FactGroup) -> bool:
        """True when the group's main fact is known."""
        return getattr(self, FACT_GROUPS[group]) is not None

    def merged(self, newer: ModelLifecycle | None) -> ModelLifecycle:
        """These facts updated with the ones `newer` knows; a reason a group is missing is kept
        only while the group is still unknown (`newer`'s reason first)."""
        if newer is None:
            return self
        values = self.model_dump(exclude={"unavailable"})
        values.update(newer.model_dump(exclude={"unavailable"}, exclude_none=True))
        merged = ModelLifecycle.model_validate(values)
        reasons = {**self.unavailable, **newer.unavailable}
        merged.unavailable = {g: why for g, why in reasons.items() if not merged.known(g)}
        return merged

    def without_run_flags(self) -> ModelLifecycle:
        """A copy without `started_for_run` and `cold_start` (facts read after a model's turn
        must not change what was true when the turn began)."""
        return self.model_copy(update={"started_for_run": None, "cold_start": None})

    def with_reason(self, group: FactGroup, reason: str) -> ModelLifecycle:
        """A copy that says why `group` is missing (nothing changes when it is known)."""
        if self.known(group):
            return self
        return self.model_copy(update={"unavailable": {**self.unavailable, group: reason}})


class LifecycleRow(BaseModel):
    """One model of a run: its lifecycle facts beside its cold and warm TTFT."""

    model_id: str
    alias: str | None = None
    source: str | None = None
    started_for_run: bool | None = Field(description="flperf started the model for this run")
    cold_start: bool | None = Field(
        description="The run's first request to the model was the first after its load"
    )
    startup_ms: float | None = None
    load_ms: float | None = None
    memory_after_load_mb: float | None = None
    unload_ms: float | None = None
    download_ms: float | None = None
    download_mb: float | None = None
    first_ttft_ms: float | None = Field(
        default=None, description="TTFT of the model's first request in the run, ms"
    )
    cold_ttft_ms: float | None = Field(
        default=None,
        description="TTFT of the first request after the load, ms: the first request's when "
        "the start was cold, None otherwise",
    )
    warm_ttft_ms: float | None = Field(
        default=None, description="Median TTFT of the requests after the first, ms"
    )
    unavailable: dict[str, str] = Field(
        default_factory=dict,
        description="Why facts are missing, by group; `cold` when the first request was not "
        "a cold start",
    )


def lifecycle_rows(
    model_ids: Sequence[str],
    aliases: Sequence[str | None],
    facts: Mapping[str, ModelLifecycle],
    summaries: Sequence[ResultMetrics],
) -> list[LifecycleRow]:
    """One row per model of a run (in run order): facts from `facts` (by model id), the first
    and warm TTFT from each model's result over all scenarios (`summaries`)."""
    by_model = {s.model_id: s for s in summaries}
    rows = []
    for index, model_id in enumerate(model_ids):
        lifecycle = facts.get(model_id) or ModelLifecycle()
        summary = by_model.get(model_id)
        first = summary.cold_ttft_ms if summary else None
        reasons: dict[str, str] = {str(g): why for g, why in lifecycle.unavailable.items()}
        if lifecycle.cold_start is False:
            reasons["cold"] = "the model was already loaded: its first request was not a cold start"
        elif lifecycle.cold_start is None:
            reasons["cold"] = "unknown whether the model was loaded for this run"
        rows.append(
            LifecycleRow(
                model_id=model_id,
                alias=aliases[index] if index < len(aliases) else None,
                source=lifecycle.source,
                started_for_run=lifecycle.started_for_run,
                cold_start=lifecycle.cold_start,
                startup_ms=lifecycle.startup_ms,
                load_ms=lifecycle.load_ms,
                memory_after_load_mb=lifecycle.memory_after_load_mb,
                unload_ms=lifecycle.unload_ms,
                download_ms=lifecycle.download_ms,
                download_mb=lifecycle.download_mb,
                first_ttft_ms=first,
                cold_ttft_ms=first if lifecycle.cold_start else None,
                warm_ttft_ms=summary.warm_ttft_ms if summary else None,
                unavailable=reasons,
            )
        )
    return rows
