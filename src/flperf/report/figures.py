"""How reports write numbers, times and durations.

Which figures a report shows, with their labels, units and directions, is the metric catalogue's
(`flperf.bench.metric_catalog`); how each is computed is `ResultMetrics`'. Nothing here computes
a metric.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from flperf.bench.metric_catalog import distribution


def distribution_label(field: str) -> tuple[str, str]:
    """Label and unit of a distribution (a `Summary` field), from the metric catalogue."""
    entry = distribution(field)
    return entry.label, entry.unit


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
