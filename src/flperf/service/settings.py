"""Server settings: from arguments, else the environment, else defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flperf import config

CORS_ORIGINS_ENV = "FLPERF_CORS_ORIGINS"
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
    watch_interval_s: float = 1.0
    """How often started hosts are checked (a dead one becomes `error`) and their output kept."""
    host_start_timeout_s: float = 120.0
    max_queued_runs: int = 20
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
        base = cls(home=config.home(), cors_origins=origins)
        return replace(base, **overrides)
