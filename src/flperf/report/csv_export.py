"""CSV of a run's results: one row per result with every figure in its own column.

Rows follow the document's results (per-(model, scenario) rows, then each model's `*` row).
Columns follow the `ResultMetrics` schema: distributions are flattened to `<field>_<stat>`
(`ttft_ms_p50`), resource figures to `resources_<field>`, breakdowns to `<field>_<key>`
(`errors_by_kind_http_500`), SLOs to `slo_<metric>_<percentile>_ms_{threshold,observed,met}`
and trial statistics to `trial_stats_<metric>_<stat>`. Numbers are written in full precision,
missing values as empty cells, booleans as `true`/`false`.
"""

from __future__ import annotations

import csv
import io
import math
import typing
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from flperf.bench.metrics import ResultMetrics
from flperf.bench.run_document import RunDocument
from flperf.report.document import RunReport
from flperf.report.registry import Exporter, register

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _model_class(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _model_columns(model: type[BaseModel]) -> list[str]:
    return [*model.model_fields, *model.model_computed_fields]


def _flatten(result: ResultMetrics) -> dict[str, Any]:
    """One result as a flat `column -> value` mapping (nested models expanded even when None)."""
    row: dict[str, Any] = {}
    for name, info in ResultMetrics.model_fields.items():
        value = getattr(result, name)
        nested = _model_class(info.annotation)
        if name == "slo_results":
            for slo in value or []:
                prefix = f"slo_{slo.slo.metric}_{slo.slo.percentile}_ms"
                row[f"{prefix}_threshold"] = slo.slo.threshold_ms
                row[f"{prefix}_observed"] = slo.observed_ms
                row[f"{prefix}_met"] = slo.met
        elif name == "trial_stats":
            for metric, stats in (value or {}).items():
                for stat, stat_value in stats.model_dump().items():
                    row[f"trial_stats_{metric}_{stat}"] = stat_value
        elif nested is not None:
            prefix = "resources" if name == "resources" else name
            for column in _model_columns(nested):
                row[f"{prefix}_{column}"] = getattr(value, column, None)
        elif isinstance(value, Mapping):
            for key, count in value.items():
                row[f"{name}_{key}"] = count
        else:
            row[name] = value
    for name in ResultMetrics.model_computed_fields:  # derived figures (quality_score)
        row[name] = getattr(result, name)
    return row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    text = str(value)
    # A cell starting with these would run as a formula in a spreadsheet (CSV injection).
    return "'" + text if text.startswith(_FORMULA_START) else text


def _columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def render_csv(report: RunReport) -> str:
    """The results table as CSV text (RFC 4180 quoting, CRLF line ends)."""
    flat = []
    for result in report.results:
        row = {"model": report.name(result.model_id), **_flatten(result)}
        flat.append(row)
    columns = _columns(flat) if flat else ["model", "model_id", "scenario"]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(columns)
    for row in flat:
        writer.writerow([_cell(row.get(column, _missing(column))) for column in columns])
    return out.getvalue()


_COUNT_PREFIXES = tuple(
    f"{name}_"
    for name, info in ResultMetrics.model_fields.items()
    if typing.get_origin(info.annotation) is dict and typing.get_args(info.annotation)[1] is int
)
"""Columns of count breakdowns (`errors_by_kind_*`, `token_sources_*`): absent means 0."""


def _missing(column: str) -> int | None:
    return 0 if column.startswith(_COUNT_PREFIXES) else None


@register
class CsvExporter(Exporter):
    """Results as CSV: one row per result, every figure a column."""

    name = "csv"
    media_type = "text/csv; charset=utf-8"
    file_extension = "csv"

    def render(self, document: RunDocument) -> str:
        return render_csv(RunReport(document))
