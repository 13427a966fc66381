"""Writing log records to the database (and to the server's own log)."""

from __future__ import annotations

import logging
from typing import Any

from flperf.store.database import Database
from flperf.store.logs_repo import add_log

log = logging.getLogger("flperf")

_PY_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


class Logbook:
    """Log records about models (`service`), runs (`run`) and the server (`system`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def write(
        self,
        entity_type: str,
        entity_id: str | None,
        level: str,
        message: str,
        meta: dict[str, Any] | None = None,
        at: float | None = None,
    ) -> None:
        """Store one record; a database error is logged, never raised (logs must not break work)."""
        log.log(_PY_LEVELS.get(level, logging.INFO), "%s %s: %s", entity_type, entity_id, message)
        try:
            with self._db.write() as session:
                add_log(session, entity_type, entity_id, level, message, meta, at)
        except Exception:
            log.exception("could not store a log record")

    def service(self, model_id: str, level: str, message: str, **meta: Any) -> None:
        self.write("service", model_id, level, message, meta or None)

    def run(self, run_id: str, level: str, message: str, **meta: Any) -> None:
        self.write("run", run_id, level, message, meta or None)
