"""Per-request records and resource samples of runs: bulk writes and paged reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from flperf.bench.records import RequestRecord
from flperf.bench.resource_figures import ResourceSample
from flperf.store.tables import SAMPLE_FIELDS, RequestRow, SampleRow

_RECORD_FIELDS = tuple(RequestRecord.__dataclass_fields__)
_REQUESTS: Table = RequestRow.__table__  # type: ignore[assignment]
_SAMPLES: Table = SampleRow.__table__  # type: ignore[assignment]


def record_row(run_id: str, record: RequestRecord) -> dict[str, Any]:
    """The `requests` row of one record."""
    row = {name: getattr(record, name) for name in _RECORD_FIELDS}
    for key in ("status", "error_kind", "token_source"):
        value = row[key]
        row[key] = value.value if value is not None else None
    row["run_id"] = run_id
    return row


def insert_records(session: Session, run_id: str, records: Iterable[RequestRecord]) -> int:
    """Insert records in one statement (executemany); returns how many."""
    rows = [record_row(run_id, r) for r in records]
    if rows:
        session.execute(insert(_REQUESTS), rows)
    return len(rows)


def _record_columns() -> list[Any]:
    return [_REQUESTS.c[name] for name in _RECORD_FIELDS]


def load_records(session: Session, run_id: str) -> list[RequestRecord]:
    """Every record of a run, in index order."""
    query = (
        select(*_record_columns())
        .where(_REQUESTS.c.run_id == run_id)
        .order_by(_REQUESTS.c["index"])
    )
    return [RequestRecord.from_dict(dict(row._mapping)) for row in session.execute(query)]


def count_records(session: Session, run_id: str) -> int:
    query = select(func.count()).select_from(_REQUESTS).where(_REQUESTS.c.run_id == run_id)
    return int(session.scalar(query) or 0)


def page_records(
    session: Session,
    run_id: str,
    *,
    model: str | None = None,
    scenario: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[RequestRecord], int]:
    """One page of a run's records (index order) matching the filters, and the match count."""
    where = [_REQUESTS.c.run_id == run_id]
    if model is not None:
        where.append(_REQUESTS.c.model == model)
    if scenario is not None:
        where.append(_REQUESTS.c.scenario == scenario)
    if status is not None:
        where.append(_REQUESTS.c.status == status)
    total = int(session.scalar(select(func.count()).select_from(_REQUESTS).where(*where)) or 0)
    query = (
        select(*_record_columns())
        .where(*where)
        .order_by(_REQUESTS.c["index"])
        .offset(offset)
        .limit(limit)
    )
    records = [RequestRecord.from_dict(dict(row._mapping)) for row in session.execute(query)]
    return records, total


def last_wall_end(session: Session, run_id: str) -> float | None:
    """Wall-clock time (Unix s) the last stored request of a run ended, estimated."""
    query = select(
        func.max(_REQUESTS.c.wall_start + (_REQUESTS.c.end_ms - _REQUESTS.c.start_ms) / 1000.0)
    ).where(_REQUESTS.c.run_id == run_id)
    value = session.scalar(query)
    return float(value) if value is not None else None


def insert_samples(
    session: Session,
    run_id: str,
    model_id: str,
    samples: Sequence[ResourceSample],
    ref_ns: int,
) -> int:
    """Store samples with `t_ms` on the run's time axis (`ref_ns` is its origin)."""
    rows = []
    for sample in samples:
        row: dict[str, Any] = {name: getattr(sample, name) for name in SAMPLE_FIELDS}
        row.update(
            run_id=run_id,
            model_id=model_id,
            t_ms=(sample.t_ns - ref_ns) / 1e6,
            wall_time=sample.wall_time,
        )
        rows.append(row)
    if rows:
        session.execute(insert(_SAMPLES), rows)
    return len(rows)


def load_samples(session: Session, run_id: str) -> dict[str, list[ResourceSample]]:
    """A run's samples per model, `t_ns` on the run's time axis (origin 0)."""
    query = select(SampleRow).where(SampleRow.run_id == run_id).order_by(SampleRow.id)
    out: dict[str, list[ResourceSample]] = {}
    for row in session.scalars(query):
        values = {name: getattr(row, name) for name in SAMPLE_FIELDS}
        sample = ResourceSample(t_ns=int(row.t_ms * 1e6), wall_time=row.wall_time, **values)
        out.setdefault(row.model_id, []).append(sample)
    return out


def list_samples(session: Session, run_id: str) -> list[SampleRow]:
    query = select(SampleRow).where(SampleRow.run_id == run_id).order_by(SampleRow.id)
    return list(session.scalars(query))
