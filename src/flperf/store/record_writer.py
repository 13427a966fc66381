"""Writing a run's request records as they complete, off the benchmark's event loop.

`add` only puts the record on a queue (the measuring loop never waits for the database); a
writer thread commits what has arrived in batches: after the first record of a batch it waits at
most `linger_s` for more, up to `max_batch`. Killing the process therefore loses only the
requests in flight and those completed in the last `linger_s`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from flperf.bench.records import RequestRecord
from flperf.store.database import Database
from flperf.store.requests_repo import insert_records

log = logging.getLogger(__name__)

_STOP = object()


class RecordWriter:
    """Batched, durable writes of one run's records from a dedicated thread."""

    def __init__(
        self,
        db: Database,
        run_id: str,
        *,
        linger_s: float = 0.05,
        max_batch: int = 500,
        retry_for_s: float = 10.0,
        transform: Callable[[RequestRecord], RequestRecord] | None = None,
    ) -> None:
        self._db = db
        self._run_id = run_id
        self._linger_s = linger_s
        self._max_batch = max_batch
        self._retry_for_s = retry_for_s
        self._transform = transform
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.written = 0
        self.dropped = 0
        self._thread = threading.Thread(
            target=self._run, name=f"flperf-records-{run_id}", daemon=True
        )
        self._thread.start()

    def add(self, record: RequestRecord) -> None:
        """Queue one record (thread-safe, never blocks)."""
        self._queue.put(self._transform(record) if self._transform else record)

    def close(self, timeout_s: float = 60.0) -> int:
        """Write what is queued, stop the thread; returns the records written in all."""
        self._queue.put(_STOP)
        self._thread.join(timeout_s)
        return self.written

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            deadline = time.monotonic() + self._linger_s
            while len(batch) < self._max_batch:
                remaining = deadline - time.monotonic()
                try:
                    item = (
                        self._queue.get(timeout=max(remaining, 0.0))
                        if remaining > 0
                        else (self._queue.get_nowait())
                    )
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            self._write([r for r in batch if isinstance(r, RequestRecord)])

    def _write(self, batch: list[RequestRecord]) -> None:
        deadline = time.monotonic() + self._retry_for_s
        delay = 0.05
        while True:
            try:
                with self._db.write() as session:
                    insert_records(session, self._run_id, batch)
                self.written += len(batch)
                return
            except Exception:
                if time.monotonic() >= deadline:
                    self.dropped += len(batch)
                    log.exception("could not store %d records of %s", len(batch), self._run_id)
                    return
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
