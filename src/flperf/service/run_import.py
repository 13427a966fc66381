"""Storing a finished run measured elsewhere (`flperf bench --report-to URL`, `POST
/benchmarks/runs/import`): the document is checked against what the database holds (id shape,
name lengths), then its run, results, every request and the samples are stored at once."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flperf.bench.run_document import RunDocument
from flperf.service.errors import ConflictError, InvalidInputError
from flperf.store import Database, RunRow, new_id
from flperf.store.logs_repo import add_log
from flperf.store.requests_repo import insert_records, insert_samples
from flperf.store.runs_repo import POSITIONS_PER_MODEL, get_run, result_row

RUN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
"""What a stored run id may be (the store's own are `run_<hex>`)."""

# Longest text each stored column holds.
_MODEL_ID, _ALIAS, _SCENARIO, _SUITE, _MACHINE, _ENDPOINT, _HASH = 300, 200, 200, 100, 200, 2000, 64


def _check_length(where: str, values: Iterable[str | None], limit: int) -> None:
    for value in values:
        if value is not None and len(value) > limit:
            raise InvalidInputError(where, f"longer than {limit} characters: {value[:40]!r}...")


def check_importable(document: RunDocument) -> None:
    """Raise `InvalidInputError` naming the first part of `document` the store cannot hold."""
    run = document.run
    if not run.status.finished:
        raise InvalidInputError("run.status", "only a finished run can be stored")
    if run.id is not None and not RUN_ID.match(run.id):
        raise InvalidInputError("run.id", "1-40 letters, digits, '_', '.' or '-'")
    _check_length("run.suite_name", [run.suite_name], _SUITE)
    _check_length("run.machine", [run.machine], _MACHINE)
    _check_length("run.endpoint", [run.endpoint], _ENDPOINT)
    _check_length("run.workload_hash", [run.workload_hash], _HASH)
    _check_length("run.model_ids", run.model_ids, _MODEL_ID)
    _check_length("run.model_aliases", run.model_aliases, _ALIAS)
    _check_length("run.scenarios", run.scenarios, _SCENARIO)
    _check_length("run.lifecycle", run.lifecycle, _MODEL_ID)
    _check_length("results.model_id", (r.model_id for r in document.results), _MODEL_ID)
    _check_length("results.model_alias", (r.model_alias for r in document.results), _ALIAS)
    _check_length("results.scenario", (r.scenario for r in document.results), _SCENARIO)
    _check_length("requests.model", (r.model for r in document.requests), _MODEL_ID)
    _check_length("requests.scenario", (r.scenario for r in document.requests), _SCENARIO)
    _check_length("samples.model_id", (s.model_id for s in document.samples), _MODEL_ID)
    indexes = [r.index for r in document.requests]
    if len(set(indexes)) != len(indexes):
        raise InvalidInputError("requests", "two request records have the same index")


def import_run(db: Database, document: RunDocument) -> str:
    """Store `document`, tagged with the machine it ran on; its run id (the document's, or a
    new one when it has none). 409 (`ConflictError`) when that run is stored already."""
    check_importable(document)
    run = document.run
    run_id = run.id or new_id("run")
    aliases = {m: a for m, a in zip(run.model_ids, run.model_aliases, strict=False) if a}
    positions = {m: i for i, m in enumerate(run.model_ids)}
    counters: dict[str, int] = {}
    result_rows = []
    for entry in document.results:
        position = positions.setdefault(entry.model_id, len(positions))
        order = counters.get(entry.model_id, 0)
        counters[entry.model_id] = order + 1
        alias = entry.model_alias or aliases.get(entry.model_id)
        row_index = position * POSITIONS_PER_MODEL + order
        result_rows.append(result_row(run_id, row_index, entry, alias, entry.error))
    suite = {
        "name": run.suite_name,
        "version": run.suite_version,
        "scenarios": [{"name": name} for name in run.scenarios],
        "imported": True,
    }
    with db.write() as session:
        if get_run(session, run_id) is not None:
            raise ConflictError(f"run {run_id} is stored already")
        session.add(
            RunRow(
                id=run_id,
                suite_name=run.suite_name,
                suite=suite,
                scenarios=list(run.scenarios),
                model_ids=list(run.model_ids),
                model_aliases=aliases,
                config=run.config.model_dump(mode="json"),
                hardware_info=(
                    run.hardware_info.model_dump(mode="json") if run.hardware_info else None
                ),
                workload_hash=run.workload_hash or "",
                status=run.status,
                error=run.error,
                requests_total=max(run.progress_detail.total, len(document.requests)),
                requests_done=len(document.requests),
                machine=run.machine or "unknown",
                endpoint=run.endpoint,
                duration_s=run.duration_s,
                lifecycle={
                    model_id: facts.model_dump(mode="json")
                    for model_id, facts in run.lifecycle.items()
                }
                or None,
                created_at=float(run.created_at),
                started_at=run.started_at,
                completed_at=run.completed_at,
            )
        )
        session.flush()  # the run before the rows that refer to it
        session.add_all(result_rows)
        insert_records(session, run_id, document.requests)
        for model_id, samples in document.samples_by_model().items():
            insert_samples(session, run_id, model_id, samples, 0)
        add_log(
            session,
            "run",
            run_id,
            "info",
            f"Run stored from {run.machine or 'another machine'}: "
            f"{len(document.requests)} request records",
        )
    return run_id
