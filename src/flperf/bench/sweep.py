"""Sweeps: one model measured at increasing load until it stops keeping up; pure functions only.

A sweep measures a model at a series of loads on one axis, `concurrency` (a closed loop) or
`rate` (requests/s, an open loop), each point an ordinary run. The series is a list, a geometric
series (start, x factor, up to max) or `auto`: that geometric scan, then bisection around what
the scan found. Scanning stops at the first point that

- misses an objective: an SLO of the base config (`ttft_p95_ms=500`...) judged over the point's
  successful requests, or an error rate above `max_error_rate`; or
- grows throughput by less than `min_gain_pct` percent over the point before it.

Definitions (every consumer reads these; none recomputes them):

throughput
    `tps` of the point's run summary (`*` row): output tokens/s of its successful requests over
    its measured window (DESIGN section 5).
scaling efficiency of a step
    from point a to the next point b: e = (T_b / T_a - 1) / (L_b / L_a - 1), throughput gain
    relative to load gain. 1 when throughput grows in proportion to the load, 0 when it stays
    flat, negative when it falls.
knee
    the lowest measured load k from which no higher measured load scales with efficiency
    `knee_efficiency` (default 0.5) or more: going beyond k never again buys at least that share
    of the load increase in throughput. Not reached while the highest load still scales. A single
    noisy dip below the knee does not end the curve (a later point that scales from it moves the
    knee up). On a server that saturates sharply at a load K the knee lies within half the
    spacing of the points around K, so `auto` refines until neighbours are `resolution` apart
    (the knee within resolution/2 of K).
capacity under SLO
    the highest load whose point meets every objective while every lower point does too (a
    noisy pass above a failure is not believed). `capacity_bounded` says whether a failing load
    above it was measured; when not, the capacity is only a lower bound.
Pareto front
    across points of any models: a point is optimal when no other point has at least its
    throughput and at most its p95 TTFT with one of the two strictly better.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flperf.bench.metrics import ResultMetrics
from flperf.bench.run_config import (
    ClosedLoad,
    ConstantRateLoad,
    PoissonRateLoad,
    RunConfig,
    config_bounds,
)
from flperf.bench.run_document import RunState
from flperf.bench.stats import SloResult
from flperf.bench.strict_json import StrictJsonModel

Axis = Literal["concurrency", "rate"]
Mode = Literal["list", "geometric", "auto"]

MAX_POINTS = 64
"""Most points one model's sweep may measure."""
MAX_ITERATIONS = 100_000
"""A point's iterations after scaling never exceed a run's own limit."""


def _axis_bounds(axis: Axis) -> tuple[float, float]:
    bound = config_bounds()[axis]
    low = bound.minimum if bound.minimum is not None else bound.exclusive_minimum
    return float(low or 0), float(bound.maximum or math.inf)


def _round_rate(value: float) -> float:
    """A rate to four significant figures (loads people can read and type back)."""
    if value <= 0:
        return value
    digits = 3 - math.floor(math.log10(value))
    return round(value, max(0, digits))


def load_text(load: float) -> str:
    """A load as written in tables: `8`, `12.5`."""
    return f"{load:g}"


def _published_sweep(schema: dict[str, Any]) -> None:
    """What a sweep's loads may be, by axis (concurrency: whole numbers) and by mode (a list
    has `loads`, a scan `start` and `max`), as the OpenAPI document gives it."""
    bounds: dict[Axis, tuple[float, float]] = {
        "concurrency": _axis_bounds("concurrency"),
        "rate": _axis_bounds("rate"),
    }

    def loads(axis: Axis) -> dict[str, Any]:
        low, high = bounds[axis]
        one: dict[str, Any] = {"type": "integer" if axis == "concurrency" else "number"}
        one.update(minimum=low, maximum=high)
        nullable = {"anyOf": [one, {"type": "null"}]}
        return {
            "properties": {
                "loads": {"anyOf": [{"type": "array", "items": one}, {"type": "null"}]},
                "start": nullable,
                "max": nullable,
            }
        }

    schema["allOf"] = [
        {
            "if": {"properties": {"axis": {"const": "rate"}}, "required": ["axis"]},
            "then": loads("rate"),
            "else": loads("concurrency"),
        },
        {
            "if": {"properties": {"mode": {"const": "list"}}, "required": ["mode"]},
            "then": {
                "required": ["loads"],
                "properties": {
                    "loads": {"type": "array", "minItems": 1},
                    "start": {"type": "null"},
                    "max": {"type": "null"},
                },
            },
            "else": {
                "required": ["start", "max"],
                "properties": {
                    "loads": {"type": "null"},
                    "start": {"type": "number"},
                    "max": {"type": "number"},
                },
            },
        },
    ]


class SweepSettings(StrictJsonModel):
    """How a sweep chooses its loads and when it stops (the base `RunConfig` says the rest)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_published_sweep)

    axis: Axis = Field(
        default="concurrency",
        description="`concurrency` (closed loop, requests in flight) or `rate` (requests/s, "
        "open loop; arrivals, seed and in-flight cap from the base config's load)",
    )
    mode: Mode = Field(
        default="auto",
        description="`list` (the given loads), `geometric` (start x factor up to max) or "
        "`auto` (that scan, then bisection around the knee and the SLO boundary)",
    )
    loads: list[float] | None = Field(
        default=None,
        max_length=MAX_POINTS,
        description="The loads of a `list` sweep (measured in increasing order, each once)",
        json_schema_extra={"uniqueItems": True},
    )
    start: float | None = Field(default=None, gt=0, description="First load (geometric, auto)")
    factor: float = Field(default=2.0, gt=1, le=10, description="Growth between scan loads")
    max: float | None = Field(
        default=None,
        gt=0,
        description="Highest scan load (geometric, auto); below start, only start is measured",
    )
    resolution: float = Field(
        default=0.1,
        ge=0.01,
        le=0.5,
        description="auto: bisect until neighbouring loads differ by at most this fraction",
    )
    min_gain_pct: float = Field(
        default=10.0,
        ge=0,
        le=100,
        description="Stop once throughput grows less than this percent over the previous "
        "point (0: never stop for that)",
    )
    max_error_rate: float = Field(
        default=1.0, ge=0, le=100, description="A point with more failed requests (%) fails"
    )
    knee_efficiency: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="A load step scales when its throughput gain is at least this share of "
        "its load gain; the knee is the lowest load beyond which no step from it scales",
    )
    max_points: int = Field(
        default=24, ge=1, le=MAX_POINTS, description="Most points measured per model"
    )
    scale_iterations: bool = Field(
        default=True,
        description="Each point sends iterations x load measured requests per scenario: "
        "`iterations` rounds of a closed loop, about `iterations` seconds of an open loop",
    )

    @model_validator(mode="before")
    @classmethod
    def _loads_in_order(cls, data: Any) -> Any:
        """A list's loads are measured in increasing order, each once, however given."""
        if isinstance(data, dict) and isinstance(data.get("loads"), list):
            loads = data["loads"]
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in loads):
                data = {**data, "loads": sorted(set(loads))}
        return data

    @model_validator(mode="after")
    def _series_fits(self) -> SweepSettings:
        low, high = _axis_bounds(self.axis)
        integral = self.axis == "concurrency"

        def check(name: str, value: float) -> None:
            if not low <= value <= high or (self.axis == "rate" and value <= 0):
                raise ValueError(f"{name}: {load_text(value)} is outside {low:g}..{high:g}")
            if integral and not float(value).is_integer():
                raise ValueError(f"{name}: a concurrency is a whole number, got {value:g}")

        if self.mode == "list":
            if not self.loads:
                raise ValueError("loads: a list sweep needs at least one load")
            for i, value in enumerate(self.loads):
                check(f"loads[{i}]", value)
            if self.start is not None or self.max is not None:
                raise ValueError("start and max apply to geometric and auto sweeps, not lists")
            return self
        if self.loads is not None:
            raise ValueError("loads apply to list sweeps only")
        if self.start is None:
            raise ValueError(f"start: a {self.mode} sweep needs its first load")
        if self.max is None:
            raise ValueError(f"max: a {self.mode} sweep needs its highest load")
        check("start", self.start)
        check("max", self.max)
        return self

    @property
    def integral(self) -> bool:
        """Whether loads are whole numbers (concurrency)."""
        return self.axis == "concurrency"

    def scan_loads(self) -> list[float]:
        """The loads measured in order before any refinement."""
        if self.mode == "list":
            return [float(v) for v in self.loads or []]
        assert self.start is not None and self.max is not None
        out: list[float] = []
        value = self.start
        top = max(self.max, self.start)  # a max below start: only start is measured
        while value <= top * (1 + 1e-9) and len(out) < MAX_POINTS:
            load = float(round(value)) if self.integral else _round_rate(value)
            if not out or load > out[-1]:
                out.append(load)
            value *= self.factor
        return out

    def point_config(self, base: RunConfig, load: float) -> RunConfig:
        """The run settings of the point at `load`: the base config with its load replaced (and
        its iterations scaled when `scale_iterations`)."""
        current = base.load
        new_load: ClosedLoad | ConstantRateLoad | PoissonRateLoad
        if self.axis == "concurrency":
            new_load = ClosedLoad(concurrency=int(load))
        elif isinstance(current, PoissonRateLoad | ConstantRateLoad):
            new_load = current.model_copy(update={"rate": load})
        else:
            new_load = ConstantRateLoad(rate=load)
        iterations = base.iterations
        if self.scale_iterations:
            iterations = min(MAX_ITERATIONS, math.ceil(base.iterations * load))
        data = base.model_dump(mode="json", exclude={"load", "concurrency"})
        data.update(iterations=iterations, load=new_load.model_dump(mode="json"))
        return RunConfig.model_validate(data)

    def highest_load(self) -> float:
        """The largest load the scan may ask for (refinement stays below it)."""
        return max(self.scan_loads())


def load_of(config: RunConfig, axis: Axis) -> float | None:
    """The load of a run on `axis` (None when the run's load is of the other kind)."""
    load = config.load
    if axis == "concurrency":
        return float(load.concurrency) if isinstance(load, ClosedLoad) else None
    return None if isinstance(load, ClosedLoad) else float(load.rate)


class SweepPoint(BaseModel):
    """One measured load: its run and the figures the sweep judges it by."""

    load: float = Field(description="Concurrency or request rate of the point")
    run_id: str | None = Field(description="The point's run (an ordinary run)")
    status: RunState = Field(description="How the point's run ended")
    tps: float | None = Field(description="Throughput, output tokens/s (the run's `*` row)")
    request_throughput: float | None = Field(description="Successful requests/s")
    ttft_p95_ms: float | None = Field(description="Time to first token, p95, ms")
    e2e_p95_ms: float | None = Field(description="End-to-end latency, p95, ms")
    itl_p95_ms: float | None = Field(description="Inter-token latency, p95, ms")
    error_rate: float = Field(description="Failed / attempted requests, percent")
    requests: int = Field(description="Measured requests attempted")
    slo_results: list[SloResult] = Field(
        default_factory=list, description="Each SLO judged over the point's successful requests"
    )
    passed: bool = Field(description="Every SLO met and the error rate within the limit")
    failures: list[str] = Field(default_factory=list, description="Why the point failed")
    gain_pct: float | None = Field(
        default=None, description="Throughput change over the previous point, percent"
    )
    efficiency: float | None = Field(
        default=None, description="Scaling efficiency of the step from the previous point"
    )

    @classmethod
    def of(
        cls,
        load: float,
        summary: ResultMetrics | None,
        settings: SweepSettings,
        run_id: str | None,
        status: RunState,
    ) -> SweepPoint:
        """The point at `load` from its run's summary (`*` row; None when nothing was measured)."""
        if summary is None:
            return cls(
                load=load,
                run_id=run_id,
                status=status,
                tps=None,
                request_throughput=None,
                ttft_p95_ms=None,
                e2e_p95_ms=None,
                itl_p95_ms=None,
                error_rate=100.0,
                requests=0,
                passed=False,
                failures=["nothing was measured"],
            )
        failures = [
            f"{r.slo.metric} {r.slo.percentile} "
            + (f"{r.observed_ms:.1f} ms > {r.slo.threshold_ms:g} ms" if r.n else "not measured")
            for r in summary.slo_results or []
            if r.met is not True
        ]
        if summary.successful_iterations == 0:
            failures.append("no request succeeded")
        elif summary.error_rate > settings.max_error_rate:
            failures.append(
                f"error rate {summary.error_rate:.1f} % > {settings.max_error_rate:g} %"
            )
        return cls(
            load=load,
            run_id=run_id,
            status=status,
            tps=summary.tps,
            request_throughput=summary.request_throughput,
            ttft_p95_ms=summary.ttft_ms.p95 if summary.ttft_ms else None,
            e2e_p95_ms=summary.latency_p95,
            itl_p95_ms=summary.itl_ms.p95 if summary.itl_ms else None,
            error_rate=summary.error_rate,
            requests=summary.requests_attempted,
            slo_results=list(summary.slo_results or []),
            passed=not failures,
            failures=failures,
        )

    @property
    def complete(self) -> bool:
        """Whether the point's run measured everything it planned."""
        return self.status is RunState.COMPLETED


# --- analysis -------------------------------------------------------------------------------


def scaling_efficiency(before: SweepPoint, after: SweepPoint) -> float | None:
    """(T_after / T_before - 1) / (L_after / L_before - 1); None without both throughputs."""
    if not before.tps or after.tps is None or after.load <= before.load:
        return None
    return (after.tps / before.tps - 1) / (after.load / before.load - 1)


def _curve(points: Sequence[SweepPoint]) -> list[SweepPoint]:
    """Completed points by load, each with its gain and efficiency over the one before."""
    ordered = sorted((p for p in points if p.complete), key=lambda p: p.load)
    out: list[SweepPoint] = []
    for point in ordered:
        before = out[-1] if out else None
        gain = None
        if before is not None and before.tps and point.tps is not None:
            gain = (point.tps / before.tps - 1) * 100
        efficiency = scaling_efficiency(before, point) if before is not None else None
        out.append(point.model_copy(update={"gain_pct": gain, "efficiency": efficiency}))
    return out


def knee_index(curve: Sequence[SweepPoint], threshold: float) -> int | None:
    """Index in `curve` (ordered by load) of the knee, or None: the lowest point from which no
    higher point scales with efficiency `threshold` or more (at least one higher point)."""
    for k in range(len(curve) - 1):
        if curve[k].tps is None:
            return None  # throughput fell to nothing: no scaling curve beyond
        steps = (scaling_efficiency(curve[k], later) for later in curve[k + 1 :])
        if all(e is None or e < threshold for e in steps):
            return k
    return None


def capacity_index(curve: Sequence[SweepPoint]) -> tuple[int | None, bool]:
    """Index of the capacity under SLO in `curve` and whether a failing load bounds it."""
    last = None
    for i, point in enumerate(curve):
        if not point.passed:
            return last, True
        last = i
    return last, False


class SweepAnalysis(BaseModel):
    """What one model's sweep found."""

    points: list[SweepPoint] = Field(description="Completed points by load (curve order)")
    capacity: float | None = Field(
        description="Capacity under SLO: highest load meeting every objective, every lower "
        "load meeting them too"
    )
    capacity_bounded: bool = Field(
        description="A failing load above the capacity was measured (else a lower bound)"
    )
    capacity_run_id: str | None = None
    knee: float | None = Field(description="Load at the knee of the throughput curve")
    knee_run_id: str | None = None
    knee_tps: float | None = Field(default=None, description="Throughput at the knee, tokens/s")
    max_tps: float | None = Field(default=None, description="Highest throughput measured")


def analyse(points: Sequence[SweepPoint], settings: SweepSettings) -> SweepAnalysis:
    """Capacity under SLO and the knee of one model's points."""
    curve = _curve(points)
    cap, bounded = capacity_index(curve)
    knee = knee_index(curve, settings.knee_efficiency)
    values = [p.tps for p in curve if p.tps is not None]
    return SweepAnalysis(
        points=curve,
        capacity=curve[cap].load if cap is not None else None,
        capacity_bounded=bounded,
        capacity_run_id=curve[cap].run_id if cap is not None else None,
        knee=curve[knee].load if knee is not None else None,
        knee_run_id=curve[knee].run_id if knee is not None else None,
        knee_tps=curve[knee].tps if knee is not None else None,
        max_tps=max(values) if values else None,
    )


# --- choosing the next load -----------------------------------------------------------------


class SweepStep(BaseModel):
    """What to measure next: `load`, or None with the reason the model's sweep is over."""

    load: float | None
    phase: Literal["scan", "refine", "done"]
    reason: str | None = None


def stop_reason(
    settings: SweepSettings, before: SweepPoint | None, point: SweepPoint
) -> str | None:
    """Why scanning stops at `point` (after `before`), or None to go on."""
    where = f"{settings.axis} {load_text(point.load)}"
    if not point.complete:
        return f"the run at {where} ended {point.status.value}"
    if not point.passed:
        return f"{'; '.join(point.failures)} at {where}"
    if settings.min_gain_pct > 0 and before is not None and before.tps and point.tps is not None:
        gain = (point.tps / before.tps - 1) * 100
        if gain < settings.min_gain_pct:
            return (
                f"throughput grew {gain:+.1f} % from {load_text(before.load)} to "
                f"{load_text(point.load)} (less than {settings.min_gain_pct:g} %)"
            )
    return None


def _between(settings: SweepSettings, low: float, high: float) -> float | None:
    """A load halfway from `low` to `high`, or None once they are `resolution` apart."""
    if (high - low) / low <= settings.resolution:
        return None
    if settings.integral:
        middle = float(math.floor((low + high) / 2))
    else:
        middle = _round_rate((low + high) / 2)
    return middle if low < middle < high else None


def _refinements(settings: SweepSettings, points: Sequence[SweepPoint]) -> list[float]:
    """Loads that would narrow the SLO boundary, then the knee, in that order."""
    curve = _curve(points)
    wanted: list[float] = []
    cap, bounded = capacity_index(curve)
    if cap is not None and bounded:
        middle = _between(settings, curve[cap].load, curve[cap + 1].load)
        if middle is not None:
            wanted.append(middle)
    knee = knee_index(curve, settings.knee_efficiency)
    if knee is not None:
        if knee > 0:
            middle = _between(settings, curve[knee - 1].load, curve[knee].load)
            if middle is not None:
                wanted.append(middle)
        middle = _between(settings, curve[knee].load, curve[knee + 1].load)
        if middle is not None:
            wanted.append(middle)
    return wanted


def next_step(settings: SweepSettings, points: Sequence[SweepPoint]) -> SweepStep:
    """The next load to measure given the points so far (of one model), or why to stop.

    A pure function of the points, so a sweep resumes from its stored runs: the scan walks the
    series until a point stops it; `auto` then bisects around the SLO boundary and the knee.
    """
    measured = {p.load: p for p in points}
    full = len(points) >= settings.max_points
    before: SweepPoint | None = None
    reason: str | None = None
    for load in settings.scan_loads():
        point = measured.get(load)
        if point is None:
            if full:
                break
            return SweepStep(load=load, phase="scan")
        reason = stop_reason(settings, before, point)
        if reason is not None:
            break
        before = point
    else:
        reason = f"reached the highest load ({load_text(settings.highest_load())})"
    wanted = []
    if settings.mode == "auto" and all(p.complete for p in points):
        wanted = [load for load in _refinements(settings, points) if load not in measured]
    if wanted and not full:
        return SweepStep(load=wanted[0], phase="refine")
    if full and (reason is None or wanted):
        reason = f"{settings.max_points} points measured (the most allowed)"
    return SweepStep(load=None, phase="done", reason=reason)


# --- across models --------------------------------------------------------------------------


def pareto_optimal(pairs: Sequence[tuple[float | None, float | None]]) -> list[bool]:
    """For (throughput, latency) pairs, whether each is on the Pareto front (higher throughput
    and lower latency are better; a pair missing either value is never optimal)."""
    out = []
    for i, (tps, latency) in enumerate(pairs):
        if tps is None or latency is None:
            out.append(False)
            continue
        dominated = any(
            j != i
            and other_tps is not None
            and other_latency is not None
            and other_tps >= tps
            and other_latency <= latency
            and (other_tps > tps or other_latency < latency)
            for j, (other_tps, other_latency) in enumerate(pairs)
        )
        out.append(not dominated)
    return out
