"""The knobs of a benchmark run, validated once and shared by the CLI, the API and the UI.

The load is a typed union: a closed loop at a fixed concurrency, or an open loop at a constant or
Poisson request rate (optionally capped in flight). The flat keys of spec/api.md's `config`
(`concurrency`, and the older `rate`, `rate_mode`, `max_concurrency`, `seed`) are still accepted
on input and turned into that union, so stored runs and existing clients keep working.

Bounds are declared once, on the fields below; `config_bounds()` hands them to the web UI and the
CLI and API validate with the same model. Which fields change the work a run asks for (and so
its `workload_hash`) is declared on the schema too: every field counts unless marked otherwise.
"""

from __future__ import annotations

import hashlib
import json
import math
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal, cast

import annotated_types
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    computed_field,
    field_validator,
    model_validator,
)

from flperf.bench.stats import Slo, parse_slo
from flperf.bench.strict_json import StrictJsonModel

Concurrency = Annotated[int, Field(ge=1, le=1024, description="Requests in flight at once")]
Rate = Annotated[float, Field(ge=0.001, le=100_000, description="Requests per second")]
InFlightCap = Annotated[
    int, Field(ge=1, le=4096, description="Cap on requests in flight in an open loop")
]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, description="Seed of the Poisson arrivals")]

NOT_WORKLOAD: dict[str, Any] = {"x-workload": False}
"""`json_schema_extra` of a field that does not change the work a run asks for."""


def _kind_required(schema: dict[str, Any]) -> None:
    """A load names its kind (the tag of the union): required in the published schema."""
    schema["required"] = ["kind", *[r for r in schema.get("required", []) if r != "kind"]]


class ClosedLoad(StrictJsonModel):
    """A closed loop: `concurrency` requests in flight, each sent when the previous one ends."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_kind_required)

    kind: Literal["closed"] = "closed"
    concurrency: Concurrency = 1


class ConstantRateLoad(StrictJsonModel):
    """An open loop: one request every 1/rate seconds, whatever the server does."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_kind_required)

    kind: Literal["constant"] = "constant"
    rate: Rate
    max_concurrency: InFlightCap | None = None


class PoissonRateLoad(StrictJsonModel):
    """An open loop with Poisson arrivals at `rate` requests/s, reproducible from `seed`."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_kind_required)

    kind: Literal["poisson"] = "poisson"
    rate: Rate
    max_concurrency: InFlightCap | None = None
    seed: Seed = 0


Load = Annotated[ClosedLoad | ConstantRateLoad | PoissonRateLoad, Field(discriminator="kind")]
RateLoad = ConstantRateLoad | PoissonRateLoad
_LOAD_ADAPTER: TypeAdapter[ClosedLoad | ConstantRateLoad | PoissonRateLoad] = TypeAdapter(
    cast(Any, Load)  # an Annotated union, which TypeAdapter's stubs do not describe
)
_FLAT_LOAD_KEYS = ("concurrency", "rate", "rate_mode", "max_concurrency", "seed")


def _published_config(schema: dict[str, Any]) -> None:
    """What the OpenAPI document says of a config besides its fields: spec/api.md's flat
    `concurrency` as an input (a closed loop; not beside `load`), the scenario names the
    server's suites have, and the SLO grammar."""
    properties = schema.setdefault("properties", {})
    if "concurrency" not in properties:  # the input schema (output has the computed field)
        bound = _bounds_of(ClosedLoad.model_fields["concurrency"])
        properties["concurrency"] = {
            "type": "integer",
            "minimum": bound.minimum,
            "maximum": bound.maximum,
            "description": "spec/api.md's field: a closed loop at this concurrency (or give "
            "`load`, not both)",
        }
        schema["not"] = {"required": ["load", "concurrency"]}
    names = _scenario_names()
    scenarios = properties.get("scenarios", {})
    for branch in scenarios.get("anyOf", [scenarios]):
        if branch.get("type") == "array" and names:
            branch["items"] = {"type": "string", "enum": names}
            branch["uniqueItems"] = True
    slos = properties.get("slos", {})
    if slos.get("type") == "array":
        slos["items"] = {"type": "string", "pattern": SLO_PATTERN, "maxLength": 60}


def _scenario_names() -> list[str]:
    from flperf.bench.workload import list_suites

    names: dict[str, None] = {}
    for suite in list_suites():
        names.update(dict.fromkeys(s.name for s in suite.scenarios))
    return list(names)


SLO_PATTERN = (
    r"^(ttft|itl|tpot|e2e|latency)_(p50|p90|p95|p99)_ms="
    r"(0*[1-9][0-9]{0,11}(\.[0-9]{1,6})?|0*\.[0-9]{0,5}[1-9][0-9]{0,5})$"
)
"""The SLOs the OpenAPI document describes (`parse_slo` also takes upper case and spaces)."""


class RunConfig(StrictJsonModel):
    """How a suite is run against each model. Field names follow spec/api.md's `config`."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_published_config)

    iterations: int = Field(
        default=5, ge=1, le=100_000, description="Measured requests per scenario"
    )
    load: Load = Field(
        default_factory=ClosedLoad,
        description="Closed loop at a concurrency, or a constant / Poisson request rate",
    )
    warmup: int = Field(
        default=1, ge=0, le=1000, description="Warm-up requests per scenario (measured, excluded)"
    )
    timeout: int = Field(
        default=30_000,
        ge=100,
        le=3_600_000,
        description="Per-request timeout, ms",
        json_schema_extra=NOT_WORKLOAD,
    )
    temperature: float | None = Field(default=0.7, ge=0, le=2, description="Sampling temperature")
    max_tokens: int | None = Field(
        default=None, ge=1, le=32768, description="Overrides every scenario's max_tokens"
    )
    streaming: bool = Field(default=True, description="Stream responses (TTFT needs it)")
    trials: int = Field(default=1, ge=1, le=100, description="Repeats of each scenario")
    scenarios: list[str] | None = Field(
        default=None,
        description="Run only these scenarios of the suite",
        # The selected scenarios are part of the suite snapshot that the hash covers.
        json_schema_extra=NOT_WORKLOAD,
    )
    slos: list[str] = Field(
        default_factory=list,
        description="Service-level objectives such as 'ttft_p95_ms=500' (goodput, pass/fail)",
        json_schema_extra=NOT_WORKLOAD,
    )

    @model_validator(mode="before")
    @classmethod
    def _flat_load(cls, data: Any) -> Any:
        """Accept spec/api.md's flat `concurrency` (and the older rate keys) as the load."""
        if not isinstance(data, Mapping):
            return data
        flat = {k: data[k] for k in _FLAT_LOAD_KEYS if k in data}
        if not flat:
            return data
        rest = {k: v for k, v in data.items() if k not in _FLAT_LOAD_KEYS}
        derived = _load_from_flat(flat)
        if "load" in data:
            given = _validated_load(data["load"])
            if given is not None and derived is not None and not _flat_agrees(flat, given):
                raise ValueError(
                    "give the load either as 'load' or as flat keys "
                    f"({', '.join(sorted(flat))}), not both with different values"
                )
            return rest
        rest["load"] = derived
        return rest

    @field_validator("slos")
    @classmethod
    def _slos_parse(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_slo(text)  # raises ValueError naming what is wrong
        return value

    @computed_field(  # type: ignore[prop-decorator]
        description="Closed-loop concurrency (spec/api.md's field); for a rate, its in-flight cap"
    )
    @property
    def concurrency(self) -> int | None:
        load = self.load
        return load.concurrency if isinstance(load, ClosedLoad) else load.max_concurrency

    def parsed_slos(self) -> list[Slo]:
        """The SLOs as objects."""
        return [parse_slo(text) for text in self.slos]

    @property
    def timeout_s(self) -> float:
        """The per-request timeout in seconds."""
        return self.timeout / 1000.0

    @property
    def pool_size(self) -> int:
        """Connections a client keeps open for this load (0: no limit)."""
        load = self.load
        if isinstance(load, ClosedLoad):
            return load.concurrency
        return load.max_concurrency or 0

    def workload(self) -> dict[str, Any]:
        """The fields that change the work a run asks for, as JSON data."""
        keep = {name for name, info in type(self).model_fields.items() if _is_workload(info)}
        return self.model_dump(mode="json", include=keep)


def _is_workload(info: Any) -> bool:
    extra = info.json_schema_extra
    return not (isinstance(extra, dict) and extra.get("x-workload") is False)


def _load_from_flat(flat: Mapping[str, Any]) -> dict[str, Any] | None:
    """The load described by flat keys (None-valued keys mean their defaults)."""
    rate = flat.get("rate")
    mode = flat.get("rate_mode") or "constant"
    cap = flat.get("max_concurrency")
    concurrency = flat.get("concurrency")
    if rate is None:
        if cap is not None:
            raise ValueError("max_concurrency applies only with a request rate")
        return {"kind": "closed", "concurrency": 1 if concurrency is None else concurrency}
    if concurrency not in (None, 1, cap):
        raise ValueError(
            "concurrency applies to a closed loop; with a request rate use max_concurrency"
        )
    if mode not in ("constant", "poisson"):
        raise ValueError(f"rate_mode must be 'constant' or 'poisson', got {mode!r}")
    load: dict[str, Any] = {"kind": mode, "rate": rate, "max_concurrency": cap}
    if mode == "poisson" and flat.get("seed") is not None:
        load["seed"] = flat["seed"]
    return load


def _validated_load(value: Any) -> ClosedLoad | ConstantRateLoad | PoissonRateLoad | None:
    try:
        return _LOAD_ADAPTER.validate_python(value)
    except ValidationError:
        return None  # the field's own validation reports it


def _flat_agrees(flat: Mapping[str, Any], load: ClosedLoad | RateLoad) -> bool:
    """Whether flat keys sent beside `load` say the same (a dumped config read back)."""
    if isinstance(load, ClosedLoad):
        return flat.get("concurrency") in (None, load.concurrency) and flat.get("rate") is None
    return flat.get("concurrency") in (None, load.max_concurrency) and flat.get("rate") in (
        None,
        load.rate,
    )


def workload_hash(suite_json: Mapping[str, Any], config: RunConfig) -> str:
    """sha256 (hex) of the suite content plus `config.workload()`: same hash, same work asked.

    Canonical form: keys sorted, no whitespace, None values dropped (absent and null mean the
    same default), integral floats written as integers (1.0 == 1).
    """
    document = {"suite": _canonical(suite_json), "config": _canonical(config.workload())}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


class Bound(BaseModel):
    """Limits of one numeric setting, for forms."""

    minimum: int | float | None = None
    exclusive_minimum: int | float | None = None
    maximum: int | float | None = None


def _number(value: object) -> int | float:
    if isinstance(value, int | float):
        return value
    raise TypeError(f"a bound must be a number, got {value!r}")


def _constraints(info: Any) -> list[Any]:
    """A field's metadata, or that of the Annotated type inside its `X | None`."""
    if info.metadata:
        return list(info.metadata)
    found: list[Any] = []
    for arg in typing.get_args(info.annotation):
        for extra in getattr(arg, "__metadata__", ()):
            found += getattr(extra, "metadata", [extra])
    return found


def _bounds_of(info: Any) -> Bound:
    """The numeric limits declared on a field (its `Field(ge=..., gt=..., le=...)`)."""
    bound = Bound()
    for item in _constraints(info):
        if isinstance(item, annotated_types.Ge):
            bound.minimum = _number(item.ge)
        elif isinstance(item, annotated_types.Gt):
            bound.exclusive_minimum = _number(item.gt)
        elif isinstance(item, annotated_types.Le):
            bound.maximum = _number(item.le)
    return bound


def config_bounds() -> dict[str, Bound]:
    """The numeric limits of every setting (flat names: load fields included), one source."""
    out: dict[str, Bound] = {}
    for model in (RunConfig, ClosedLoad, ConstantRateLoad, PoissonRateLoad):
        for name, info in model.model_fields.items():
            bound = _bounds_of(info)
            if bound != Bound():
                out[name] = bound
    return out


def field_name(loc: tuple[int | str, ...]) -> str:
    """A validation error's location as the setting's name: the load's fields keep their flat
    names (`concurrency`, not `load.closed.concurrency`), since both spellings are accepted."""
    parts = [str(p) for p in loc]
    if parts[:1] == ["load"] and len(parts) >= 3:
        parts = parts[2:]
    return ".".join(parts)
