"""Recomputing a run's results from its stored records (after a crash, or on demand)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from flperf.bench.metrics import aggregate_run
from flperf.bench.records import RequestRecord
from flperf.bench.resources import attach_resources
from flperf.bench.run_config import RunConfig
from flperf.store.requests_repo import load_records, load_samples
from flperf.store.runs_repo import POSITIONS_PER_MODEL, delete_measured_results, result_row
from flperf.store.tables import RunRow


def recompute_results(session: Session, run: RunRow) -> int:
    """Replace the measured results of `run` with aggregates of its stored records.

    Rows of models that could not start (`error` set) are kept. Returns the results written.
    """
    slos = RunConfig.model_validate(run.config).parsed_slos()
    records = load_records(session, run.id)
    samples = load_samples(session, run.id)  # on the run's time axis, origin 0
    by_model: dict[str, list[RequestRecord]] = {}
    for record in records:
        by_model.setdefault(record.model, []).append(record)
    delete_measured_results(session, run.id)
    order = [str(m) for m in run.model_ids]
    order += [m for m in by_model if m not in order]
    written = 0
    for position, model_id in enumerate(order):
        mine = by_model.get(model_id)
        if not mine:
            continue
        results = attach_resources(aggregate_run(mine, slos), mine, samples, 0)
        alias = run.model_aliases.get(model_id)
        for i, result in enumerate(results):
            session.add(result_row(run.id, position * POSITIONS_PER_MODEL + i, result, alias))
            written += 1
    return written
