"""Rich tables of results for the terminal."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from flperf.bench.lifecycle import LifecycleRow, ModelLifecycle
from flperf.bench.metric_catalog import metrics, trial_label
from flperf.bench.metrics import SMALL_SAMPLE, ResultMetrics


def results_console() -> Console:
    """Console for result tables: the terminal's width, or 200 columns when piped to a file."""
    return Console(width=None if sys.stdout.isatty() else 200)


def _ms(value: float | None) -> str:
    """Three significant figures for small values, thousands separators for large ones."""
    if value is None:
        return "-"
    if abs(value) < 1:
        return f"{value:.3f}"
    if abs(value) < 10:
        return f"{value:.2f}"
    return f"{value:,.1f}"


def _cell(value: int | float | None, unit: str) -> str:
    """A catalogue figure: counts as integers, percentages to one decimal, others via `_ms`."""
    if isinstance(value, int):
        return f"{value:,}"
    if unit == "%" and value is not None:
        return f"{value:.1f}"
    return _ms(value)


def results_table(results: Sequence[ResultMetrics], title: str = "Results") -> Table:
    """One row per (model, scenario) plus the per-model total rows (`*`); the columns are the
    metric catalogue's `cli` view."""
    columns = metrics("cli")
    table = Table(title=title, header_style="bold", show_lines=False)
    table.add_column("model", no_wrap=True)
    table.add_column("scenario", no_wrap=True)  # a name split over lines reads as two
    for metric in columns:  # the unit under the label keeps the table narrow
        table.add_column(f"{metric.label}\n{metric.unit}".rstrip(), justify="right")
    for r in results:
        cells = []
        for metric in columns:
            text = metric.text(r, _cell, "-")
            cells.append(f"{text}*" if metric.small_sample(r) else text)
        style = "bold" if r.scenario == "*" else None
        table.add_row(
            r.model_id, "all scenarios" if r.scenario == "*" else r.scenario, *cells, style=style
        )
    table.caption = f"* tail from fewer than {SMALL_SAMPLE} samples"
    return table


def errors_table(results: Sequence[ResultMetrics]) -> Table | None:
    """Failures by kind per (model, scenario), or None when nothing failed."""
    rows = [(r, k, n) for r in results if r.scenario != "*" for k, n in r.errors_by_kind.items()]
    if not rows:
        return None
    table = Table(title="Failures", header_style="bold")
    for name in ("model", "scenario", "kind", "count"):
        table.add_column(name)
    for r, kind, count in rows:
        table.add_row(r.model_id, r.scenario, kind, str(count))
    return table


def slo_table(results: Sequence[ResultMetrics]) -> Table | None:
    """Each SLO per (model, scenario): observed percentile against its threshold."""
    rows = [(r, s) for r in results if r.scenario != "*" for s in r.slo_results or []]
    if not rows:
        return None
    table = Table(title="Service-level objectives", header_style="bold")
    for name in ("model", "scenario", "objective", "observed ms", "met", "goodput req/s"):
        table.add_column(name)
    for r, s in rows:
        verdict = "-" if s.met is None else ("[green]yes[/]" if s.met else "[red]NO[/]")
        goodput = "-" if r.goodput is None else f"{r.goodput:,.2f}"
        table.add_row(r.model_id, r.scenario, str(s.slo), _ms(s.observed_ms), verdict, goodput)
    return table


def trials_table(results: Sequence[ResultMetrics]) -> Table | None:
    """Mean and 95 % confidence interval across trials of the headline metrics."""
    rows = [r for r in results if r.trial_stats]
    if not rows:
        return None
    table = Table(title="Across trials: mean [95 % CI] (CV)", header_style="bold")
    table.add_column("model")
    table.add_column("scenario")
    names = list(rows[0].trial_stats or {})
    for name in names:
        table.add_column(trial_label(name), justify="right")
    for r in rows:
        cells = []
        for name in names:
            st = (r.trial_stats or {})[name]
            if st.mean is None:
                cells.append("-")
                continue
            ci = f" [{_ms(st.ci95_low)}, {_ms(st.ci95_high)}]" if st.ci95_low is not None else ""
            cv = f" ({st.cv:.1%})" if st.cv is not None else ""
            cells.append(f"{_ms(st.mean)}{ci}{cv}")
        table.add_row(r.model_id, "all scenarios" if r.scenario == "*" else r.scenario, *cells)
    return table


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _fact(value: float | None, group: str, reasons: dict[str, str]) -> str:
    """A lifecycle figure, or `n/a` when the facts say why it is missing."""
    if value is not None:
        return _ms(value)
    return "n/a" if group in reasons else "-"


def lifecycle_table(rows: Sequence[LifecycleRow]) -> Table | None:
    """Per model of a run: started for it?, load, memory after load, unload, first and warm
    TTFT; why a figure is n/a in the caption. None when no model has any fact."""
    shown = [r for r in rows if r.source is not None or r.started_for_run is not None]
    if not shown:
        return None
    table = Table(title="Model lifecycle", header_style="bold")
    table.add_column("model")
    for heading in (
        "started\nfor run",
        "load\nms",
        "memory after\nload MiB",
        "unload\nms",
        "first TTFT\nms",
        "cold\nstart",
        "warm TTFT\nms",
    ):
        table.add_column(heading, justify="right")
    notes = []
    for r in shown:
        reasons = r.unavailable
        table.add_row(
            r.alias or r.model_id,
            _yes_no(r.started_for_run),
            _fact(r.load_ms, "load", reasons),
            _fact(r.memory_after_load_mb, "memory", reasons),
            _fact(r.unload_ms, "unload", reasons),
            _ms(r.first_ttft_ms),
            _yes_no(r.cold_start),
            _ms(r.warm_ttft_ms),
        )
        notes += [f"{r.alias or r.model_id}: {group}: {why}" for group, why in reasons.items()]
    table.caption = "\n".join(notes) or None
    return table


def lifecycle_cells(facts: ModelLifecycle | None) -> list[str]:
    """A model's latest load, memory after it, unload and download, for `flperf models list`
    (`n/a` where its server tells nothing; `-` before it was first started)."""
    if facts is None:
        return ["-", "-", "-", "-"]
    reasons = {str(g): why for g, why in facts.unavailable.items()}
    download = _fact(facts.download_ms, "download", reasons)
    if facts.download_mb is not None:
        download = f"{download} ({facts.download_mb:,.1f} MiB)"
    return [
        _fact(facts.load_ms, "load", reasons),
        _fact(facts.memory_after_load_mb, "memory", reasons),
        _fact(facts.unload_ms, "unload", reasons),
        download,
    ]
