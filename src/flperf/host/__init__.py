"""The per-model Foundry Local host process and its supervisor in the parent.

`start_host` spawns ``python -m flperf.host`` for one model and returns a `HostHandle`;
`HostManager` keeps track of every host it started and stops them all on shutdown.
"""

from __future__ import annotations

from flperf.host.protocol import HostErrorKind
from flperf.host.supervisor import (
    HostHandle,
    HostLogRecord,
    HostManager,
    HostStartError,
    start_host,
)

__all__ = [
    "HostErrorKind",
    "HostHandle",
    "HostLogRecord",
    "HostManager",
    "HostStartError",
    "start_host",
]
