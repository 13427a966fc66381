"""Lifecycle facts merge as they arrive, and a first request counts as cold only after a load."""

from __future__ import annotations

import pytest

from flperf.bench.lifecycle import ModelLifecycle, lifecycle_rows
from flperf.bench.metrics import ResultMetrics, aggregate

from .records_factory import make_record


def test_newer_facts_fill_in_and_a_reason_goes_once_its_fact_is_known() -> None:
    loaded = ModelLifecycle(source="flperf-host", load_ms=12.0).with_reason("unload", "running")
    stopped = ModelLifecycle(unload_ms=2.5, load_ms=None)
    merged = loaded.merged(stopped)
    assert merged.load_ms == 12.0 and merged.unload_ms == 2.5  # None never erases a fact
    assert merged.unavailable == {}
    assert loaded.merged(None) is loaded


def test_a_reason_is_not_added_for_a_fact_that_is_known() -> None:
    facts = ModelLifecycle(load_ms=3.0)
    assert facts.with_reason("load", "unknown") is facts
    assert facts.with_reason("memory", "no /api/ps").unavailable == {"memory": "no /api/ps"}


def test_facts_of_a_newer_flperf_read_back() -> None:
    facts = ModelLifecycle.model_validate({"load_ms": 1.0, "a_future_fact": 3})
    assert facts.load_ms == 1.0


def _summary(model: str) -> ResultMetrics:
    records = [
        make_record(index=0, model=model, ttft_ms=300.0, start_ms=0.0, end_ms=400.0),
        make_record(index=1, model=model, ttft_ms=20.0, start_ms=500.0, end_ms=600.0),
        make_record(index=2, model=model, ttft_ms=40.0, start_ms=700.0, end_ms=800.0),
    ]
    return aggregate(records, model, "*")


def test_first_ttft_is_cold_only_when_the_model_was_loaded_for_the_run() -> None:
    cold = ModelLifecycle(started_for_run=True, cold_start=True, load_ms=5.0)
    warm = ModelLifecycle(started_for_run=False, cold_start=False, load_ms=5.0)
    rows = lifecycle_rows(
        ["a", "b", "c"],
        ["A", None],
        {"a": cold, "b": warm},
        [_summary("a"), _summary("b"), _summary("c")],
    )
    a, b, c = rows
    assert (a.alias, b.alias, c.alias) == ("A", None, None)
    assert a.first_ttft_ms == 300.0 and a.cold_ttft_ms == 300.0 and "cold" not in a.unavailable
    assert a.warm_ttft_ms == pytest.approx(30.0)  # the median after the first
    assert b.first_ttft_ms == 300.0 and b.cold_ttft_ms is None
    assert "already loaded" in b.unavailable["cold"]
    assert c.cold_start is None and c.cold_ttft_ms is None and "unknown" in c.unavailable["cold"]
