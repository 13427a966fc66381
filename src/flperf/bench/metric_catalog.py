"""The metric catalogue: every figure the CLI, comparisons, reports and web UI show, declared once.

An entry says how a figure is named and written (key, label, unit, which direction is better,
description), where its value sits on a `ResultMetrics` (how it is computed is defined there and
nowhere else), which per-request record field backs a significance test of it, its group and the
views that show it. Adding a metric to every view is one entry in `METRICS`.

Consumers call `metrics(view)` when they render, so the catalogue is read at that moment, and the
web UI gets the same entries as JSON from `GET /api/metrics` (`catalogue()`).
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from flperf.bench.metrics import SMALL_SAMPLE, ResultMetrics, Summary

Better = Literal["higher", "lower"]
Group = Literal["performance", "reliability", "resources"]
Kind = Literal["value", "ratio", "counts", "list"]
Basis = Literal["ttft_ms", "e2e_ms", "itl_ms", "gen_tps", "quality_pass"]
"""Record fields behind a significance test; `quality_pass` (pass or not) is tested as a
proportion (Fisher's exact test), the others as means."""
View = Literal["cli", "compare", "report", "report_html", "report_detail", "ui", "ui_card"]
"""Where a metric is shown:

- `cli`: the terminal results table; `compare`: the compare service's diffs (and its page);
- `report`: the key-figure tables of the Markdown and HTML reports; `report_html`: added to the
  HTML key tables only; `report_detail`: the HTML report's table of every figure;
- `ui`: the results page tables (one tab per group); `ui_card`: the results page's model cards.
"""

VIEWS: tuple[View, ...] = get_args(View)
TAIL_STATS = ("p90", "p95", "p99", "max")
"""Summary statistics that are unreliable on small samples (see `Summary.small_sample`)."""

_STAT_WORDS = {
    "mean": "mean",
    "p50": "median",
    "p90": "90th percentile",
    "p95": "95th percentile",
    "p99": "99th percentile",
    "max": "maximum",
}


def read(result: BaseModel, path: tuple[str, ...]) -> Any:
    """The value at `path` on `result` (attribute by attribute); None where a step is missing."""
    value: Any = result
    for name in path:
        if value is None:
            return None
        value = getattr(value, name, None)
    return value


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (`X` or `X | None`), if any."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _field_info(path: tuple[str, ...]) -> tuple[str, type[BaseModel] | None]:
    """(schema description, model held) of the field at `path`; ValueError when there is none."""
    model: type[BaseModel] | None = ResultMetrics
    description = ""
    for depth, name in enumerate(path):
        if model is None:
            raise ValueError(f"path {path!r}: {path[depth - 1]!r} has no fields")
        if name in model.model_fields:
            info = model.model_fields[name]
            description, annotation = info.description or "", info.annotation
        elif name in model.model_computed_fields:
            computed = model.model_computed_fields[name]
            description, annotation = computed.description or "", computed.return_type
        else:
            raise ValueError(f"path {path!r}: {model.__name__} has no field {name!r}")
        model = _model_in(annotation)
    return description, model


class Metric(BaseModel):
    """One shown figure: how it is named and written, where its value is read, who shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(description="Stable name (the compare service's `metric`)")
    label: str = Field(description="Short heading, without the unit")
    unit: str = Field("", description="Unit of the value ('' for plain counts)")
    better: Better | None = Field(None, description="Which direction is better; None: neither")
    description: str = Field("", description="What the figure means (schema text by default)")
    kind: Kind = Field(
        "value",
        description="value: a number at `path`; ratio: `path` of `per` (e.g. ok / sent); "
        "counts: a mapping of counts at `path`; list: names at `path`",
    )
    path: tuple[str, ...] = Field(description="Attributes leading to the value on a result")
    per: tuple[str, ...] | None = Field(None, description="Denominator of a ratio")
    basis: Basis | None = Field(
        None, description="Per-request record field a significance test of this metric uses"
    )
    trial_key: str | None = Field(
        None, description="Key of this metric's spread across trials in a result's trial_stats"
    )
    n_path: tuple[str, ...] | None = Field(
        None, description="The count the value is computed over, written `(n=...)` beside it"
    )
    group: Group
    views: tuple[View, ...] = Field(description="Views that show this metric")

    @model_validator(mode="before")
    @classmethod
    def _paths_exist(cls, data: Any) -> Any:
        """Paths must exist on `ResultMetrics`; the description defaults to the schema's."""
        if isinstance(data, dict) and "tail" in data:  # derived from the path (JSON form)
            data = {k: v for k, v in data.items() if k != "tail"}
        if isinstance(data, dict) and "path" in data:
            description, _ = _field_info(tuple(data["path"]))
            for other in ("per", "n_path"):
                if data.get(other) is not None:
                    _field_info(tuple(data[other]))
            if not data.get("description"):
                data = {**data, "description": description}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Metric:
        if (self.kind == "ratio") != (self.per is not None):
            raise ValueError(f"metric {self.key!r}: a ratio needs `per`, other kinds none")
        if self.basis is not None and self.kind != "value":
            raise ValueError(f"metric {self.key!r}: only a value can have a `basis`")
        if self.n_path is not None and self.kind != "value":
            raise ValueError(f"metric {self.key!r}: only a value can have `n_path`")
        if "compare" in self.views and (self.kind != "value" or self.better is None):
            raise ValueError(f"metric {self.key!r}: compared metrics need a value and `better`")
        return self

    @computed_field(  # type: ignore[prop-decorator]
        description="A tail statistic of a distribution: flagged when its summary has fewer "
        f"than {SMALL_SAMPLE} samples (`small_sample` on the object one step up the path)"
    )
    @property
    def tail(self) -> bool:
        return len(self.path) > 1 and self.path[-1] in TAIL_STATS

    @property
    def heading(self) -> str:
        """Label and unit, for plain-text column headings."""
        return f"{self.label} {self.unit}".strip()

    def value(self, result: ResultMetrics) -> float | None:
        """The number a `value` metric shows for `result`; None when not measured (or for
        another kind)."""
        raw = _number(read(result, self.path)) if self.kind == "value" else None
        return float(raw) if raw is not None else None

    def small_sample(self, result: ResultMetrics) -> bool:
        """True when this is a tail statistic of a summary with too few samples."""
        if not self.tail:
            return False
        summary = read(result, self.path[:-1])
        return isinstance(summary, Summary) and summary.small_sample

    def text(
        self, result: ResultMetrics, number: Callable[[int | float | None, str], str], missing: str
    ) -> str:
        """The metric as text: numbers (ints kept ints) written by `number(value, unit)`, ratios
        as `a/b`, counts as `key: n, ...`, lists joined; `missing` where there is nothing."""
        raw = read(result, self.path)
        if self.kind == "value":
            text = number(_number(raw), self.unit)
            n = _number(read(result, self.n_path)) if self.n_path else None
            return (
                f"{text} (n={number(n, '')})"
                if n is not None and _number(raw) is not None
                else text
            )
        if self.kind == "ratio":
            whole = _number(read(result, self.per or ()))
            return f"{number(_number(raw), '')}/{number(whole, '')}" if whole else missing
        if self.kind == "counts":
            pairs = dict(raw or {}).items()
            return ", ".join(f"{k}: {number(_number(n), '')}" for k, n in pairs) or missing
        return ", ".join(str(item) for item in raw or ()) or missing


def _number(raw: Any) -> int | float | None:
    """`raw` when it is a finite number (not a bool), else None."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return raw if math.isfinite(raw) else None


class Distribution(BaseModel):
    """A per-request figure summarised over successful requests (a `Summary` on results)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str = Field(description="The `Summary` field of a result (also the record's field)")
    label: str
    unit: str
    better: Better | None = None
    description: str = ""
    basis: Basis | None = Field(None, description="Record field a significance test uses")

    @model_validator(mode="before")
    @classmethod
    def _field_is_a_summary(cls, data: Any) -> Any:
        """The field must be a `Summary` of `ResultMetrics`; description from its schema."""
        if isinstance(data, dict) and "field" in data:
            description, model = _field_info((data["field"],))
            if model is not Summary:
                raise ValueError(f"distribution {data['field']!r}: not a Summary of a result")
            if not data.get("description"):
                data = {**data, "description": description}
        return data


DISTRIBUTIONS: tuple[Distribution, ...] = (
    Distribution(field="ttft_ms", label="TTFT", unit="ms", better="lower", basis="ttft_ms"),
    Distribution(field="e2e_ms", label="Latency", unit="ms", better="lower", basis="e2e_ms"),
    Distribution(field="itl_ms", label="ITL", unit="ms", better="lower", basis="itl_ms"),
    Distribution(
        field="decode_tps", label="Decode", unit="tok/s", better="higher", basis="gen_tps"
    ),
    Distribution(field="output_tokens", label="Output tokens", unit="tokens"),
    Distribution(field="dispatch_delay_ms", label="Dispatch delay", unit="ms", better="lower"),
)
"""Every `Summary` of a result, in the order the distribution tables show them."""


def distribution(field: str) -> Distribution:
    """The distribution declared for a `Summary` field (KeyError names an unknown one)."""
    for entry in DISTRIBUTIONS:
        if entry.field == field:
            return entry
    raise KeyError(f"no distribution {field!r} in the catalogue")


def stat(
    key: str,
    field: str,
    statistic: str,
    *,
    views: tuple[View, ...],
    group: Group = "performance",
    **extra: Any,
) -> Metric:
    """A metric that is one statistic (`p50`, `p95`, `mean`...) of a declared distribution:
    label, unit, direction and significance basis come from the distribution."""
    dist = distribution(field)
    fields: dict[str, Any] = {
        "key": key,
        "label": f"{dist.label} {statistic}",
        "unit": dist.unit,
        "better": dist.better,
        "description": f"{dist.description}: {_STAT_WORDS.get(statistic, statistic)}",
        "path": (field, statistic),
        "basis": dist.basis,
        "group": group,
        "views": views,
    }
    fields.update(extra)
    return Metric(**fields)


_PERF: Group = "performance"
_REL: Group = "reliability"
_RES: Group = "resources"

METRICS: tuple[Metric, ...] = (
    # -- performance --------------------------------------------------------------------------
    Metric(
        key="ok_sent",
        label="OK / sent",
        kind="ratio",
        path=("successful_iterations",),
        per=("requests_attempted",),
        description="Successful measured requests / attempted (warm-up excluded)",
        group=_PERF,
        views=("cli", "report", "ui"),
    ),
    Metric(
        key="tps",
        label="Throughput",
        unit="tok/s",
        better="higher",
        path=("tps",),
        trial_key="tps",
        # The system figure has no per-request value; decode speed per request is its proxy.
        basis="gen_tps",
        group=_PERF,
        views=("cli", "compare", "report", "report_detail", "ui", "ui_card"),
    ),
    Metric(
        key="quality",
        label="Quality",
        unit="%",
        better="higher",
        path=("quality_score",),
        n_path=("quality_checked",),
        basis="quality_pass",
        description="Replies passing their scenario's answer check, percent of those checked "
        "(n); beside throughput, so a faster model that answers worse shows",
        group=_PERF,
        views=("cli", "compare", "report", "report_detail", "ui", "ui_card"),
    ),
    Metric(
        key="request_throughput",
        label="Request rate",
        unit="req/s",
        better="higher",
        path=("request_throughput",),
        group=_PERF,
        views=("cli", "report_html", "report_detail", "ui"),
    ),
    stat(
        "ttft",
        "ttft_ms",
        "p50",
        views=("cli", "compare", "report", "report_detail", "ui", "ui_card"),
        trial_key="ttft_p50_ms",
    ),
    stat("ttft_p95", "ttft_ms", "p95", views=("report", "ui")),
    stat(
        "latency_p50",
        "e2e_ms",
        "p50",
        views=("cli", "compare", "report", "report_detail", "ui"),
        trial_key="e2e_p50_ms",
    ),
    stat(
        "latency_p95",
        "e2e_ms",
        "p95",
        views=("cli", "compare", "report", "report_detail", "ui", "ui_card"),
        trial_key="e2e_p95_ms",
    ),
    stat("latency_p99", "e2e_ms", "p99", views=("cli", "compare", "report", "report_detail", "ui")),
    stat(
        "itl_p50",
        "itl_ms",
        "p50",
        views=("cli", "compare", "report", "ui", "ui_card"),
        trial_key="itl_p50_ms",
    ),
    stat("itl_p95", "itl_ms", "p95", views=("ui",)),
    stat("decode_tps_p50", "decode_tps", "p50", views=("cli", "report", "ui")),
    Metric(
        key="gen_tps",
        label="Decode mean",
        unit="tok/s",
        better="higher",
        path=("gen_tps",),
        basis="gen_tps",
        group=_PERF,
        views=("report_detail",),
    ),
    Metric(
        key="tpot",
        label="TPOT mean",
        unit="ms",
        better="lower",
        path=("tpot",),
        basis="itl_ms",
        group=_PERF,
        views=("report_detail",),
    ),
    stat("output_tokens_mean", "output_tokens", "mean", views=("ui",)),
    Metric(
        key="cold_ttft_ms",
        label="First TTFT",
        unit="ms",
        better="lower",
        path=("cold_ttft_ms",),
        group=_PERF,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="warm_ttft_ms",
        label="Warm TTFT",
        unit="ms",
        better="lower",
        path=("warm_ttft_ms",),
        group=_PERF,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="output_tokens_total",
        label="Output tokens",
        path=("output_tokens_total",),
        group=_PERF,
        views=("report_detail",),
    ),
    Metric(
        key="prompt_tokens_total",
        label="Prompt tokens",
        path=("prompt_tokens_total",),
        group=_PERF,
        views=("report_detail",),
    ),
    Metric(
        key="window_s",
        label="Measured window",
        unit="s",
        path=("window_s",),
        group=_PERF,
        views=("report_detail",),
    ),
    Metric(
        key="max_tokens",
        label="max_tokens",
        path=("max_tokens",),
        group=_PERF,
        views=("report_detail",),
    ),
    # -- reliability --------------------------------------------------------------------------
    Metric(
        key="error_rate",
        label="Errors",
        unit="%",
        better="lower",
        path=("error_rate",),
        group=_REL,
        views=("cli", "compare", "report", "report_detail", "ui", "ui_card"),
    ),
    Metric(
        key="timeout_rate",
        label="Timeouts",
        unit="%",
        better="lower",
        path=("timeout_rate",),
        group=_REL,
        views=("cli", "compare", "report", "report_detail", "ui"),
    ),
    Metric(
        key="errors_by_kind",
        label="Errors by kind",
        kind="counts",
        path=("errors_by_kind",),
        group=_REL,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="requests_attempted",
        label="Requests attempted",
        path=("requests_attempted",),
        group=_REL,
        views=("report_detail",),
    ),
    Metric(
        key="successful_iterations",
        label="Requests ok",
        path=("successful_iterations",),
        group=_REL,
        views=("report_detail",),
    ),
    Metric(
        key="requests_failed",
        label="Requests failed",
        path=("requests_failed",),
        group=_REL,
        views=("report_detail",),
    ),
    Metric(
        key="requests_timeout",
        label="Requests timed out",
        path=("requests_timeout",),
        description="Measured requests that timed out",
        group=_REL,
        views=("report_detail",),
    ),
    Metric(
        key="requests_cancelled",
        label="Cancelled",
        path=("requests_cancelled",),
        description="Measured requests cancelled before they ended",
        group=_REL,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="warmup_requests",
        label="Warm-up requests",
        path=("warmup_requests",),
        description="Requests sent before measuring (excluded from every figure)",
        group=_REL,
        views=("report_detail",),
    ),
    Metric(
        key="token_sources",
        label="Token counts from",
        kind="counts",
        path=("token_sources",),
        description="How output tokens were counted: usage = the server's count, tokenizer, "
        "chunks = a lower bound",
        group=_REL,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="tokens_disagree",
        label="Token counts disagreeing",
        path=("tokens_disagree",),
        group=_REL,
        views=("report_detail",),
    ),
    Metric(
        key="quality_pass",
        label="Answers passing / checked",
        kind="ratio",
        path=("quality_passed",),
        per=("quality_checked",),
        description="Replies matching the scenario's expected pattern / replies checked",
        group=_REL,
        views=("report_detail",),
    ),
    Metric(
        key="goodput",
        label="Goodput",
        unit="req/s",
        better="higher",
        path=("goodput",),
        group=_REL,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="slo_pass_rate",
        label="SLO pass",
        unit="%",
        better="higher",
        path=("slo_pass_rate",),
        group=_REL,
        views=("report_detail", "ui"),
    ),
    stat(
        "dispatch_delay_p95",
        "dispatch_delay_ms",
        "p95",
        views=("ui",),
        group=_REL,
        description="How far the client fell behind its schedule: actual minus scheduled "
        "start, 95th percentile",
    ),
    # -- resources ----------------------------------------------------------------------------
    Metric(
        key="cpu_avg",
        label="System CPU",
        unit="%",
        path=("cpu_avg",),
        group=_RES,
        views=("report", "report_detail", "ui"),
    ),
    Metric(
        key="ram_avg",
        label="System RAM",
        unit="%",
        path=("ram_avg",),
        group=_RES,
        views=("report", "report_detail", "ui"),
    ),
    Metric(
        key="gpu_avg",
        label="GPU",
        unit="%",
        path=("gpu_avg",),
        group=_RES,
        views=("report_html", "report_detail", "ui"),
    ),
    Metric(
        key="proc_cpu_avg",
        label="Server CPU avg",
        unit="% of a core",
        path=("resources", "proc_cpu_avg"),
        group=_RES,
        views=("report_html", "report_detail", "ui", "ui_card"),
    ),
    Metric(
        key="proc_cpu_peak",
        label="Server CPU peak",
        unit="% of a core",
        path=("resources", "proc_cpu_peak"),
        group=_RES,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="proc_rss_avg_mb",
        label="Server RSS avg",
        unit="MiB",
        path=("resources", "proc_rss_avg_mb"),
        group=_RES,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="proc_rss_peak_mb",
        label="Server RSS peak",
        unit="MiB",
        path=("resources", "proc_rss_peak_mb"),
        group=_RES,
        views=("report_html", "report_detail", "ui"),
    ),
    Metric(
        key="gpu_mem_peak_mb",
        label="GPU memory peak",
        unit="MiB",
        path=("resources", "gpu_mem_peak_mb"),
        group=_RES,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="gpu_power_avg_w",
        label="GPU power",
        unit="W",
        path=("resources", "gpu_power_avg_w"),
        group=_RES,
        views=("report_detail",),
    ),
    Metric(
        key="energy_j",
        label="CPU package energy",
        unit="J",
        path=("resources", "energy_j"),
        group=_RES,
        views=("report_detail",),
    ),
    Metric(
        key="gpu_energy_j",
        label="GPU energy",
        unit="J",
        path=("resources", "gpu_energy_j"),
        group=_RES,
        views=("report_detail",),
    ),
    Metric(
        key="total_energy_j",
        label="Energy",
        unit="J",
        path=("resources", "total_energy_j"),
        group=_RES,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="energy_per_token_j",
        label="Energy per token",
        unit="J/token",
        better="lower",
        path=("energy_per_token_j",),
        group=_RES,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="sample_count",
        label="Resource samples",
        path=("resources", "sample_count"),
        group=_RES,
        views=("report_detail", "ui"),
    ),
    Metric(
        key="sampler_cpu_percent",
        label="Sampler's own CPU",
        unit="% of a core",
        path=("resources", "sampler_cpu_percent"),
        group=_RES,
        views=("report_detail",),
    ),
    Metric(
        key="sources_unavailable",
        label="Sources unavailable",
        kind="list",
        path=("resources", "sources_unavailable"),
        group=_RES,
        views=("report_detail",),
    ),
)
"""Every shown metric, in display order (each view keeps this order)."""


def metrics(view: View | None = None, group: Group | None = None) -> list[Metric]:
    """The catalogue's metrics (all, or those a view shows, or one group), in display order."""
    if view is not None and view not in VIEWS:
        raise ValueError(f"view {view!r}: use one of {', '.join(VIEWS)}")
    return [
        m
        for m in METRICS
        if (view is None or view in m.views) and (group is None or m.group == group)
    ]


def metric(key: str) -> Metric:
    """The metric called `key` (KeyError names an unknown one)."""
    for entry in METRICS:
        if entry.key == key:
            return entry
    raise KeyError(f"no metric {key!r} in the catalogue")


def trial_label(trial_key: str) -> str:
    """Heading of the metric whose spread across trials is kept under `trial_key` (the key
    itself when no metric declares it)."""
    for entry in METRICS:
        if entry.trial_key == trial_key:
            return entry.heading
    return trial_key


class Catalogue(BaseModel):
    """The catalogue as JSON, for the web UI (`GET /api/metrics`)."""

    metrics: list[Metric]
    distributions: list[Distribution]
    views: list[View] = Field(description="Every view a metric can name")
    tail_stats: list[str] = Field(description="Statistics flagged on small samples")
    small_sample_below: int = Field(description="Summaries of fewer samples are flagged")

    @model_validator(mode="after")
    def _unique_keys(self) -> Catalogue:
        keys = [m.key for m in self.metrics]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"metric keys declared twice: {', '.join(duplicates)}")
        return self


def catalogue() -> Catalogue:
    """The whole catalogue, as read now (so an entry added at run time is included)."""
    return Catalogue(
        metrics=list(METRICS),
        distributions=list(DISTRIBUTIONS),
        views=list(VIEWS),
        tail_stats=list(TAIL_STATS),
        small_sample_below=SMALL_SAMPLE,
    )


__all__ = [
    "DISTRIBUTIONS",
    "METRICS",
    "TAIL_STATS",
    "Catalogue",
    "Distribution",
    "Metric",
    "catalogue",
    "distribution",
    "metric",
    "metrics",
    "read",
    "stat",
    "trial_label",
]
