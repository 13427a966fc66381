"""A `RunSink` that stores a run as it is measured: records in batches, then each model's
results and resource samples, its lifecycle facts, and log records (used by the run worker
process)."""

from __future__ import annotations

from flperf.bench.fingerprint import Fingerprint
from flperf.bench.lifecycle import ModelLifecycle
from flperf.bench.metrics import ResultMetrics
from flperf.bench.records import RequestRecord
from flperf.bench.resource_figures import ResourceSample
from flperf.bench.session import ModelRef
from flperf.service.logbook import Logbook
from flperf.store import Database, RecordWriter
from flperf.store.requests_repo import insert_samples
from flperf.store.runs_repo import (
    POSITIONS_PER_MODEL,
    replace_results,
    result_row,
    set_hardware_info,
    set_model_lifecycle,
)


class StoreSink:
    """Writes one run's measurements to the database; `close()` flushes the records."""

    def __init__(self, db: Database, run_id: str, logbook: Logbook) -> None:
        self._db = db
        self._run_id = run_id
        self._logbook = logbook
        self._writer = RecordWriter(db, run_id)
        self._ref_ns = 0

    @property
    def written(self) -> int:
        """Records stored so far."""
        return self._writer.written

    def started(self, fingerprint: Fingerprint, ref_ns: int) -> None:
        self._ref_ns = ref_ns
        with self._db.write() as session:
            set_hardware_info(session, self._run_id, fingerprint.model_dump(mode="json"))

    def record(self, record: RequestRecord) -> None:
        self._writer.add(record)

    def measured(
        self,
        model: ModelRef,
        position: int,
        results: list[ResultMetrics],
        samples: list[ResourceSample],
        error: str | None,
    ) -> None:
        rows = [
            result_row(self._run_id, position * POSITIONS_PER_MODEL + i, r, model.alias, error)
            for i, r in enumerate(results)
        ]
        with self._db.write() as session:
            replace_results(session, self._run_id, model.key, rows)
            insert_samples(session, self._run_id, model.key, samples, self._ref_ns)

    def log(self, level: str, message: str) -> None:
        self._logbook.run(self._run_id, level, message)

    def lifecycle(self, model: ModelRef, facts: ModelLifecycle) -> None:
        with self._db.write() as session:
            set_model_lifecycle(session, self._run_id, model.key, facts.model_dump(mode="json"))

    def close(self) -> int:
        """Store every record still queued; returns how many were stored in all."""
        return self._writer.close()
