"""Rich tables of results for the terminal."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from flperf.bench.metrics import ResultMetrics, Summary


def results_console() -> Console:
    """Console for result tables: the terminal's width, or 180 columns when piped to a file."""
    return Console(width=None if sys.stdout.isatty() else 180)


def _ms(value: float | None) -> str:
    """Three significant figures for small values, thousands separators for large ones."""
    if value is None:
        return "-"
    if abs(value) < 1:
        return f"{value:.3f}"
    if abs(value) < 10:
        return f"{value:.2f}"
    return f"{value:,.1f}"


def _p(summary: Summary | None, field: str) -> str:
    if summary is None:
        return "-"
    text = _ms(getattr(summary, field))
    return f"{text}*" if summary.small_sample and field in ("p95", "p99") else text


def results_table(results: Sequence[ResultMetrics], title: str = "Results") -> Table:
    """One row per (model, scenario) plus the per-model total rows (`*`)."""
    table = Table(title=title, header_style="bold", show_lines=False)
    for name, justify in (
        ("model", "left"),
        ("scenario", "left"),
        ("ok/sent", "right"),
        ("TTFT p50 ms", "right"),
        ("ITL p50 ms", "right"),
        ("e2e p50 ms", "right"),
        ("e2e p95 ms", "right"),
        ("e2e p99 ms", "right"),
        ("tok/s", "right"),
        ("decode tok/s", "right"),
        ("req/s", "right"),
        ("errors %", "right"),
        ("timeouts %", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in results:
        style = "bold" if r.scenario == "*" else None
        table.add_row(
            r.model_id,
            "all scenarios" if r.scenario == "*" else r.scenario,
            f"{r.successful_iterations}/{r.requests_attempted}",
            _p(r.ttft_ms, "p50"),
            _p(r.itl_ms, "p50"),
            _p(r.e2e_ms, "p50"),
            _p(r.e2e_ms, "p95"),
            _p(r.e2e_ms, "p99"),
            _ms(r.tps),
            _p(r.decode_tps, "p50"),
            "-" if r.request_throughput is None else f"{r.request_throughput:,.2f}",
            f"{r.error_rate:.1f}",
            f"{r.timeout_rate:.1f}",
            style=style,
        )
    table.caption = "* tail from fewer than 20 samples"
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
        table.add_column(name, justify="right")
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
