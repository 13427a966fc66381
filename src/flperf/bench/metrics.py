"""Aggregates: a pure function of per-request records (DESIGN section 5 is the authority).

Every figure is defined once here, with its unit. The CLI, API, UI and reports read these fields;
none of them recomputes a metric. Percentiles come from the records, never from means of
percentiles, so aggregates over several scenarios or runs are recomputed from their records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, computed_field, model_validator

from flperf.bench.records import RequestRecord, Status, error_key
from flperf.bench.resource_figures import MonitorSummary
from flperf.bench.stats import (
    Slo,
    SloResult,
    TrialStats,
    describe,
    evaluate_slos,
    request_meets_slos,
)

SMALL_SAMPLE = 20
"""Tails (p90 and above) computed from fewer samples than this are marked `small_sample`."""


class Summary(BaseModel):
    """Distribution of one per-request figure over successful requests (linear percentiles)."""

    n: int = Field(description="Number of samples")
    mean: float
    stdev: float = Field(description="Sample standard deviation (ddof=1); 0 when n == 1")
    min: float
    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    small_sample: bool = Field(description=f"True when n < {SMALL_SAMPLE}: tails are unreliable")


def summarize(values: Sequence[float]) -> Summary | None:
    """Summary of `values`, or None when there are none."""
    if not values:
        return None
    arr = np.asarray(values, dtype=float)
    p50, p90, p95, p99 = np.percentile(arr, [50, 90, 95, 99])
    return Summary(
        n=int(arr.size),
        mean=float(arr.mean()),
        stdev=float(arr.std(ddof=1)) if arr.size > 1 else 0.0,
        min=float(arr.min()),
        p50=float(p50),
        p90=float(p90),
        p95=float(p95),
        p99=float(p99),
        max=float(arr.max()),
        small_sample=arr.size < SMALL_SAMPLE,
    )


class ResultMetrics(BaseModel):
    """Aggregates of one (model, scenario), or of a whole model when `scenario` is `*`.

    The first block are the fields of a result in spec/api.md, with their documented meaning.
    """

    model_id: str
    scenario: str
    tps: float | None = Field(
        description="System output throughput, tokens/s: output tokens of successful requests "
        "/ (last end - first start) over the measured window (warm-up excluded)"
    )
    ttft: float | None = Field(description="Median time to first token, ms (successful requests)")
    latency_p50: float | None = Field(description="End-to-end latency p50, ms")
    latency_p95: float | None = Field(description="End-to-end latency p95, ms")
    latency_p99: float | None = Field(description="End-to-end latency p99, ms")
    error_rate: float = Field(description="Failed (incl. timed out) / attempted requests, percent")
    timeout_rate: float = Field(description="Timed-out / attempted requests, percent")
    cpu_avg: float | None = Field(default=None, description="System CPU %, time-weighted mean")
    ram_avg: float | None = Field(default=None, description="System RAM %, time-weighted mean")
    gpu_avg: float | None = Field(default=None, description="GPU utilisation %, time-weighted")

    requests_attempted: int = Field(description="Measured requests sent (not warm-up/cancelled)")
    successful_iterations: int = Field(description="Measured requests that ended ok")
    requests_failed: int = Field(description="Measured requests that ended error or timeout")
    requests_timeout: int
    requests_cancelled: int
    warmup_requests: int
    errors_by_kind: dict[str, int] = Field(description="Failures by kind: http_500, timeout...")

    ttft_ms: Summary | None = Field(description="Time to first token, ms")
    e2e_ms: Summary | None = Field(description="End-to-end latency, ms")
    itl_ms: Summary | None = Field(description="Inter-token latency (TPOT) per request, ms")
    decode_tps: Summary | None = Field(
        default=None, description="Decode speed per request, tokens/s (1000 / itl)"
    )
    gen_tps: float | None = Field(
        default=None, description="Mean decode speed of the successful requests, tokens/s"
    )
    tpot: float | None = Field(
        default=None,
        description="Mean time per output token after the first (mean itl), ms",
    )
    output_tokens: Summary | None = Field(description="Output tokens per successful request")
    dispatch_delay_ms: Summary | None = Field(
        description="Actual minus scheduled start, ms (all measured requests)"
    )

    request_throughput: float | None = Field(description="Successful requests / window, req/s")
    goodput: float | None = Field(
        default=None, description="Requests meeting every SLO / window, req/s (None without SLOs)"
    )
    slo_pass_rate: float | None = Field(
        default=None, description="Percent of attempted requests meeting every SLO"
    )
    output_tokens_total: int
    prompt_tokens_total: int
    window_s: float | None = Field(description="Measured window: last end - first start, s")
    max_tokens: int | None = Field(description="Largest max_tokens requested")
    token_sources: dict[str, int] = Field(description="How output tokens were counted")
    tokens_disagree: int = Field(description="Requests whose token counts disagree")
    quality_checked: int = Field(
        description="Successful replies checked against their scenario's expected answer"
    )
    quality_passed: int = Field(description="Checked replies matching the expected answer")
    cold_ttft_ms: float | None = Field(
        default=None,
        description="TTFT of the first request sent (warm-up included), ms: a cold start only "
        "when the model was loaded for the run (the run's lifecycle says whether it was)",
    )
    warm_ttft_ms: float | None = Field(
        default=None,
        description="Median TTFT of the successful measured requests after the first request "
        "sent, ms (the model warm)",
    )
    resources: MonitorSummary | None = Field(
        default=None,
        description="Resource figures over the measured window: system, the model server's "
        "process tree, GPU and energy (None when not sampled)",
    )
    energy_per_token_j: float | None = Field(
        default=None, description="Energy per output token, J/token (where energy is measured)"
    )
    slo_results: list[SloResult] | None = Field(
        default=None, description="Each SLO judged over the successful requests (None without)"
    )
    trial_stats: dict[str, TrialStats] | None = Field(
        default=None,
        description="Across trials (when trials > 1): mean, stdev, CV and 95 % CI of each "
        "headline metric, keyed tps, ttft_p50_ms, itl_p50_ms, e2e_p50_ms, e2e_p95_ms",
    )

    @model_validator(mode="before")
    @classmethod
    def _older_shapes(cls, data: Any) -> Any:
        """Results stored by earlier versions kept the decode distribution under `gen_tps`."""
        if isinstance(data, Mapping) and isinstance(data.get("gen_tps"), Mapping):
            data = dict(data)
            data["decode_tps"] = data.pop("gen_tps")
            data["gen_tps"] = data["decode_tps"].get("mean")
            itl = data.get("itl_ms")
            if data.get("tpot") is None and isinstance(itl, Mapping):
                data["tpot"] = itl.get("mean")
        return data

    @computed_field(  # type: ignore[prop-decorator]
        description="Quality score: percent of checked replies matching their scenario's "
        "expected answer (n = quality_checked); None when no reply was checked"
    )
    @property
    def quality_score(self) -> float | None:
        if not self.quality_checked:
            return None
        return 100.0 * self.quality_passed / self.quality_checked

    @property
    def slos_met(self) -> bool | None:
        """True when every SLO is met, False when one is missed, None without SLOs."""
        if not self.slo_results:
            return None
        return all(r.met is True for r in self.slo_results)


def _median(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if values else None


def _pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def aggregate(
    records: Iterable[RequestRecord],
    model_id: str,
    scenario: str,
    slos: Sequence[Slo] = (),
) -> ResultMetrics:
    """Aggregate the records of one model and scenario (or any subset of a run's records)."""
    all_records = list(records)
    warmup = [r for r in all_records if r.warmup]
    measured = [r for r in all_records if not r.warmup and r.status is not Status.CANCELLED]
    cancelled = sum(1 for r in all_records if not r.warmup and r.status is Status.CANCELLED)
    ok = [r for r in measured if r.status is Status.OK]
    timeouts = sum(1 for r in measured if r.status is Status.TIMEOUT)
    failed = len(measured) - len(ok)
    errors = Counter(k for r in measured if (k := error_key(r)) is not None)

    window_s = None
    if measured:
        window_s = (max(r.end_ms for r in measured) - min(r.start_ms for r in measured)) / 1000.0
    out_total = sum(r.output_tokens or 0 for r in ok)
    rate = (lambda n: n / window_s) if window_s and window_s > 0 else (lambda n: None)

    ttft = summarize([r.ttft_ms for r in ok if r.ttft_ms is not None])
    e2e = summarize([r.e2e_ms for r in ok if r.e2e_ms is not None])
    itl = summarize([r.itl_ms for r in ok if r.itl_ms is not None])
    decode = summarize([g for r in ok if (g := r.gen_tps) is not None])
    first = min(all_records, key=lambda r: r.start_ms, default=None)
    quality = [r.quality_pass for r in ok if r.quality_pass is not None]
    good = sum(1 for r in ok if request_meets_slos(slos, r)) if slos else None
    return ResultMetrics(
        model_id=model_id,
        scenario=scenario,
        tps=rate(out_total) if ok else None,
        ttft=ttft.p50 if ttft else None,
        latency_p50=e2e.p50 if e2e else None,
        latency_p95=e2e.p95 if e2e else None,
        latency_p99=e2e.p99 if e2e else None,
        error_rate=_pct(failed, len(measured)),
        timeout_rate=_pct(timeouts, len(measured)),
        requests_attempted=len(measured),
        successful_iterations=len(ok),
        requests_failed=failed,
        requests_timeout=timeouts,
        requests_cancelled=cancelled,
        warmup_requests=len(warmup),
        errors_by_kind=dict(errors),
        ttft_ms=ttft,
        e2e_ms=e2e,
        itl_ms=itl,
        decode_tps=decode,
        gen_tps=decode.mean if decode else None,
        tpot=itl.mean if itl else None,
        output_tokens=summarize(
            [float(r.output_tokens) for r in ok if r.output_tokens is not None]
        ),
        dispatch_delay_ms=summarize([r.dispatch_delay_ms for r in measured]),
        request_throughput=rate(len(ok)),
        output_tokens_total=out_total,
        prompt_tokens_total=sum(r.prompt_tokens or 0 for r in ok),
        window_s=window_s,
        max_tokens=max((r.max_tokens for r in all_records), default=None),
        token_sources=dict(Counter(r.token_source.value for r in ok if r.token_source)),
        tokens_disagree=sum(1 for r in ok if r.tokens_disagree),
        quality_checked=len(quality),
        quality_passed=sum(quality),
        cold_ttft_ms=first.ttft_ms if first is not None else None,
        warm_ttft_ms=_median([r.ttft_ms for r in ok if r is not first and r.ttft_ms is not None]),
        goodput=rate(good) if good is not None else None,
        slo_pass_rate=_pct(good, len(measured)) if good is not None else None,
        slo_results=evaluate_slos(slos, ok) if slos else None,
        trial_stats=_trial_stats(all_records),
    )


_TRIAL_METRICS = {
    "tps": lambda m: m.tps,
    "ttft_p50_ms": lambda m: m.ttft,
    "itl_p50_ms": lambda m: m.itl_ms.p50 if m.itl_ms else None,
    "e2e_p50_ms": lambda m: m.latency_p50,
    "e2e_p95_ms": lambda m: m.latency_p95,
}


def _trial_stats(records: list[RequestRecord]) -> dict[str, TrialStats] | None:
    """Spread of the headline metrics across trials; None with a single trial."""
    by_trial: dict[int, list[RequestRecord]] = {}
    for record in records:
        by_trial.setdefault(record.trial, []).append(record)
    if len(by_trial) < 2:
        return None
    per_trial = [aggregate(recs, "", "") for recs in by_trial.values()]
    stats = {}
    for name, read in _TRIAL_METRICS.items():
        values = [v for m in per_trial if (v := read(m)) is not None]
        stats[name] = describe(values)
    return stats


def aggregate_run(
    records: Sequence[RequestRecord], slos: Sequence[Slo] = ()
) -> list[ResultMetrics]:
    """Per-(model, scenario) results in first-seen order, then one `*` result per model."""
    groups: dict[tuple[str, str], list[RequestRecord]] = {}
    by_model: dict[str, list[RequestRecord]] = {}
    for record in records:
        groups.setdefault((record.model, record.scenario), []).append(record)
        by_model.setdefault(record.model, []).append(record)
    results = [aggregate(recs, model, scenario, slos) for (model, scenario), recs in groups.items()]
    results += [aggregate(recs, model, "*", slos) for model, recs in by_model.items()]
    return results
