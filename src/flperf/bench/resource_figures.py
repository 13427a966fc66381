"""What resource sampling yields and what it is summarised to, as pure data and functions.

`ResourceSample` is one reading, `summarize` turns a window of samples into the time-weighted
figures of a `MonitorSummary`. Nothing here samples anything (that is `flperf.bench.monitor`,
which needs psutil and NVML), so the store and reports can read samples without the sampler.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, computed_field

__all__ = ["Mark", "MonitorSummary", "ResourceSample", "energy_per_token", "summarize"]


@dataclass(frozen=True, slots=True)
class ResourceSample:
    """One reading. Rate figures (CPU %) cover the interval since the previous sample.

    `t_ns` comes from `time.perf_counter_ns()` (the clock of every benchmark interval);
    `wall_time` is Unix seconds, for display only.
    """

    t_ns: int
    wall_time: float = 0.0
    cpu_percent: float | None = None
    """System CPU busy %, 0-100 over all logical cores."""
    ram_percent: float | None = None
    """System RAM in use, % of total."""
    proc_cpu_percent: float | None = None
    """CPU of the watched process trees, % of one core (two busy cores = 200)."""
    proc_rss_mb: float | None = None
    """Sum of RSS over the watched process trees, MiB (shared pages count once per process)."""
    proc_count: int | None = None
    """Live processes in the watched trees."""
    gpu_util_percent: float | None = None
    """NVML GPU utilisation %, mean over devices."""
    gpu_mem_used_mb: float | None = None
    """NVML memory in use, MiB, summed over devices."""
    gpu_power_w: float | None = None
    """NVML board power draw, W, summed over devices."""
    cpu_energy_j: float | None = None
    """RAPL package energy accumulated since the monitor started, J (wrap-around resolved)."""


@dataclass(frozen=True, slots=True)
class Mark:
    """A named instant recorded with `ResourceMonitor.mark`."""

    name: str
    t_ns: int
    wall_time: float


class MonitorSummary(BaseModel):
    """Resource figures over one window. Means are time-weighted; None means not measured."""

    model_config = ConfigDict(frozen=True)

    window_s: float = Field(0.0, description="Length of the summarised window, seconds.")
    sample_count: int = Field(0, description="Samples taken inside the window.")
    cpu_avg: float | None = Field(None, description="System CPU busy %, 0-100 over all cores.")
    ram_avg: float | None = Field(None, description="System RAM in use, % of total.")
    gpu_avg: float | None = Field(None, description="GPU utilisation %; None without a GPU.")
    proc_cpu_avg: float | None = Field(
        None, description="Server process tree CPU, % of one core (2 busy cores = 200)."
    )
    proc_cpu_peak: float | None = Field(
        None, description="Highest per-sample tree CPU, % of one core."
    )
    proc_rss_avg_mb: float | None = Field(None, description="Server process tree RSS, MiB.")
    proc_rss_peak_mb: float | None = Field(None, description="Highest tree RSS, MiB.")
    gpu_mem_peak_mb: float | None = Field(None, description="Highest GPU memory in use, MiB.")
    gpu_power_avg_w: float | None = Field(None, description="GPU board power, W.")
    energy_j: float | None = Field(None, description="CPU package energy (RAPL) in the window, J.")
    gpu_energy_j: float | None = Field(None, description="GPU energy (integrated power), J.")
    sampler_cpu_percent: float | None = Field(
        None, description="CPU used by the sampler thread itself, % of one core over its life."
    )
    sources_unavailable: list[str] = Field(
        default_factory=list, description="Sources with no reading in the window."
    )

    @computed_field(  # type: ignore[prop-decorator]
        description="CPU package plus GPU energy, J; None when neither is measured."
    )
    @property
    def total_energy_j(self) -> float | None:
        parts = [e for e in (self.energy_j, self.gpu_energy_j) if e is not None]
        return sum(parts) if parts else None


def energy_per_token(summary: MonitorSummary, output_tokens: int) -> float | None:
    """Joules per output token (CPU package + GPU energy); None when unmeasured or no tokens."""
    total = summary.total_energy_j
    if total is None or output_tokens <= 0:
        return None
    return total / output_tokens


# Source name -> the sample field whose presence shows that source delivered data.
_SOURCE_FIELDS: dict[str, str] = {
    "system_cpu": "cpu_percent",
    "system_ram": "ram_percent",
    "process": "proc_rss_mb",
    "gpu": "gpu_util_percent",
    "gpu_memory": "gpu_mem_used_mb",
    "gpu_power": "gpu_power_w",
    "rapl": "cpu_energy_j",
}


def summarize(
    samples: Sequence[ResourceSample], start_ns: int | None = None, end_ns: int | None = None
) -> MonitorSummary:
    """Summarise samples over [start_ns, end_ns] (perf_counter_ns; defaults: first/last sample).

    Sample i stands for the interval (t[i-1], t[i]]; its weight is that interval clipped to the
    window, so a window that cuts a sampling interval counts only the overlapping part. The first
    sample is a zero-width baseline. When nothing has weight (a single sample), the samples inside
    the window are averaged plainly. Energy is the RAPL counter interpolated at the window edges.
    """
    ordered = sorted(samples, key=lambda s: s.t_ns)
    if not ordered:
        return MonitorSummary(sources_unavailable=list(_SOURCE_FIELDS))
    lo = ordered[0].t_ns if start_ns is None else start_ns
    hi = ordered[-1].t_ns if end_ns is None else end_ns
    hi = max(hi, lo)

    weights: list[int] = []
    for i, s in enumerate(ordered):
        begin = ordered[i - 1].t_ns if i else s.t_ns
        weights.append(max(0, min(s.t_ns, hi) - max(begin, lo)))
    inside = [lo <= s.t_ns <= hi or w > 0 for s, w in zip(ordered, weights, strict=True)]
    window = [s for s, keep in zip(ordered, inside, strict=True) if keep]

    def mean(name: str) -> float | None:
        pairs = [
            (v, w)
            for s, w, keep in zip(ordered, weights, inside, strict=True)
            if keep and (v := getattr(s, name)) is not None
        ]
        total = sum(w for _, w in pairs)
        if total > 0:
            return sum(v * w for v, w in pairs) / total
        return sum(v for v, _ in pairs) / len(pairs) if pairs else None

    def peak(name: str) -> float | None:
        values = [v for s in window if (v := getattr(s, name)) is not None]
        return max(values) if values else None

    gpu_energy = None
    powered = [
        (s.gpu_power_w, w)
        for s, w in zip(ordered, weights, strict=True)
        if s.gpu_power_w is not None
    ]
    if powered and sum(w for _, w in powered) > 0:
        gpu_energy = sum(p * w for p, w in powered) / 1e9

    return MonitorSummary(
        window_s=(hi - lo) / 1e9,
        sample_count=sum(1 for s in ordered if lo <= s.t_ns <= hi),
        cpu_avg=mean("cpu_percent"),
        ram_avg=mean("ram_percent"),
        gpu_avg=mean("gpu_util_percent"),
        proc_cpu_avg=mean("proc_cpu_percent"),
        proc_cpu_peak=peak("proc_cpu_percent"),
        proc_rss_avg_mb=mean("proc_rss_mb"),
        proc_rss_peak_mb=peak("proc_rss_mb"),
        gpu_mem_peak_mb=peak("gpu_mem_used_mb"),
        gpu_power_avg_w=mean("gpu_power_w"),
        energy_j=_counter_delta(ordered, lo, hi),
        gpu_energy_j=gpu_energy,
        sources_unavailable=[
            name
            for name, attr in _SOURCE_FIELDS.items()
            if all(getattr(s, attr) is None for s in window)
        ],
    )


def _counter_delta(ordered: Sequence[ResourceSample], lo: int, hi: int) -> float | None:
    """RAPL energy between lo and hi, interpolating the cumulative counter (clamped to its span)."""
    points = [(s.t_ns, s.cpu_energy_j) for s in ordered if s.cpu_energy_j is not None]
    if len(points) < 2:
        return None

    def at(t: int) -> float:
        if t <= points[0][0]:
            return points[0][1]
        for (t0, e0), (t1, e1) in itertools.pairwise(points):
            if t <= t1:
                return e0 + (e1 - e0) * (t - t0) / (t1 - t0) if t1 > t0 else e1
        return points[-1][1]

    return at(hi) - at(lo)
