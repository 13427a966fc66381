"""Run exports: the JSON document (`flperf.report.json_export`) and CSV, one row per result."""

from __future__ import annotations

import csv
import io
import json
import types
import typing
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from flperf.report.json_export import run_document
from flperf.service.runs import RunService
from flperf.service.views import ResultView

_LEADING = ("id", "run_id", "model_id", "model_alias", "scenario", "error")


def json_export(runs: RunService, run_id: str) -> dict[str, Any]:
    """`{"run", "results", "requests", "samples"}`; results include the per-model `*` rows."""
    run = runs.get_run(run_id)
    return run_document(
        run.model_dump(mode="json"),
        runs.all_results(run_id),
        runs.records(run_id),
        [sample.model_dump() for sample in runs.samples(run_id)],
    )


def _model_class(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside `X` or `X | None`, if any."""
    candidates = [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        candidates = list(typing.get_args(annotation))
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _columns(cls: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, tuple[str, ...]]]:
    """(column name, attribute path) of every field, nested models flattened with `_`."""
    names = list(cls.model_fields) + list(cls.model_computed_fields)
    for name in names:
        field = cls.model_fields.get(name)
        nested = _model_class(field.annotation) if field is not None else None
        if nested is not None:
            for column, path in _columns(nested, f"{prefix}{name}_"):
                yield column, (name, *path)
        else:
            yield f"{prefix}{name}", (name,)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def _lookup(result: BaseModel, path: tuple[str, ...]) -> Any:
    value: Any = result
    for part in path:
        if value is None:
            return None
        value = getattr(value, part)
    return value


def csv_export(results: Sequence[ResultView]) -> str:
    """CSV text (RFC 4180 quoting) with one row per result and every metric as a column."""
    columns: list[tuple[str, tuple[str, ...]]] = [(name, (name,)) for name in _LEADING]
    columns += [(n, p) for n, p in _columns(ResultView) if n not in _LEADING]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in columns])
    for result in results:
        writer.writerow([_cell(_lookup(result, path)) for _, path in columns])
    return out.getvalue()
