"""The figures reports show, how each is read from a result, and how numbers are written.

Figures only point at fields of `ResultMetrics` (where every metric is defined, with its unit);
nothing here computes a metric. Descriptions shown as tooltips come from that schema.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from flperf.bench.metrics import ResultMetrics, Summary
from flperf.bench.monitor import MonitorSummary

TAIL_STATS = ("p90", "p95", "p99", "max")
"""Summary statistics that are unreliable on small samples (see `Summary.small_sample`)."""

Better = Literal["lower", "higher"]


@dataclass(frozen=True)
class Figure:
    """One figure of a result: a field of `ResultMetrics`, optionally one statistic of it."""

    label: str
    unit: str
    field: str
    stat: str | None = None
    better: Better | None = None

    def value(self, result: ResultMetrics) -> float | None:
        """The figure's value for `result` (None when not measured)."""
        if self.field not in ResultMetrics.model_fields:  # a resource figure
            return _number(getattr(result.resources, self.field, None))
        value = getattr(result, self.field)
        if self.stat is not None:
            value = getattr(value, self.stat, None)
        return _number(value)

    def small_sample(self, result: ResultMetrics) -> bool:
        """True when this figure is a tail computed from too few samples."""
        summary = getattr(result, self.field, None)
        return self.stat in TAIL_STATS and isinstance(summary, Summary) and summary.small_sample

    @property
    def heading(self) -> str:
        """Column heading: label and unit."""
        return f"{self.label} {self.unit}".strip()

    @property
    def description(self) -> str:
        """What the figure means, from the schema that defines it."""
        return field_description(self.field)


def field_description(name: str) -> str:
    """The schema description of a field of `ResultMetrics` or `MonitorSummary`."""
    info = ResultMetrics.model_fields.get(name) or MonitorSummary.model_fields.get(name)
    return (info.description or "") if info is not None else ""


def _summary(label: str, unit: str, field: str, stat: str, better: Better) -> Figure:
    return Figure(f"{label} {stat}", unit, field, stat, better)


KEY_FIGURES: tuple[Figure, ...] = (
    _summary("TTFT", "ms", "ttft_ms", "p50", "lower"),
    _summary("TTFT", "ms", "ttft_ms", "p95", "lower"),
    _summary("ITL", "ms", "itl_ms", "p50", "lower"),
    _summary("e2e", "ms", "e2e_ms", "p50", "lower"),
    _summary("e2e", "ms", "e2e_ms", "p95", "lower"),
    _summary("e2e", "ms", "e2e_ms", "p99", "lower"),
    Figure("Output", "tok/s", "tps", better="higher"),
    _summary("Decode", "tok/s", "gen_tps", "p50", "higher"),
    Figure("Errors", "%", "error_rate", better="lower"),
    Figure("Timeouts", "%", "timeout_rate", better="lower"),
    Figure("CPU", "%", "cpu_avg"),
    Figure("RAM", "%", "ram_avg"),
)
"""The headline figures of a result (Markdown tables, the HTML key-figure tables)."""

SERVER_FIGURES: tuple[Figure, ...] = (
    Figure("Requests", "req/s", "request_throughput", better="higher"),
    Figure("Server CPU", "% of a core", "proc_cpu_avg"),
    Figure("Server RSS peak", "MiB", "proc_rss_peak_mb"),
    Figure("GPU", "%", "gpu_avg"),
)
"""Figures the HTML key tables add to `KEY_FIGURES`."""

DISTRIBUTION_LABELS: dict[str, tuple[str, str]] = {
    "ttft_ms": ("TTFT", "ms"),
    "e2e_ms": ("End-to-end latency", "ms"),
    "itl_ms": ("ITL (TPOT)", "ms"),
    "gen_tps": ("Decode speed", "tok/s"),
    "output_tokens": ("Output tokens", "tokens"),
    "dispatch_delay_ms": ("Dispatch delay", "ms"),
}

SCALAR_LABELS: dict[str, tuple[str, str]] = {
    "requests_attempted": ("Requests attempted", ""),
    "successful_iterations": ("Requests ok", ""),
    "requests_failed": ("Requests failed", ""),
    "requests_timeout": ("Requests timed out", ""),
    "requests_cancelled": ("Requests cancelled", ""),
    "warmup_requests": ("Warm-up requests", ""),
    "error_rate": ("Error rate", "%"),
    "timeout_rate": ("Timeout rate", "%"),
    "tps": ("Output throughput", "tok/s"),
    "request_throughput": ("Request throughput", "req/s"),
    "goodput": ("Goodput", "req/s"),
    "slo_pass_rate": ("Requests meeting every SLO", "%"),
    "ttft": ("TTFT p50", "ms"),
    "latency_p50": ("e2e p50", "ms"),
    "latency_p95": ("e2e p95", "ms"),
    "latency_p99": ("e2e p99", "ms"),
    "cold_ttft_ms": ("Cold-start TTFT", "ms"),
    "output_tokens_total": ("Output tokens", ""),
    "prompt_tokens_total": ("Prompt tokens", ""),
    "window_s": ("Measured window", "s"),
    "max_tokens": ("max_tokens", ""),
    "tokens_disagree": ("Token counts disagreeing", ""),
    "quality_checked": ("Answers checked", ""),
    "quality_passed": ("Answers passing the check", ""),
    "cpu_avg": ("System CPU", "%"),
    "ram_avg": ("System RAM", "%"),
    "gpu_avg": ("GPU utilisation", "%"),
    "energy_per_token_j": ("Energy per output token", "J/token"),
    "errors_by_kind": ("Failures by kind", ""),
    "token_sources": ("Token counts from", ""),
}

RESOURCE_LABELS: dict[str, tuple[str, str]] = {
    "proc_cpu_avg": ("Server CPU", "% of a core"),
    "proc_cpu_peak": ("Server CPU peak", "% of a core"),
    "proc_rss_avg_mb": ("Server RSS", "MiB"),
    "proc_rss_peak_mb": ("Server RSS peak", "MiB"),
    "gpu_mem_peak_mb": ("GPU memory peak", "MiB"),
    "gpu_power_avg_w": ("GPU power", "W"),
    "energy_j": ("CPU package energy", "J"),
    "gpu_energy_j": ("GPU energy", "J"),
    "total_energy_j": ("Total energy", "J"),
    "sample_count": ("Resource samples", ""),
    "sampler_cpu_percent": ("Sampler's own CPU", "% of a core"),
    "sources_unavailable": ("Sources unavailable", ""),
}
"""`MonitorSummary` fields shown besides the system averages already on `ResultMetrics`."""


def _is_model(annotation: Any, model: type[BaseModel]) -> bool:
    return model in typing.get_args(annotation) or annotation is model


def distribution_fields() -> list[str]:
    """Fields of `ResultMetrics` that hold a `Summary` (a distribution over requests)."""
    return [
        name
        for name, info in ResultMetrics.model_fields.items()
        if _is_model(info.annotation, Summary)
    ]


def distribution_label(field: str) -> tuple[str, str]:
    """Label and unit of a distribution field."""
    return DISTRIBUTION_LABELS.get(field, (field, ""))


def scalar_fields() -> list[str]:
    """Fields of `ResultMetrics` shown as single values (not summaries, not nested records)."""
    skip = {"model_id", "scenario", "resources", "slo_results", "trial_stats"}
    return [
        name
        for name in ResultMetrics.model_fields
        if name not in skip and not _is_model(ResultMetrics.model_fields[name].annotation, Summary)
    ]


def scalar_label(field: str) -> tuple[str, str]:
    """Label and unit of a scalar or resource field (its name when no label is set)."""
    return SCALAR_LABELS.get(field) or RESOURCE_LABELS.get(field) or (field, "")


# -- writing numbers ---------------------------------------------------------------------------

MISSING = "\u2013"
"""Written where a figure was not measured (an en dash)."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def number(value: Any, unit: str = "") -> str:
    """A figure as text: about three significant digits, thousands separated; MISSING if absent."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    x = _number(value)
    if x is None:
        return MISSING
    if unit == "%":
        return f"{x:.1f}"
    magnitude = abs(x)
    if magnitude == 0:
        return "0"
    if magnitude < 1:
        return f"{x:.3g}"
    if magnitude < 10:
        return f"{x:.2f}"
    if magnitude < 1000:
        return f"{x:.1f}"
    return f"{x:,.0f}"


def value_text(value: Any, unit: str = "") -> str:
    """Any result field as text: numbers via `number`, mappings as `key: value` lists."""
    if value is None:
        return MISSING
    if isinstance(value, dict):
        return ", ".join(f"{k}: {number(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, str):
        return value
    return number(value, unit)


def timestamp(unix_s: float | None) -> str:
    """Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`."""
    if unix_s is None:
        return MISSING
    return datetime.fromtimestamp(unix_s, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float | None) -> str:
    """A length of time in h/min/s."""
    if seconds is None:
        return MISSING
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s"
