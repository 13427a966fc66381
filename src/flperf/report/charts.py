"""Plotly chart specifications of a run: plain `{"data", "layout"}` dicts, numbers kept numbers.

Charts only lay out figures of the results and per-request values of the records; none computes a
metric. Every user string that reaches Plotly (model and scenario names) goes through `plot_text`,
because Plotly reads a few HTML-like tags in labels; categorical axes are typed `category` so that
names such as `1.5` or `2024-01-01` stay names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flperf.bench.metrics import ResultMetrics
from flperf.bench.records import RequestRecord
from flperf.report.document import ALL_SCENARIOS, RunReport
from flperf.report.figures import distribution_label

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#9c755f",
    "#ff9da7",
    "#bab0ac",
)
"""One colour per model, the same in every chart."""

POINTS_LIMIT = 2000
"""Above this many requests in a distribution trace, only outliers are drawn as points."""


def plot_text(text: str) -> str:
    """A user string made literal for Plotly labels (which treat `<b>`, `<br>`... as markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Chart:
    """One chart: where it goes, what it shows, and its Plotly data; `note` when omitted."""

    id: str
    title: str
    caption: str
    data: list[dict[str, Any]] = field(default_factory=list)
    layout: dict[str, Any] = field(default_factory=dict)
    note: str | None = None

    @property
    def rendered(self) -> bool:
        """True when there is something to draw."""
        return self.note is None

    def spec(self) -> dict[str, Any]:
        """What the page script passes to `Plotly.newPlot`."""
        return {"id": self.id, "data": self.data, "layout": self.layout}


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "autosize": True,
        "height": 380,
        "margin": {"t": 16, "r": 16, "b": 64, "l": 64},
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "hoverlabel": {"namelength": -1},
    }
    layout.update(extra)
    return layout


def _axis(title: str, **extra: Any) -> dict[str, Any]:
    axis: dict[str, Any] = {
        "title": {"text": title},
        "gridcolor": "#e6e6e6",
        "zerolinecolor": "#cccccc",
        "automargin": True,
    }
    axis.update(extra)
    return axis


def _category_axis(title: str = "") -> dict[str, Any]:
    return _axis(title, type="category", gridcolor="rgba(0,0,0,0)")


class _Colours:
    def __init__(self, report: RunReport) -> None:
        self._index = {model: i for i, model in enumerate(report.models)}

    def __call__(self, model_id: str) -> str:
        return PALETTE[self._index.get(model_id, 0) % len(PALETTE)]


def _row_labels(report: RunReport, rows: Sequence[ResultMetrics]) -> list[Any]:
    """Labels of a horizontal chart with one row per result: scenario, or [scenario, model]."""
    scenarios = [plot_text(r.scenario) for r in rows]
    if len({r.model_id for r in rows}) < 2:
        return scenarios
    return [scenarios, [plot_text(report.name(r.model_id)) for r in rows]]


def _row_axis(labels: list[Any]) -> dict[str, Any]:
    kind = "multicategory" if labels and isinstance(labels[0], list) else "category"
    return _axis("", type=kind, autorange="reversed", gridcolor="rgba(0,0,0,0)")


def _rows_height(rows: int, per_row: int = 44) -> int:
    return max(300, 110 + per_row * rows)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def throughput_chart(report: RunReport) -> Chart:
    """Output tokens/s of each model per scenario and over all scenarios."""
    colour = _Colours(report)
    scenarios = [*report.scenarios, ALL_SCENARIOS]
    labels = [plot_text(s) if s != ALL_SCENARIOS else "all scenarios" for s in scenarios]
    data = []
    for model in report.models:
        values = [
            (r.tps if (r := report.result(model, s)) is not None else None) for s in scenarios
        ]
        if all(v is None for v in values):
            continue
        data.append(
            {
                "type": "bar",
                "name": plot_text(report.name(model)),
                "x": labels,
                "y": [_round(v, 2) for v in values],
                "marker": {"color": colour(model)},
                "hovertemplate": "%{x}<br>%{y:.1f} tok/s",
            }
        )
    chart = Chart(
        "chart-throughput",
        "Output throughput",
        "System output tokens/s of successful requests over each measured window.",
    )
    if not data:
        return _omitted(chart, "No request succeeded, so there is no throughput to show.")
    layout = _layout(
        barmode="group", xaxis=_category_axis(), yaxis=_axis("tokens/s", rangemode="tozero")
    )
    return Chart(chart.id, chart.title, chart.caption, data, layout)


def latency_chart(report: RunReport) -> Chart:
    """End-to-end latency p50/p95/p99 per scenario (and per model when there are several)."""
    rows = [r for r in report.scenario_results if r.e2e_ms is not None]
    chart = Chart(
        "chart-latency",
        "End-to-end latency percentiles",
        "p50, p95 and p99 of end-to-end latency over successful requests. A hollow bar marks "
        "a tail computed from fewer than 20 requests.",
    )
    if not rows:
        return _omitted(chart, "No request succeeded, so there is no latency to show.")
    y = _row_labels(report, rows)
    data = []
    for stat, colour in (("p50", "#4e79a7"), ("p95", "#f28e2b"), ("p99", "#e15759")):
        values = [getattr(r.e2e_ms, stat) if r.e2e_ms else None for r in rows]
        hollow = [bool(r.e2e_ms and r.e2e_ms.small_sample and stat != "p50") for r in rows]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": stat,
                "x": [_round(v, 3) for v in values],
                "y": y,
                "marker": {
                    "color": ["#ffffff" if h else colour for h in hollow],
                    "line": {"color": colour, "width": 1.5},
                },
                "hovertemplate": f"{stat} %{{x:.1f}} ms<extra></extra>",
            }
        )
    layout = _layout(
        barmode="group",
        height=_rows_height(len(rows)),
        xaxis=_axis("ms", rangemode="tozero"),
        yaxis=_row_axis(y),
    )
    return Chart(chart.id, chart.title, chart.caption, data, layout)


def _values(records: list[RequestRecord], field_name: str) -> list[float]:
    return [v for r in records if r.ok and (v := getattr(r, field_name)) is not None]


def distribution_chart(report: RunReport, field_name: str, chart_id: str) -> Chart:
    """Box plot of one per-request figure (`ttft_ms`, `itl_ms`...) per scenario and model."""
    label, unit = distribution_label(field_name)
    colour = _Colours(report)
    data = []
    for model in report.models:
        xs: list[str] = []
        ys: list[float | None] = []
        for scenario in report.scenarios:
            values = _values(report.measured(model, scenario), field_name)
            xs += [plot_text(scenario)] * len(values)
            ys += [_round(v) for v in values]
        if not ys:
            continue
        data.append(
            {
                "type": "box",
                "name": plot_text(report.name(model)),
                "x": xs,
                "y": ys,
                "boxpoints": "all" if len(ys) <= POINTS_LIMIT else "outliers",
                "jitter": 0.4,
                "pointpos": 0,
                "marker": {"color": colour(model), "size": 3, "opacity": 0.6},
                "line": {"color": colour(model), "width": 1.5},
                "fillcolor": "rgba(0,0,0,0)",
                "hoverinfo": "y",
            }
        )
    chart = Chart(
        chart_id,
        f"{label} distribution",
        f"{label} of every successful measured request ({unit}); box: quartiles and median.",
    )
    if not data:
        return _omitted(chart, f"No request has a {label} value.")
    layout = _layout(boxmode="group", xaxis=_category_axis(), yaxis=_axis(unit, rangemode="tozero"))
    return Chart(chart.id, chart.title, chart.caption, data, layout)


def latency_throughput_chart(report: RunReport) -> Chart:
    """Each (model, scenario) as a point: output tokens/s against e2e latency p50."""
    colour = _Colours(report)
    data = []
    for model in report.models:
        rows = [
            r
            for r in report.scenario_results
            if r.model_id == model and r.tps is not None and r.latency_p50 is not None
        ]
        if not rows:
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": plot_text(report.name(model)),
                "x": [_round(r.tps, 3) for r in rows],
                "y": [_round(r.latency_p50, 3) for r in rows],
                "text": [plot_text(r.scenario) for r in rows],
                "marker": {
                    "color": colour(model),
                    "size": 11,
                    "line": {"width": 1, "color": "#fff"},
                },
                "hovertemplate": "%{text}<br>%{x:.1f} tok/s, p50 %{y:.1f} ms",
            }
        )
    chart = Chart(
        "chart-latency-throughput",
        "Latency against throughput",
        "One point per model and scenario: output tokens/s against end-to-end latency p50.",
    )
    if not data:
        return _omitted(chart, "No request succeeded, so there is nothing to plot.")
    layout = _layout(
        xaxis=_axis("output tokens/s", rangemode="tozero"),
        yaxis=_axis("e2e latency p50, ms", rangemode="tozero"),
    )
    return Chart(chart.id, chart.title, chart.caption, data, layout)


_RESOURCE_SERIES: tuple[tuple[str, str, str, str], ...] = (
    # (sample field, label, y axis, dash)
    ("cpu_percent", "system CPU %", "y", "solid"),
    ("ram_percent", "system RAM %", "y", "dot"),
    ("gpu_util_percent", "GPU %", "y", "dash"),
    ("proc_cpu_percent", "server CPU, % of a core", "y2", "solid"),
    ("proc_rss_mb", "server RSS MiB", "y3", "solid"),
    ("gpu_mem_used_mb", "GPU memory MiB", "y3", "dash"),
)


def resources_chart(report: RunReport) -> Chart:
    """System and server-process readings over the run's time axis, in three stacked panels."""
    colour = _Colours(report)
    chart = Chart(
        "chart-resources",
        "Resources over time",
        "Readings of the background sampler, seconds since the run started. Top: system CPU, "
        "RAM and GPU %; middle: the model server's CPU (% of one core); bottom: memory in MiB. "
        "Shaded: measured windows.",
    )
    data = []
    for model in report.models:
        samples = report.samples.get(model, [])
        times = [round(s.t_ns / 1e9, 4) for s in samples]
        for field_name, label, yaxis, dash in _RESOURCE_SERIES:
            values = [getattr(s, field_name) for s in samples]
            if all(v is None for v in values):
                continue
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{plot_text(report.name(model))} · {label}",
                    "legendgroup": plot_text(report.name(model)),
                    "x": times,
                    "y": [_round(v, 3) for v in values],
                    "yaxis": yaxis,
                    "line": {"color": colour(model), "dash": dash, "width": 1.5},
                }
            )
    if not data:
        return _omitted(chart, "No resource samples were recorded for this run.")
    shapes = []
    for model in report.models:
        for scenario in report.scenarios:
            records = report.measured(model, scenario)
            if records:
                shapes.append(
                    {
                        "type": "rect",
                        "xref": "x",
                        "yref": "paper",
                        "x0": round(min(r.start_ms for r in records) / 1000, 4),
                        "x1": round(max(r.end_ms for r in records) / 1000, 4),
                        "y0": 0,
                        "y1": 1,
                        "fillcolor": colour(model),
                        "opacity": 0.07,
                        "line": {"width": 0},
                        "layer": "below",
                    }
                )
    layout = _layout(
        height=520,
        xaxis=_axis("seconds since the run started", anchor="y3"),
        yaxis=_axis("%", domain=[0.68, 1], rangemode="tozero"),
        yaxis2=_axis("server CPU %", domain=[0.36, 0.62], rangemode="tozero"),
        yaxis3=_axis("MiB", domain=[0, 0.3], rangemode="tozero"),
        shapes=shapes,
        hovermode="x unified",
    )
    return Chart(chart.id, chart.title, chart.caption, data, layout)


def failures_chart(report: RunReport) -> Chart:
    """Failed requests by kind, stacked per (model, scenario)."""
    rows = [r for r in report.scenario_results if r.errors_by_kind]
    chart = Chart(
        "chart-failures",
        "Failures by kind",
        "Measured requests that ended in an error or a timeout, by kind.",
    )
    if not rows:
        return _omitted(chart, "No measured request failed.")
    kinds: dict[str, None] = {}
    for r in rows:
        kinds.update(dict.fromkeys(r.errors_by_kind))
    y = _row_labels(report, rows)
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": plot_text(kind),
            "x": [r.errors_by_kind.get(kind, 0) for r in rows],
            "y": y,
            "marker": {"color": PALETTE[(i + 3) % len(PALETTE)]},
            "hovertemplate": f"{plot_text(kind)}: %{{x}}<extra></extra>",
        }
        for i, kind in enumerate(kinds)
    ]
    layout = _layout(
        barmode="stack",
        height=_rows_height(len(rows), per_row=30),
        xaxis=_axis("requests", rangemode="tozero"),
        yaxis=_row_axis(y),
    )
    return Chart(chart.id, chart.title, chart.caption, data, layout)


def _omitted(chart: Chart, note: str) -> Chart:
    return Chart(chart.id, chart.title, chart.caption, note=note)


def build_charts(report: RunReport) -> list[Chart]:
    """Every chart of the report, in page order (omitted ones carry a note)."""
    return [
        throughput_chart(report),
        latency_chart(report),
        distribution_chart(report, "ttft_ms", "chart-ttft"),
        distribution_chart(report, "itl_ms", "chart-itl"),
        latency_throughput_chart(report),
        failures_chart(report),
        resources_chart(report),
    ]
