"""A throwaway PostgreSQL server for the tests, from Debian's binaries, on a free local port.

`FLPERF_TEST_POSTGRES_URL` (an admin URL of a server someone else runs) takes precedence; on
other systems than Linux, or without the binaries, the PostgreSQL tests skip saying so.
Running as root, the server runs as the `postgres` user (PostgreSQL refuses root).
"""

from __future__ import annotations

import atexit
import glob
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

EXTERNAL_URL_ENV = "FLPERF_TEST_POSTGRES_URL"


class PostgresUnavailable(RuntimeError):
    """Why no PostgreSQL server can be had here (the tests skip with this reason)."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresUnavailable(
            "PostgreSQL binaries not found (/usr/lib/postgresql/*/bin; apt-get install postgresql)"
        )
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server; `admin_url` reaches its `postgres` database as superuser."""

    admin_url: str
    data_dir: Path | None = None
    pg_ctl: list[str] | None = None

    def create_database(self) -> str:
        """A fresh empty database; returns its SQLAlchemy URL (psycopg 3)."""
        import psycopg

        name = f"flperf_{secrets.token_hex(6)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"

    def stop(self) -> None:
        if self.pg_ctl is not None:
            subprocess.run([*self.pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Start a server (or use `$FLPERF_TEST_POSTGRES_URL`); raises `PostgresUnavailable`."""
    external = os.environ.get(EXTERNAL_URL_ENV)
    if external:
        return PostgresServer(admin_url=external)
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise PostgresUnavailable(f"psycopg is not installed ({exc})") from None
    if sys.platform != "linux":
        raise PostgresUnavailable(
            "the test server comes from Debian's PostgreSQL packages (Linux); elsewhere set "
            f"{EXTERNAL_URL_ENV} to an admin URL of a server you run"
        )
    bin_dir = _bin_dir()
    run_as: list[str] = []
    data_dir = Path(tempfile.mkdtemp(prefix="flperf-pg-"))
    if os.geteuid() == 0:
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(data_dir)
            raise PostgresUnavailable("running as root and there is no 'postgres' user") from None
        runuser = shutil.which("runuser")
        if runuser is None:
            shutil.rmtree(data_dir)
            raise PostgresUnavailable("running as root and runuser is missing")
        os.chown(data_dir, user.pw_uid, user.pw_gid)
        run_as = [runuser, "-u", "postgres", "--"]
    pgdata = data_dir / "data"
    init = subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(pgdata),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
    )
    if init.returncode != 0:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
    port = _free_port()
    options = (
        f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    pg_ctl = [*run_as, str(bin_dir / "pg_ctl"), "-D", str(pgdata), "-w", "-t", "60"]
    started = subprocess.run(
        [*pg_ctl, "-l", str(data_dir / "server.log"), "-o", options, "start"],
        capture_output=True,
        text=True,
    )
    if started.returncode != 0:
        log = (data_dir / "server.log").read_text(errors="replace")[-800:]
        shutil.rmtree(data_dir, ignore_errors=True)
        raise PostgresUnavailable(f"pg_ctl start failed: {started.stderr.strip()} {log}")
    return PostgresServer(
        admin_url=f"postgresql://postgres@127.0.0.1:{port}/postgres",
        data_dir=data_dir,
        pg_ctl=pg_ctl,
    )


_shared: PostgresServer | PostgresUnavailable | None = None


def shared_postgres() -> PostgresServer:
    """One server for the whole test session (stopped at exit); raises `PostgresUnavailable`."""
    global _shared
    if _shared is None:
        try:
            _shared = start_postgres()
        except PostgresUnavailable as exc:
            _shared = exc
        else:
            atexit.register(_shared.stop)
    if isinstance(_shared, PostgresUnavailable):
        raise _shared
    return _shared
