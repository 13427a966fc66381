"""Statistics over repeated trials, A/B comparison and service-level objectives (SLOs).

`describe` summarises one figure measured over several trials (mean, spread, 95 % CI);
`compare` tells whether two sets of trials differ (Welch's t-test or a seeded bootstrap);
`compare_proportions` whether two pass rates differ (Fisher's exact test);
`parse_slo` / `request_meets_slos` / `evaluate_slos` judge latencies against thresholds such as
`ttft_p95_ms=500`.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, Protocol, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Comparison",
    "RequestLatencies",
    "Slo",
    "SloMetric",
    "SloPercentile",
    "SloResult",
    "TrialStats",
    "compare",
    "compare_proportions",
    "describe",
    "evaluate_slos",
    "parse_slo",
    "parse_slos",
    "request_meets_slos",
    "run_meets_slos",
]

Verdict = Literal["no difference", "different", "insufficient data"]
SloMetric = Literal["ttft", "itl", "e2e"]
SloPercentile = Literal["p50", "p90", "p95", "p99"]


class TrialStats(BaseModel):
    """One figure over n trials. Spread and CI are None below two trials."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(description="Number of values.")
    mean: float | None = Field(None, description="Arithmetic mean; None when n == 0.")
    stdev: float | None = Field(None, description="Sample standard deviation (ddof=1).")
    cv: float | None = Field(None, description="stdev / mean; None when n < 2 or mean == 0.")
    ci95_low: float | None = Field(None, description="Lower bound of the Student-t 95 % CI.")
    ci95_high: float | None = Field(None, description="Upper bound of the Student-t 95 % CI.")


def describe(values: Iterable[float]) -> TrialStats:
    """Mean, sample stdev, coefficient of variation and Student-t 95 % CI of the mean."""
    from scipy import stats as scipy_stats  # slow import, only when needed

    data = _finite(values)
    n = len(data)
    if n == 0:
        return TrialStats(n=0)
    mean = float(data.mean())
    if n < 2:
        return TrialStats(n=1, mean=mean)
    stdev = float(data.std(ddof=1))
    half = float(scipy_stats.t.ppf(0.975, n - 1)) * stdev / math.sqrt(n)
    return TrialStats(
        n=n,
        mean=mean,
        stdev=stdev,
        cv=stdev / mean if mean != 0 else None,
        ci95_low=mean - half,
        ci95_high=mean + half,
    )


class Comparison(BaseModel):
    """Whether B differs from A. Relative figures are percent of A's mean: (B - A) / A * 100."""

    model_config = ConfigDict(frozen=True)

    method: Literal["welch", "bootstrap", "fisher"] = Field(
        description="Test used for `significant` (fisher: of two pass rates)."
    )
    alpha: float = Field(description="Significance level; the CI has confidence 1 - alpha.")
    n_a: int = Field(description="Values in A.")
    n_b: int = Field(description="Values in B.")
    mean_a: float | None = Field(None, description="Mean of A.")
    mean_b: float | None = Field(None, description="Mean of B.")
    rel_diff_pct: float | None = Field(
        None, description="(mean_b - mean_a) / |mean_a| * 100; None when mean_a is 0 or missing."
    )
    p_value: float | None = Field(
        None,
        description="Welch's two-sided t-test p-value (reported for both methods of means); "
        "Fisher's exact test's for pass rates.",
    )
    ci_low_pct: float | None = Field(None, description="Lower CI bound of rel_diff_pct.")
    ci_high_pct: float | None = Field(None, description="Upper CI bound of rel_diff_pct.")
    significant: bool = Field(
        False, description="welch: p < alpha; bootstrap: the CI of rel_diff_pct excludes 0."
    )
    verdict: Verdict = Field(description="'no difference', 'different' or 'insufficient data'.")


def compare(
    a_values: Iterable[float],
    b_values: Iterable[float],
    method: Literal["welch", "bootstrap"] = "welch",
    alpha: float = 0.05,
    seed: int = 0,
    resamples: int = 10_000,
) -> Comparison:
    """Compare B against A. Needs two values on each side and a non-zero mean of A.

    welch: Welch's t-test (unequal variances); its CI is that of the difference of means,
    expressed relative to A's mean. bootstrap: `resamples` resampled means per side from a seeded
    numpy Generator; percentile CI of the relative difference.
    """
    if method not in ("welch", "bootstrap"):
        raise ValueError(f"unknown method {method!r}: use 'welch' or 'bootstrap'")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    a, b = _finite(a_values), _finite(b_values)
    mean_a = float(a.mean()) if len(a) else None
    mean_b = float(b.mean()) if len(b) else None
    rel = (mean_b - mean_a) / abs(mean_a) * 100 if mean_a and mean_b is not None else None
    result = Comparison(
        method=method,
        alpha=alpha,
        n_a=len(a),
        n_b=len(b),
        mean_a=mean_a,
        mean_b=mean_b,
        rel_diff_pct=rel,
        verdict="insufficient data",
    )
    if mean_a is None or mean_a == 0 or len(a) < 2 or len(b) < 2:
        return result

    p_value, low, high = _welch(a, b, alpha)
    if method == "welch":
        significant = p_value < alpha
        ci_low, ci_high = low / abs(mean_a) * 100, high / abs(mean_a) * 100
    else:
        ci_low, ci_high = _bootstrap_ci(a, b, alpha, seed, resamples)
        significant = ci_low > 0 or ci_high < 0
    return result.model_copy(
        update={
            "p_value": p_value,
            "ci_low_pct": ci_low,
            "ci_high_pct": ci_high,
            "significant": significant,
            "verdict": "different" if significant else "no difference",
        }
    )


def compare_proportions(
    passed_a: int, n_a: int, passed_b: int, n_b: int, alpha: float = 0.05
) -> Comparison:
    """Whether B's pass rate differs from A's: Fisher's exact test (two-sided) on the 2x2 table
    of passes and fails, exact at any sample size. Means are the rates in percent; needs one
    value on each side."""
    from scipy import stats as scipy_stats  # slow import, only when needed

    if not (0 <= passed_a <= n_a and 0 <= passed_b <= n_b):
        raise ValueError("passes must be between 0 and the number checked")
    rate_a = 100.0 * passed_a / n_a if n_a else None
    rate_b = 100.0 * passed_b / n_b if n_b else None
    result = Comparison(
        method="fisher",
        alpha=alpha,
        n_a=n_a,
        n_b=n_b,
        mean_a=rate_a,
        mean_b=rate_b,
        rel_diff_pct=(rate_b - rate_a) / rate_a * 100 if rate_a and rate_b is not None else None,
        verdict="insufficient data",
    )
    if not n_a or not n_b:
        return result
    table = [[passed_a, n_a - passed_a], [passed_b, n_b - passed_b]]
    p_value = float(scipy_stats.fisher_exact(table).pvalue)
    significant = p_value < alpha
    return result.model_copy(
        update={
            "p_value": p_value,
            "significant": significant,
            "verdict": "different" if significant else "no difference",
        }
    )


def _finite(values: Iterable[float]) -> np.ndarray:
    data = np.asarray(list(values), dtype=float)
    return data[np.isfinite(data)]


def _welch(a: np.ndarray, b: np.ndarray, alpha: float) -> tuple[float, float, float]:
    """Welch p-value and the (1 - alpha) CI of mean(b) - mean(a)."""
    from scipy import stats as scipy_stats  # slow import, only when needed

    diff = float(b.mean() - a.mean())
    va, vb = float(a.var(ddof=1)) / len(a), float(b.var(ddof=1)) / len(b)
    if va + vb == 0:  # both constant: the difference is exact
        return (1.0 if diff == 0 else 0.0), diff, diff
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p_value = float(scipy_stats.ttest_ind(b, a, equal_var=False).pvalue)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(scipy_stats.t.ppf(1 - alpha / 2, df)) * math.sqrt(va + vb)
    return p_value, diff - half, diff + half


def _bootstrap_ci(
    a: np.ndarray, b: np.ndarray, alpha: float, seed: int, resamples: int
) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    means_a = _resampled_means(a, rng, resamples)
    means_b = _resampled_means(b, rng, resamples)
    valid = means_a != 0
    rel = (means_b[valid] - means_a[valid]) / np.abs(means_a[valid]) * 100
    low, high = np.quantile(rel, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def _resampled_means(data: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    # Chunked so that large samples do not allocate resamples x n indices at once.
    chunk = max(1, 2_000_000 // len(data))
    parts = []
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        parts.append(data[rng.integers(0, len(data), size=(size, len(data)))].mean(axis=1))
    return np.concatenate(parts)


# --- service-level objectives ---------------------------------------------------------------

_SLO_PATTERN = re.compile(r"(?P<metric>[a-z0-9]+)_(?P<percentile>[a-z0-9.]+)_(?P<unit>[a-z]+)")
_METRIC_ALIASES: dict[str, SloMetric] = {"latency": "e2e", "tpot": "itl"}
_METRICS: tuple[str, ...] = get_args(SloMetric)
_PERCENTILES: tuple[str, ...] = get_args(SloPercentile)


class Slo(BaseModel):
    """A latency objective: the `percentile` of `metric` over requests must be <= threshold_ms."""

    model_config = ConfigDict(frozen=True)

    metric: SloMetric = Field(description="ttft, itl (per-token gap) or e2e (request latency).")
    percentile: SloPercentile = Field(description="Percentile the run-level check uses.")
    threshold_ms: float = Field(gt=0, description="Upper bound, milliseconds.")

    @property
    def quantile(self) -> float:
        """The percentile as a number in percent, e.g. 95.0 for p95."""
        return float(self.percentile[1:])

    def __str__(self) -> str:
        return f"{self.metric}_{self.percentile}_ms={self.threshold_ms:g}"


def parse_slo(text: str) -> Slo:
    """Parse `<metric>_<percentile>_ms=<threshold>`, e.g. `ttft_p95_ms=500`.

    Metrics: ttft, itl (alias tpot), e2e (alias latency); percentiles p50, p90, p95, p99; unit ms.
    Raises ValueError naming the part that is wrong.
    """
    name, sep, raw_threshold = text.strip().partition("=")
    name = name.strip().lower()
    if not sep:
        raise ValueError(f"SLO {text!r}: expected <metric>_<percentile>_ms=<number>, no '=' found")
    match = _SLO_PATTERN.fullmatch(name)
    if match is None:
        raise ValueError(
            f"SLO {text!r}: name {name!r} is not <metric>_<percentile>_ms (e.g. ttft_p95_ms)"
        )
    metric = _METRIC_ALIASES.get(match["metric"], match["metric"])
    if metric not in _METRICS:
        raise ValueError(
            f"SLO {text!r}: unknown metric {match['metric']!r} (supported: {', '.join(_METRICS)})"
        )
    if match["percentile"] not in _PERCENTILES:
        raise ValueError(
            f"SLO {text!r}: unknown percentile {match['percentile']!r} "
            f"(supported: {', '.join(_PERCENTILES)})"
        )
    if match["unit"] != "ms":
        raise ValueError(f"SLO {text!r}: unit {match['unit']!r} is not supported (use ms)")
    try:
        threshold = float(raw_threshold.strip())
    except ValueError:
        raise ValueError(
            f"SLO {text!r}: threshold {raw_threshold.strip()!r} is not a number"
        ) from None
    if not math.isfinite(threshold) or threshold <= 0:
        raise ValueError(f"SLO {text!r}: threshold must be a positive number of ms")
    return Slo.model_validate(
        {"metric": metric, "percentile": match["percentile"], "threshold_ms": threshold}
    )


def parse_slos(spec: str | Iterable[str]) -> list[Slo]:
    """Parse a comma-separated string or a list of SLO strings; empty entries are skipped."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    return [parse_slo(item) for item in items if item.strip()]


class RequestLatencies(Protocol):
    """What SLO checks read from a request record (milliseconds; None when not measured)."""

    @property
    def ttft_ms(self) -> float | None: ...

    @property
    def itl_ms(self) -> float | None: ...

    @property
    def e2e_ms(self) -> float | None: ...


RequestLike = RequestLatencies | Mapping[str, float | None]


def _latency(request: RequestLike, metric: SloMetric) -> float | None:
    key = f"{metric}_ms"
    value = request.get(key) if isinstance(request, Mapping) else getattr(request, key, None)
    return None if value is None else float(value)


def request_meets_slos(slos: Sequence[Slo], request: RequestLike) -> bool:
    """True when this request's own ttft/itl/e2e are each <= every SLO threshold on them.

    Used for goodput. A missing ttft or e2e fails (no token arrived); a missing itl passes (a
    one-token answer has no inter-token gap to be slow).
    """
    for slo in slos:
        value = _latency(request, slo.metric)
        if value is None:
            if slo.metric != "itl":
                return False
        elif value > slo.threshold_ms:
            return False
    return True


class SloResult(BaseModel):
    """One SLO judged over a run: the percentile of the metric across requests."""

    model_config = ConfigDict(frozen=True)

    slo: Slo = Field(description="The objective.")
    n: int = Field(description="Requests that had a value for the metric.")
    observed_ms: float | None = Field(
        None, description="The SLO's percentile over those requests (linear interpolation), ms."
    )
    met: bool | None = Field(None, description="observed_ms <= threshold; None when n == 0.")


def evaluate_slos(slos: Sequence[Slo], requests: Iterable[RequestLike]) -> list[SloResult]:
    """Judge each SLO at run level over the given (successful) requests."""
    pool = list(requests)
    results = []
    for slo in slos:
        values = [v for r in pool if (v := _latency(r, slo.metric)) is not None]
        if not values:
            results.append(SloResult(slo=slo, n=0))
            continue
        observed = float(np.percentile(values, slo.quantile))
        results.append(
            SloResult(
                slo=slo, n=len(values), observed_ms=observed, met=observed <= slo.threshold_ms
            )
        )
    return results


def run_meets_slos(slos: Sequence[Slo], requests: Iterable[RequestLike]) -> bool:
    """True when every SLO is met at run level (an SLO with no data is not met)."""
    return all(result.met is True for result in evaluate_slos(slos, requests))
