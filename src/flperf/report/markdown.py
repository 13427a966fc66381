"""A Markdown summary of a run, short enough to paste into an issue or a pull request."""

from __future__ import annotations

import re

from flperf.bench.metric_catalog import metrics
from flperf.bench.metrics import SMALL_SAMPLE, ResultMetrics
from flperf.bench.run_document import RunDocument
from flperf.report.context import (
    LIFECYCLE_COLUMNS,
    config_line,
    failure_rows,
    fingerprint_line,
    lifecycle_lines,
    slo_rows,
    trial_lines,
)
from flperf.report.document import ALL_SCENARIOS, RunReport
from flperf.report.figures import MISSING, duration, number, timestamp
from flperf.report.registry import Exporter, register

_SPECIAL = re.compile(r"([\\`*_{}\[\]|<>#!~])")
_ENTITY = re.compile(r"&(?=#?\w+;)")


def md_text(text: str) -> str:
    """A user string made literal in Markdown (also inside a table cell): markup characters
    are backslash-escaped, an `&` that would start an entity is written `&amp;`, and line
    breaks become spaces."""
    flat = _ENTITY.sub("&amp;", " ".join(text.split()))
    return _SPECIAL.sub(r"\\\1", flat)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _figures(result: ResultMetrics) -> list[str]:
    cells = []
    for metric in metrics("report"):
        text = md_text(metric.text(result, number, MISSING))
        cells.append(text + ("\\*" if metric.small_sample(result) else ""))
    return cells


def model_table(report: RunReport, model_id: str) -> list[str]:
    """Key figures (the catalogue's `report` view) of one model: a row per scenario, then the
    row over all scenarios."""
    headings = ["scenario", *(md_text(m.heading) for m in metrics("report"))]
    lines = [_row(headings), _row(["---", *(["---:"] * (len(headings) - 1))])]
    for scenario in [*report.scenarios, ALL_SCENARIOS]:
        result = report.result(model_id, scenario)
        if result is None:
            continue
        name = "**all scenarios**" if scenario == ALL_SCENARIOS else md_text(scenario)
        lines.append(_row([name, *_figures(result)]))
    return lines


def render_markdown(report: RunReport) -> str:
    """The Markdown summary: header, settings, a table per model, failures and the machine."""
    title = md_text(report.suite_name or "benchmark")
    run = f" `{report.run_id}`" if report.run_id else ""
    lines = [f"### flperf: {title}{run} ({md_text(report.status)})", ""]
    header = []
    if report.started_at is not None:
        header.append(timestamp(report.started_at))
    if report.duration_s is not None:
        header.append(duration(report.duration_s))
    header.append("models: " + ", ".join(md_text(report.name(m)) for m in report.models))
    header.append(f"{len(report.scenarios)} scenarios")
    lines += [" · ".join(header), ""]
    lines += [f"**Settings:** {md_text(config_line(report.config))}", ""]
    if report.run_error:
        lines += [f"**Run failed:** {md_text(report.run_error)}", ""]
    for (model, scenario), message in report.result_errors.items():
        where = "" if scenario == ALL_SCENARIOS else f" on {md_text(scenario)}"
        lines += [f"**{md_text(report.name(model))}{where} could not run:** {md_text(message)}", ""]
    for model in report.models:
        table = model_table(report, model)
        if len(table) > 2:
            lines += [f"#### {md_text(report.name(model))}", "", *table, ""]
        lines += _slo_and_trial_lines(report, model)
    lines += _lifecycle_table(report)
    failures = failure_rows(report)
    if failures:
        lines += ["**Failures**", ""]
        for f in failures:
            example = f": `{_code(f.example)}`" if f.example else ""
            where = f"{md_text(report.name(f.model_id))} / {md_text(f.scenario)}"
            lines.append(f"- {where}: {md_text(f.kind)} ({f.count}){example}")
        lines.append("")
    lines += [f"**Machine:** {md_text(fingerprint_line(report))}", ""]
    lines.append(
        "<sub>Times in ms, throughput in tokens/s, CPU and RAM: system-wide time-weighted means. "
        f"\\* tail from fewer than {SMALL_SAMPLE} requests. {MISSING} not measured.</sub>"
    )
    return "\n".join(lines) + "\n"


def _lifecycle_table(report: RunReport) -> list[str]:
    """Each model's load, memory, unload and first/warm TTFT, with why a fact is n/a."""
    rows = lifecycle_lines(report)
    if not rows:
        return []
    headings = ["model", *(md_text(f"{c.label} {c.unit}".strip()) for c in LIFECYCLE_COLUMNS)]
    lines = ["**Model lifecycle**", "", _row(headings)]
    lines.append(_row(["---", *(["---:"] * len(LIFECYCLE_COLUMNS))]))
    for row in rows:
        lines.append(_row([md_text(report.name(row.model_id)), *row.cells]))
    lines.append("")
    notes = [f"- {md_text(report.name(r.model_id))}: {md_text(n)}" for r in rows for n in r.notes]
    return [*lines, *notes, ""] if notes else lines


def _slo_and_trial_lines(report: RunReport, model_id: str) -> list[str]:
    lines = []
    slos = [row for row in slo_rows(report) if row.model_id == model_id]
    if slos:
        judged = [
            f"{md_text(row.objective)} {'**missed**' if row.met is False else row.verdict}"
            f" ({number(row.observed_ms)} ms)"
            for row in slos
        ]
        total = report.model_total(model_id)
        if total is not None and total.goodput is not None:
            judged.append(
                f"goodput {number(total.goodput)} req/s, "
                f"{number(total.slo_pass_rate, '%')} % of requests meet all"
            )
        lines += [f"SLOs: {' · '.join(judged)}", ""]
    trials = trial_lines(report, model_id)
    if trials:
        lines += [f"Across trials: {md_text(' · '.join(trials))}", ""]
    return lines


def _code(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split()).replace("`", "'")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@register
class MarkdownExporter(Exporter):
    """A Markdown summary for an issue or pull request."""

    name = "md"
    media_type = "text/markdown; charset=utf-8"
    file_extension = "md"

    def render(self, document: RunDocument) -> str:
        return render_markdown(RunReport(document))
