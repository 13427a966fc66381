"""The self-contained HTML report: one file with Plotly inlined, readable offline and in print.

The page's tables are prepared here as rows of text cells and laid out by a Jinja2 template with
autoescaping on, so every user string (model and scenario names, error messages) is escaped. Chart
data travels as JSON in a `<script type="application/json">` block written by `script_json`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2

import flperf
from flperf.bench.metric_catalog import DISTRIBUTIONS, TAIL_STATS, Metric, metrics, trial_label
from flperf.bench.metrics import SMALL_SAMPLE, ResultMetrics, Summary
from flperf.bench.run_document import RunDocument
from flperf.plotly_asset import plotly_js_path
from flperf.report.charts import build_charts
from flperf.report.context import (
    LIFECYCLE_COLUMNS,
    config_line,
    config_rows,
    failure_rows,
    fingerprint_rows,
    lifecycle_lines,
    slo_rows,
    trial_lines,
)
from flperf.report.document import ALL_SCENARIOS, RunReport, json_ready
from flperf.report.figures import MISSING, duration, number, timestamp
from flperf.report.registry import Exporter, register

SMALL_SAMPLE_NOTE = f"tail computed from fewer than {SMALL_SAMPLE} requests"
_SUMMARY_STATS = ("n", "mean", "stdev", "min", "p50", "p90", "p95", "p99", "max")


@functools.cache
def plotly_bundle() -> str:
    """`plotly.min.js` from the installed `plotly` package, safe to inline in a script element."""
    text = plotly_js_path().read_text("utf-8")  # raises PlotlyMissingError without plotly
    return text.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


def script_json(value: Any) -> str:
    """JSON that can sit inside an HTML `<script>` element: `<`, `>`, `&` and line separators
    are written as `\\u` escapes, so no `</script>` or `<!--` can end or confuse the element."""
    text = json.dumps(json_ready(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# -- tables as the template sees them -----------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, an explanation (tooltip), and how to mark it."""

    text: str
    title: str = ""
    small_sample: bool = False
    best: bool = False
    numeric: bool = True


@dataclass(frozen=True)
class Row:
    """Leading header cells (model, metric...) and the data cells."""

    headers: list[str]
    cells: list[Cell]
    title: str = ""


@dataclass(frozen=True)
class Heading:
    """A column heading: label, unit (shown under it) and what the column means."""

    label: str
    unit: str = ""
    title: str = ""


@dataclass(frozen=True)
class Table:
    """A table: column headings and rows; `row_headers` name the header cells leading each row."""

    caption: str
    headings: list[Heading]
    rows: list[Row]
    row_headers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """The tables of one scenario (or of all scenarios together)."""

    title: str
    anchor: str
    tables: list[Table]
    errors: list[tuple[str, str]]


def key_metrics() -> list[Metric]:
    """The HTML key tables' columns: the catalogue's `report` and `report_html` views."""
    return [m for m in metrics() if {"report", "report_html"} & set(m.views)]


def _metric_cell(metric: Metric, result: ResultMetrics, best: bool = False) -> Cell:
    small = metric.small_sample(result)
    return Cell(
        metric.text(result, number, MISSING) + ("*" if small else ""),
        SMALL_SAMPLE_NOTE if small else "",
        small_sample=small,
        best=best,
    )


def _best_models(report: RunReport, metric: Metric, results: Sequence[ResultMetrics]) -> set[str]:
    """Models holding the best value of `metric` (only when at least two models have one)."""
    values = [(r.model_id, v) for r in results if (v := metric.value(r)) is not None]
    if metric.better is None or len(values) < 2:
        return set()
    pick = min if metric.better == "lower" else max
    target = pick(v for _, v in values)
    return {m for m, v in values if v == target}


def key_table(report: RunReport, results: Sequence[ResultMetrics], caption: str) -> Table:
    """Headline figures, one row per model; the best value of each column marked."""
    columns = key_metrics()
    best = {m.key: _best_models(report, m, results) for m in columns}
    rows = [
        Row(
            [report.name(r.model_id)],
            [_metric_cell(m, r, r.model_id in best[m.key]) for m in columns],
        )
        for r in results
    ]
    headings = [Heading(m.label, m.unit, m.description) for m in columns]
    return Table(caption, headings, rows, ["model"])


def distribution_table(report: RunReport, results: Sequence[ResultMetrics]) -> Table:
    """Every per-request distribution (TTFT, e2e, ITL...) of every model, all statistics."""
    rows = []
    for result in results:
        for dist in DISTRIBUTIONS:
            summary = getattr(result, dist.field)
            if not isinstance(summary, Summary):
                continue
            cells = []
            for stat in _SUMMARY_STATS:
                small = summary.small_sample and stat in TAIL_STATS
                text = number(getattr(summary, stat))
                cells.append(
                    Cell(text + ("*" if small else ""), SMALL_SAMPLE_NOTE if small else "", small)
                )
            rows.append(
                Row(
                    [report.name(result.model_id), _label(dist.label, dist.unit)],
                    cells,
                    dist.description,
                )
            )
    headings = [Heading(s) for s in _SUMMARY_STATS]
    return Table("Distributions over successful requests", headings, rows, ["model", "figure"])


def all_figures_table(report: RunReport, results: Sequence[ResultMetrics]) -> Table:
    """Every other figure of the results (the catalogue's `report_detail` view), one row per
    figure and one column per model."""
    rows = []
    with_resources = any(r.resources is not None for r in results)
    for metric in metrics("report_detail"):
        if metric.path[0] == "resources" and not with_resources:
            continue
        cells = [Cell(metric.text(r, number, MISSING)) for r in results]
        rows.append(Row([_label(metric.label, metric.unit)], cells, metric.description))
    for result_index, result in enumerate(results):
        for slo in result.slo_results or []:
            cells = [Cell("") for _ in results]
            verdict = {True: "met", False: "missed", None: "no data"}[slo.met]
            cells[result_index] = Cell(f"{number(slo.observed_ms)} ms, {verdict}")
            rows.append(Row([f"SLO {slo.slo}"], cells))
    for result_index, result in enumerate(results):
        for metric_key, stats in (result.trial_stats or {}).items():
            cells = [Cell("") for _ in results]
            ci = f"[{number(stats.ci95_low)}, {number(stats.ci95_high)}]"
            spread = f"{number(stats.mean)} ± {number(stats.stdev)} (CV {number(stats.cv)})"
            cells[result_index] = Cell(f"{spread}, 95 % CI {ci}")
            rows.append(Row([f"Across {stats.n} trials: {trial_label(metric_key)}"], cells))
    headings = [Heading(report.name(r.model_id)) for r in results]
    return Table("Every figure", headings, rows, ["figure"])


def _label(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit else label


def sections(report: RunReport) -> list[Section]:
    """One section per scenario, then the per-model totals over all scenarios."""
    out = []
    for index, scenario in enumerate([*report.scenarios, ALL_SCENARIOS]):
        results = [r for r in report.results if r.scenario == scenario]
        title = "All scenarios" if scenario == ALL_SCENARIOS else scenario
        errors = [
            (report.name(model), message)
            for (model, name), message in report.result_errors.items()
            if name == scenario
        ]
        tables = []
        if results:
            tables = [
                key_table(report, results, "Key figures"),
                distribution_table(report, results),
                all_figures_table(report, results),
            ]
        out.append(Section(title, f"scenario-{index}", tables, errors))
    return out


def summary_facts(report: RunReport) -> list[tuple[str, str]]:
    """The run at a glance: what, when, how long, how it ended."""
    names = ", ".join(report.name(m) for m in report.models) or MISSING
    slos = slo_rows(report)
    missed = sum(1 for r in slos if r.met is False)
    slo_fact = [("SLOs", f"{missed} missed" if missed else "all met")] if slos else []
    return [
        ("Run", report.run_id or "(from a file)"),
        ("Suite", report.suite_name or MISSING),
        ("Status", report.status),
        ("Models", names),
        ("Scenarios", str(len(report.scenarios))),
        ("Requests recorded", f"{len(report.records):,}"),
        ("Started", timestamp(report.started_at)),
        ("Completed", timestamp(report.completed_at)),
        ("Duration", duration(report.duration_s)),
        *slo_fact,
    ]


def best_figures(report: RunReport) -> list[tuple[str, str, str]]:
    """(figure, best model(s), value) over all scenarios, when several models were measured."""
    totals = [t for m in report.models if (t := report.model_total(m)) is not None]
    out = []
    for metric in key_metrics():
        best = _best_models(report, metric, totals)
        if best:
            winner = next(t for t in totals if t.model_id in best)
            names = ", ".join(report.name(m) for m in report.models if m in best)
            value = f"{number(metric.value(winner), metric.unit)} {metric.unit}"
            out.append((f"{metric.label} ({metric.better} is better)", names, value))
    return out


@functools.cache
def lifecycle_table(report: RunReport) -> Table | None:
    """Each model's lifecycle in the run (None when no model has any lifecycle fact)."""
    lines = lifecycle_lines(report)
    if not lines:
        return None
    notes = {line.model_id: "; ".join(line.notes) for line in lines}
    return Table(
        caption="Each model's lifecycle in this run (n/a: its server does not tell; why below)",
        headings=[Heading(c.label, c.unit, c.description) for c in LIFECYCLE_COLUMNS],
        rows=[
            Row(
                [report.name(line.model_id)],
                [Cell(text) for text in line.cells],
                title=notes[line.model_id],
            )
            for line in lines
        ],
        row_headers=["model"],
    )


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("flperf.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: RunReport) -> str:
    """The complete report page for `report` (the same document always gives the same bytes)."""
    charts = build_charts(report)
    totals = [t for m in report.models if (t := report.model_total(m)) is not None]
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=f"{report.suite_name or 'Benchmark'} · {report.run_id or 'run'}",
        report=report,
        facts=summary_facts(report),
        best=best_figures(report),
        overview=key_table(report, totals, "Each model over all scenarios"),
        lifecycle=lifecycle_table(report),
        lifecycle_notes=[
            (report.name(line.model_id), note)
            for line in lifecycle_lines(report)
            for note in line.notes
        ],
        slos=[
            (report.name(r.model_id), r.objective, number(r.observed_ms), r.verdict)
            for r in slo_rows(report)
        ],
        trials=[
            (report.name(m), lines) for m in report.models if (lines := trial_lines(report, m))
        ],
        failures=[
            (report.name(f.model_id), f.scenario, f.kind, f.count, f.example or "")
            for f in failure_rows(report)
        ],
        errors=[
            (report.name(model), scenario, message)
            for (model, scenario), message in report.result_errors.items()
        ],
        charts=charts,
        charts_json=script_json([c.spec() for c in charts if c.rendered]),
        sections=sections(report),
        config_line=config_line(report.config),
        config_rows=config_rows(report.config),
        workload_hash=report.run.workload_hash,
        fingerprint_rows=fingerprint_rows(report),
        plotly_js=plotly_bundle(),
        version=flperf.__version__,
    )


@register
class HtmlExporter(Exporter):
    """One self-contained HTML page: summary, charts, per-scenario tables, machine, settings."""

    name = "html"
    media_type = "text/html; charset=utf-8"
    file_extension = "html"

    def render(self, document: RunDocument) -> str:
        return render_html(RunReport(document))
