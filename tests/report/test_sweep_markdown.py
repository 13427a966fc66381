"""The Markdown summary of a sweep, from a hand-made sweep document."""

from __future__ import annotations

from flperf.bench.run_config import RunConfig
from flperf.bench.run_document import RunState
from flperf.bench.sweep import SweepSettings
from flperf.bench.sweep_document import ModelSweep, SweepDocument, SweepInfo
from flperf.report.sweep_markdown import render_sweep_markdown
from tests.bench.test_sweep import point

SETTINGS = SweepSettings(mode="auto", start=1, max=16)


def document() -> SweepDocument:
    fast = [point(1, 100), point(2, 200), point(4, 390), point(8, 400, passed=False)]
    slow = [point(1, 50, ttft_p95_ms=30.0), point(2, 60, ttft_p95_ms=80.0)]
    models = [
        ModelSweep.of("m1", "fast|*model*", fast, SETTINGS, done=True, stop_reason="slo"),
        ModelSweep.of("m2", None, slow, SETTINGS, done=True, stop_reason=None),
    ]
    info = SweepInfo(
        id="sweep_0123456789abcdef",
        suite_name="default",
        model_ids=["m1", "m2"],
        model_aliases=["fast|*model*", None],
        config=RunConfig(slos=["ttft_p95_ms=500"]),
        settings=SETTINGS,
        status=RunState.COMPLETED,
        created_at=1_700_000_000,
        started_at=1_700_000_000,
    )
    return SweepDocument.build(info, models)


def test_each_model_gets_its_points_table_and_findings() -> None:
    text = render_sweep_markdown(document())
    assert text.startswith("### flperf sweep `sweep_0123456789abcdef` (completed)")
    assert "**Loads:** concurrency, auto: 1 x 2 up to 16, then bisection to 10%" in text
    assert "#### fast\\|\\*model\\*" in text  # the alias is text, not table or emphasis markup
    assert "| 4 (knee, capacity) | 390.0 |" in text
    assert "**missed:** ttft p95 900.0 ms \\> 500 ms" in text
    assert "- **knee:** concurrency 4 (390.0 tokens/s)" in text
    assert "- **capacity under SLO:** concurrency 4" in text
    assert "| 1 (knee) | 50.0 |" in text
    assert "- **capacity under SLO:** at least concurrency 2 (no load measured missed)" in text


def test_pareto_optimal_points_are_listed_across_models() -> None:
    text = render_sweep_markdown(document())
    front = text.split("**Pareto-optimal points**")[1]
    # only the slow model's points carry a TTFT here, so only they can be on the front
    assert "m2 at concurrency 1: 50.0 tokens/s, TTFT p95 30.0 ms" in front
    assert "m2 at concurrency 2: 60.0 tokens/s, TTFT p95 80.0 ms" in front
    assert "fast" not in front
