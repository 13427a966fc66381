"""Server settings: from arguments, else the environment, else defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flperf import config
from flperf.config import machine_name

CORS_ORIGINS_ENV = "FLPERF_CORS_ORIGINS"
STALE_AFTER_ENV = "FLPERF_SERVER_STALE_S"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """What `flperf serve` and `create_app` need to know."""

    home: Path
    database_url: str | None = None
    """SQLAlchemy URL; None: `$FLPERF_DATABASE_URL`, else SQLite in `home`."""
    host: str = "127.0.0.1"
    port: int = config.DEFAULT_API_PORT
    cors_origins: tuple[str, ...] = ()
    """Origins allowed besides local ones (localhost, 127.0.0.1, [::1] on any port)."""
    max_body_bytes: int = MIB
    max_document_bytes: int = 512 * MIB
    """Largest run document `POST /api/benchmarks/runs/import` takes (every request of a run)."""
    watch_interval_s: float = 1.0
    """How often started hosts are checked (a dead one becomes `error`) and their output kept."""
    host_start_timeout_s: float = 120.0
    max_queued_runs: int = 20
    machine_name: str = ""
    """This machine's name in a fleet of servers sharing a database (default: the host name)."""
    heartbeat_s: float = 2.0
    """How often this server says it is alive (fleet mode)."""
    stale_after_s: float = 15.0
    """A server silent this long is gone: its runs become `interrupted`."""
    background: bool = True
    """Start the run worker and the host watcher (tests of pure routes may turn them off)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults completed from the environment (`FLPERF_HOME`, `FLPERF_DATABASE_URL`,
        `FLPERF_CORS_ORIGINS` comma-separated), then `overrides`."""
        origins = tuple(
            o.strip().rstrip("/")
            for o in os.environ.get(CORS_ORIGINS_ENV, "").split(",")
            if o.strip()
        )
        stale = os.environ.get(STALE_AFTER_ENV, "").strip()
        base = cls(
            home=config.home(),
            cors_origins=origins,
            machine_name=machine_name(),
            stale_after_s=float(stale) if stale else 15.0,
        )
        return replace(base, **overrides)
