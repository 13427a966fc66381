"""Fleet mode: several servers, on one machine or many, sharing one database.

Each `flperf serve` registers itself (`servers` table) with its machine's name and
fingerprint, beats every couple of seconds and owns the runs and sweeps it queued. Another
server's runs are never touched while that server is alive; they become `interrupted` only
once its heartbeat is stale (or it said it stopped). A server restarted on the same machine and
data folder recognises its previous incarnation and takes over its runs at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from dataclasses import dataclass

import psutil

from flperf.bench.fingerprint import collect_fingerprint
from flperf.store import Database, new_id
from flperf.store.servers_repo import (
    add_server,
    beat,
    list_servers,
    mark_stopped,
    servers_with_identity,
)
from flperf.store.tables import ServerRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerView:
    """A server that uses (or used) the database."""

    id: str
    machine: str
    hostname: str
    pid: int
    url: str | None
    started_at: float
    heartbeat_at: float
    stopped_at: float | None
    alive: bool
    current: bool


class FleetMember:
    """This server in the fleet sharing its database."""

    def __init__(
        self,
        db: Database,
        machine: str,
        home_key: str,
        heartbeat_s: float = 2.0,
        stale_after_s: float = 15.0,
    ) -> None:
        self._db = db
        self.id = new_id("server")
        self.machine = machine
        self.identity = hashlib.sha256(f"{machine}\0{home_key}".encode()).hexdigest()[:32]
        self.heartbeat_s = heartbeat_s
        self.stale_after_s = stale_after_s
        self._last_beat = 0.0

    def join(self, url: str | None) -> None:
        """Register this server, and retire earlier incarnations of it that are gone."""
        now = time.time()
        self._retire_earlier(now)
        fingerprint = collect_fingerprint().model_dump(mode="json")
        with self._db.write() as session:
            add_server(
                session,
                ServerRow(
                    id=self.id,
                    machine=self.machine,
                    identity=self.identity,
                    hostname=socket.gethostname(),
                    pid=os.getpid(),
                    url=url,
                    fingerprint=fingerprint,
                    started_at=now,
                    heartbeat_at=now,
                    stopped_at=None,
                ),
            )
        self._last_beat = now

    def _retire_earlier(self, now: float) -> None:
        """Earlier incarnations (same machine name and data folder) that no longer run are
        marked stopped, so their runs are recovered now, not when their heartbeat ages."""
        host = socket.gethostname()
        with self._db.write() as session:
            for row in servers_with_identity(session, self.identity):
                if row.stopped_at is not None:
                    continue
                fresh = now - row.heartbeat_at < self.stale_after_s
                if fresh and row.hostname == host and _alive(row.pid):
                    log.warning(
                        "another server (%s, pid %d) uses this data folder and database",
                        row.id,
                        row.pid,
                    )
                    continue
                mark_stopped(session, row.id, row.heartbeat_at)

    def beat_if_due(self) -> None:
        """Renew the heartbeat when it is due (called every second by the server)."""
        now = time.time()
        if now - self._last_beat < self.heartbeat_s:
            return
        with self._db.write() as session:
            beat(session, self.id, now)
        self._last_beat = now

    def stale_before(self) -> float:
        """Servers whose last heartbeat is older than this are gone."""
        return time.time() - self.stale_after_s

    def leave(self) -> None:
        """Say this server stopped (a clean shutdown)."""
        with self._db.write() as session:
            mark_stopped(session, self.id, time.time())

    def servers(self) -> list[ServerView]:
        """Every server that used the database, newest first, with whether it is alive."""
        stale_before = self.stale_before()
        with self._db.read() as session:
            rows = list_servers(session)
        return [
            ServerView(
                id=r.id,
                machine=r.machine,
                hostname=r.hostname,
                pid=r.pid,
                url=r.url,
                started_at=r.started_at,
                heartbeat_at=r.heartbeat_at,
                stopped_at=r.stopped_at,
                alive=r.stopped_at is None and r.heartbeat_at >= stale_before,
                current=r.id == self.id,
            )
            for r in rows
        ]


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is a new incarnation; the row is an old one
    try:
        return psutil.Process(pid).is_running()
    except psutil.Error:
        return False
