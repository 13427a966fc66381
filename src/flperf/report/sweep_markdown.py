"""A Markdown summary of a sweep: each model's points, its knee and capacity under SLO, and the
Pareto-optimal points across models. `flperf sweep --markdown` and the API's sweep export write
it; the words of the findings are shared with the CLI's table."""

from __future__ import annotations

from flperf.bench.sweep import load_text
from flperf.bench.sweep_document import ModelSweep, SweepDocument
from flperf.report.figures import MISSING, number, timestamp
from flperf.report.markdown import md_text

MEDIA_TYPE = "text/markdown; charset=utf-8"


def sweep_findings(model: ModelSweep, axis: str) -> list[tuple[str, str]]:
    """(label, text) of the knee, the capacity under SLO and why the sweep stopped."""
    found = model.analysis
    if found.knee is not None:
        knee = f"{axis} {load_text(found.knee)} ({number(found.knee_tps)} tokens/s)"
    else:
        knee = "not reached (throughput still grew at every step)"
    if found.capacity is None:
        capacity = "none: the lowest load measured already missed an objective"
    elif found.capacity_bounded:
        capacity = f"{axis} {load_text(found.capacity)}"
    else:
        capacity = f"at least {axis} {load_text(found.capacity)} (no load measured missed)"
    lines = [("knee", knee), ("capacity under SLO", capacity)]
    if model.stop_reason:
        lines.append(("stopped", model.stop_reason))
    return lines


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _points_table(model: ModelSweep, axis: str) -> list[str]:
    found = model.analysis
    headings = [axis, "tokens/s", "req/s", "TTFT p95 ms", "E2E p95 ms", "errors %"]
    headings += ["gain %", "efficiency", "objectives", "run"]
    lines = [_row(headings), _row(["---:"] * 8 + ["---", "---"])]
    for p in found.points:
        marks = [
            m for m, at in (("knee", found.knee), ("capacity", found.capacity)) if at == p.load
        ]
        load = load_text(p.load) + (f" ({', '.join(marks)})" if marks else "")
        verdict = "met" if p.passed else "**missed:** " + md_text("; ".join(p.failures))
        lines.append(
            _row(
                [
                    load,
                    number(p.tps),
                    number(p.request_throughput),
                    number(p.ttft_p95_ms),
                    number(p.e2e_p95_ms),
                    number(p.error_rate, "%"),
                    MISSING if p.gain_pct is None else f"{p.gain_pct:+.1f}",
                    MISSING if p.efficiency is None else f"{p.efficiency:.2f}",
                    verdict,
                    f"`{p.run_id}`" if p.run_id else MISSING,
                ]
            )
        )
    return lines


def render_sweep_markdown(document: SweepDocument) -> str:
    """The summary: what was swept, then per model its points and findings, then the front."""
    info = document.sweep
    settings = info.settings
    names = {m: a or m for m, a in zip(info.model_ids, info.model_aliases, strict=True)}
    lines = [f"### flperf sweep `{info.id}` ({md_text(info.status.value)})", ""]
    if settings.mode == "list":
        series = ", ".join(load_text(v) for v in settings.loads or [])
    else:
        series = f"{load_text(settings.start or 0)} x {settings.factor:g} up to "
        series += load_text(settings.max or 0)
        if settings.mode == "auto":
            series += f", then bisection to {settings.resolution:.0%}"
    header = [timestamp(info.started_at), f"suite {md_text(info.suite_name)}"]
    header.append("models: " + ", ".join(md_text(n) for n in names.values()))
    lines += [" · ".join(header), ""]
    objectives = ", ".join(info.config.slos) or "none"
    lines += [
        f"**Loads:** {settings.axis}, {settings.mode}: {md_text(series)} · **objectives:** "
        f"{md_text(objectives)}, error rate <= {settings.max_error_rate:g} % · **stop** when "
        f"throughput grows < {settings.min_gain_pct:g} % · **knee efficiency** "
        f"{settings.knee_efficiency:g}",
        "",
    ]
    if info.error:
        lines += [f"**Sweep error:** {md_text(info.error)}", ""]
    for model in document.models:
        lines += [f"#### {md_text(names.get(model.model_id, model.model_id))}", ""]
        if model.analysis.points:
            lines += [*_points_table(model, settings.axis), ""]
        for name, text in sweep_findings(model, settings.axis):
            lines.append(f"- **{name}:** {md_text(text)}")
        lines.append("")
    best = [p for p in document.pareto if p.optimal]
    if len(document.models) > 1 and best:
        lines += ["**Pareto-optimal points** (tokens/s against TTFT p95):", ""]
        for p in sorted(best, key=lambda p: p.ttft_p95_ms or 0):
            lines.append(
                f"- {md_text(names.get(p.model_id, p.model_id))} at {p.axis} "
                f"{load_text(p.load)}: {number(p.tps)} tokens/s, TTFT p95 "
                f"{number(p.ttft_p95_ms)} ms"
            )
        lines.append("")
    lines.append(
        "<sub>Knee: the lowest load beyond which no load gains at least the knee efficiency "
        "of its load increase in throughput. Capacity under SLO: the highest load meeting "
        f"every objective with every lower load meeting them too. {MISSING} not measured.</sub>"
    )
    return "\n".join(lines) + "\n"
