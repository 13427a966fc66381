"""The run document: one typed description of a run, whoever measured it.

`flperf bench --json` writes it, the server assembles it from the store, and every exporter and
the CLI's report command read it. It holds the run (`RunInfo`: what was asked, where it ran, how it
ended), its results (aggregates per model and scenario, plus each model's `*` row), every request
record and the resource samples, so any figure can be recomputed from it.

Timestamps of the run are Unix seconds as spec/api.md gives them (`duration_s` keeps the exact
length); request and sample times are milliseconds on the run's own time axis.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from flperf.bench.fingerprint import Fingerprint
from flperf.bench.lifecycle import LifecycleRow, ModelLifecycle, lifecycle_rows
from flperf.bench.metrics import ResultMetrics
from flperf.bench.records import RequestRecord
from flperf.bench.resource_figures import ResourceSample
from flperf.bench.run_config import RunConfig

ALL_SCENARIOS = "*"
"""The `scenario` of a result that covers every scenario of one model."""


class RunState(StrEnum):
    """Where a run is: queued -> running -> completed | failed | cancelled | interrupted."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        """True once the run can change no more."""
        return self not in (RunState.QUEUED, RunState.RUNNING)


FINISHED_STATES: frozenset[RunState] = frozenset(s for s in RunState if s.finished)


def new_run_id() -> str:
    """A fresh run id such as `run_3f9a0c1b2d4e5f60` (the store's id shape)."""
    return f"run_{secrets.token_hex(8)}"


class ProgressDetail(BaseModel):
    """How far a run is, in requests."""

    done: int = Field(ge=0, description="Requests finished (warm-up included)")
    total: int = Field(ge=0, description="Requests planned")
    ok: int | None = Field(default=None, description="Finished successfully (live runs only)")
    failed: int | None = Field(default=None, description="Ended in error or timeout (live)")

    @property
    def percent(self) -> float:
        """done / total as a percentage, 0-100."""
        return min(100.0, 100.0 * self.done / self.total) if self.total else 100.0


def _whole_seconds(value: Any) -> Any:
    return int(value) if isinstance(value, float) else value


class RunInfo(BaseModel):
    """A benchmark run: what was asked, on what, and how it ended (the `run` of spec/api.md)."""

    id: str | None = Field(description="`run_<hex>`; None only in documents of old CLI versions")
    suite_name: str
    suite_version: str | None = None
    model_ids: list[str]
    model_aliases: list[str | None] = Field(
        description="Each model's alias at run time, in `model_ids` order"
    )
    endpoint: str | None = Field(
        default=None, description="Server all models were called on (`flperf bench --endpoint`)"
    )
    machine: str | None = Field(
        default=None,
        description="Name of the machine it was measured on (`FLPERF_MACHINE_NAME` or the host "
        "name); runs of many machines can share one database",
    )
    config: RunConfig = Field(description="The run's settings (`timeout` in ms)")
    hardware_info: Fingerprint | None = Field(
        default=None, description="The machine and each model's exact variant"
    )
    status: RunState
    error: str | None = Field(default=None, description="Why the run failed, when it did")
    created_at: int = Field(description="Unix seconds")
    started_at: int | None = Field(default=None, description="Unix seconds")
    completed_at: int | None = Field(default=None, description="Unix seconds")
    duration_s: float | None = Field(default=None, description="Measured start to end, seconds")
    scenarios: list[str] = Field(default_factory=list, description="Scenarios run, in order")
    workload_hash: str | None = Field(
        default=None, description="Same hash = same work asked (suite content + load settings)"
    )
    sweep_id: str | None = Field(
        default=None, description="The sweep this run is a point of (`sweep_<hex>`)"
    )
    lifecycle: dict[str, ModelLifecycle] = Field(
        default_factory=dict,
        description="Each model's lifecycle in this run, by model id: whether the run started "
        "(and loaded) it, load time, memory after load, unload time, download",
    )
    progress: float = Field(default=0.0, description="Percent of planned requests done, 0-100")
    progress_detail: ProgressDetail = Field(
        default_factory=lambda: ProgressDetail(done=0, total=0),
        description="Requests done and planned (ok and failed while live)",
    )

    @model_validator(mode="before")
    @classmethod
    def _older_shapes(cls, data: Any) -> Any:
        """Read what earlier versions wrote: float timestamps, aliases by id, no created_at."""
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        for key in ("created_at", "started_at", "completed_at"):
            data[key] = _whole_seconds(data.get(key))
        if data.get("created_at") is None:
            data["created_at"] = data.get("started_at") or 0
        data.setdefault("id", None)
        ids = [str(m) for m in data.get("model_ids") or []]
        aliases = data.get("model_aliases")
        if isinstance(aliases, Mapping):
            data["model_aliases"] = [aliases.get(m) for m in ids]
        elif aliases is None:
            data["model_aliases"] = list(ids)
        if isinstance(data.get("progress"), Mapping):  # the object of earlier versions
            detail = data.pop("progress")
            data.setdefault("progress_detail", {k: detail.get(k) for k in ("done", "total")})
        if data.get("suite_name") is None and data.get("suite") is not None:
            data["suite_name"] = data["suite"]
        data.pop("suite", None)
        return data

    def alias(self, model_id: str) -> str | None:
        """The alias `model_id` had at run time."""
        for mid, alias in zip(self.model_ids, self.model_aliases, strict=False):
            if mid == model_id:
                return alias
        return None


class ResultEntry(ResultMetrics):
    """One result of the run with the model's alias at run time."""

    model_alias: str | None = Field(default=None, description="The model's alias at run time")
    error: str | None = Field(
        default=None, description="Why the scenario could not run at all (e.g. model start)"
    )


class SampleEntry(BaseModel):
    """One resource sample; `t_ms` is on the run's time axis (as requests' `start_ms`)."""

    model_config = ConfigDict(from_attributes=True)

    model_id: str
    t_ms: float
    wall_time: float
    cpu_percent: float | None = None
    ram_percent: float | None = None
    proc_cpu_percent: float | None = None
    proc_rss_mb: float | None = None
    proc_count: int | None = None
    gpu_util_percent: float | None = None
    gpu_mem_used_mb: float | None = None
    gpu_power_w: float | None = None
    cpu_energy_j: float | None = None

    @classmethod
    def from_sample(cls, model_id: str, sample: ResourceSample, ref_ns: int) -> SampleEntry:
        """`sample` of `model_id` placed on the run axis whose origin is `ref_ns`."""
        readings = {name: getattr(sample, name) for name in READINGS}
        return cls(
            model_id=model_id,
            t_ms=(sample.t_ns - ref_ns) / 1e6,
            wall_time=sample.wall_time,
            **readings,
        )

    def sample(self) -> ResourceSample:
        """Back to a `ResourceSample` with `t_ns` on the run axis (origin 0)."""
        readings = {name: getattr(self, name) for name in READINGS}
        return ResourceSample(t_ns=int(self.t_ms * 1e6), wall_time=self.wall_time, **readings)


READINGS: tuple[str, ...] = tuple(
    name for name in SampleEntry.model_fields if name not in ("model_id", "t_ms", "wall_time")
)
"""Readings a sample carries (the fields of `ResourceSample` besides its clocks)."""


def _to_record(value: Any) -> RequestRecord:
    if isinstance(value, RequestRecord):
        return value
    if not isinstance(value, Mapping):
        raise ValueError("a request record is an object")
    try:
        return RequestRecord.from_dict(dict(value))
    except KeyError as exc:
        raise ValueError(f"a request record has no {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a request record ({exc})") from None


Record = Annotated[
    RequestRecord,
    PlainValidator(_to_record),
    PlainSerializer(lambda r: r.to_dict(), return_type=dict),
    WithJsonSchema({"type": "object", "description": "A RequestRecord (flperf.bench.records)"}),
]


class DocumentError(ValueError):
    """A run document that cannot be read, with a message naming the part that is wrong."""


class RunDocument(BaseModel):
    """Everything about one run: `{"run", "results", "requests", "samples"}`."""

    run: RunInfo
    results: list[ResultEntry] = Field(default_factory=list)
    requests: list[Record] = Field(default_factory=list)
    samples: list[SampleEntry] = Field(default_factory=list)

    @classmethod
    def parse(cls, data: bytes | str | Mapping[str, Any]) -> RunDocument:
        """Read a document (JSON text or data); raises `DocumentError` naming the bad part."""
        try:
            raw = orjson.loads(data) if isinstance(data, bytes | str) else data
        except orjson.JSONDecodeError as exc:
            raise DocumentError(f"not valid JSON ({exc})") from None
        if not isinstance(raw, Mapping):
            raise DocumentError("a run document is a JSON object")
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "document"
            raise DocumentError(f"{where}: {err['msg'].removeprefix('Value error, ')}") from None

    def to_json(self) -> bytes:
        """The document as JSON bytes (indented, stable key order, no NaN)."""
        data = self.model_dump(mode="json")
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)

    def lifecycle_rows(self) -> list[LifecycleRow]:
        """Each model's lifecycle in the run beside its first (cold or not) and warm TTFT."""
        summaries = [r for r in self.results if r.scenario == ALL_SCENARIOS]
        return lifecycle_rows(
            self.run.model_ids, self.run.model_aliases, self.run.lifecycle, summaries
        )

    def samples_by_model(self) -> dict[str, list[ResourceSample]]:
        """Samples per model, ordered in time, `t_ns` on the run axis (origin 0)."""
        out: dict[str, list[ResourceSample]] = {}
        for entry in self.samples:
            out.setdefault(entry.model_id, []).append(entry.sample())
        for series in out.values():
            series.sort(key=lambda s: s.t_ns)
        return out
