"""Joining resource samples to results: each result gets the figures of its own measured window."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flperf.bench.metrics import ResultMetrics
from flperf.bench.records import RequestRecord, Status
from flperf.bench.resource_figures import ResourceSample, energy_per_token, summarize


def measured_window_ns(records: Sequence[RequestRecord], ref_ns: int) -> tuple[int, int] | None:
    """First start and last end of the measured requests (warm-up and cancelled excluded)."""
    measured = [r for r in records if not r.warmup and r.status is not Status.CANCELLED]
    if not measured:
        return None
    lo = min(r.start_ms for r in measured)
    hi = max(r.end_ms for r in measured)
    return ref_ns + int(lo * 1e6), ref_ns + int(hi * 1e6)


def attach_resources(
    results: Sequence[ResultMetrics],
    records: Sequence[RequestRecord],
    samples_by_model: Mapping[str, Sequence[ResourceSample]],
    ref_ns: int,
    sampler_cpu_percent: Mapping[str, float | None] | None = None,
) -> list[ResultMetrics]:
    """Copies of `results` with cpu/ram/gpu averages and process figures over each window."""
    out = []
    for result in results:
        samples = samples_by_model.get(result.model_id)
        mine = [
            r
            for r in records
            if r.model == result.model_id and result.scenario in ("*", r.scenario)
        ]
        window = measured_window_ns(mine, ref_ns)
        if not samples or window is None:
            out.append(result)
            continue
        summary = summarize(samples, *window)
        own_cost = (sampler_cpu_percent or {}).get(result.model_id)
        if own_cost is not None:
            summary = summary.model_copy(update={"sampler_cpu_percent": own_cost})
        out.append(
            result.model_copy(
                update={
                    "cpu_avg": summary.cpu_avg,
                    "ram_avg": summary.ram_avg,
                    "gpu_avg": summary.gpu_avg,
                    "resources": summary,
                    "energy_per_token_j": energy_per_token(summary, result.output_tokens_total),
                }
            )
        )
    return out
