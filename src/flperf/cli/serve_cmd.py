"""`flperf serve`: the REST API (and the web UI) on http://127.0.0.1:3001 by default.

The socket is bound before the application starts, so `--port 0` picks a free port and the
printed URL is the one that answers. SIGTERM and Ctrl-C shut down cleanly: running and queued
runs end `cancelled`, every host this server started is stopped. So does the end of the process
given by the hidden `--parent-pid` (`flperf demo` passes its own), however that process ended.
"""

from __future__ import annotations

import errno
import gc
import logging
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING, Annotated

import typer

from flperf.cli.errors import fail
from flperf.config import DEFAULT_API_PORT

if TYPE_CHECKING:
    import uvicorn


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if sys.platform == "win32":
        # There SO_REUSEADDR would let a second server bind the same port; claim it alone.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
    else:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            fail(f"port {port} on {host} is already in use; choose another with --port", 1)
        fail(f"cannot listen on {host}:{port} ({exc.strerror or exc})", 1)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url(host: str, port: int) -> str:
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1: this machine only)")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port (0 picks a free one)")
    ] = DEFAULT_API_PORT,
    log_level: Annotated[
        str, typer.Option(help="critical, error, warning, info or debug")
    ] = "info",
    machine_name: Annotated[
        str | None,
        typer.Option(
            help="This machine's name on runs and in the fleet (default: $FLPERF_MACHINE_NAME, "
            "else the host name)"
        ),
    ] = None,
    parent_pid: Annotated[
        int | None,
        typer.Option(min=1, hidden=True, help="Shut down once this process is gone"),
    ] = None,
) -> None:
    """Serve the REST API and web UI; runs are stored in the data folder's database."""
    import uvicorn

    from flperf.api import create_app
    from flperf.service import Settings
    from flperf.store import redact

    level = log_level.lower()
    if level not in ("critical", "error", "warning", "info", "debug"):
        fail(f"--log-level must be critical, error, warning, info or debug, got {log_level!r}")
    logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
    if level != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    sock = _bind(host, port)
    actual = sock.getsockname()[1]
    overrides: dict[str, str | int] = {"host": host, "port": actual}
    if machine_name is not None:
        if not machine_name.strip() or len(machine_name) > 200:
            sock.close()
            fail("--machine-name must be 1 to 200 characters")
        overrides["machine_name"] = machine_name.strip()
    settings = Settings.from_env(**overrides)
    try:
        app = create_app(settings)
    except Exception as exc:
        sock.close()
        fail(f"cannot open the database: {exc}", 1)
    services = app.state.services
    url = _url(host, actual)
    print(f"FLPerformance {url}  (API {url}/api, docs {url}/api/docs)", flush=True)
    print(f"data: {settings.home}  database: {redact(services.db.url)}", flush=True)
    # Everything made while starting (app, schemas, metadata, libraries) lives as long as the
    # server: keep it out of the garbage collector's full passes (they cost ~100 ms each).
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(
        app,
        log_level=level,
        lifespan="on",
        timeout_graceful_shutdown=10,
        access_log=level == "debug",
    )
    server = uvicorn.Server(config)
    if parent_pid is not None:
        _stop_when_gone(server, parent_pid)
    server.run(sockets=[sock])


def _stop_when_gone(server: uvicorn.Server, parent_pid: int) -> None:
    """Shut ``server`` down as on SIGTERM once ``parent_pid`` has ended (however it ended)."""
    from flperf.process_control import ParentWatch

    parent = ParentWatch(parent_pid)

    def watch() -> None:
        while not server.should_exit:
            if parent.gone():
                logging.getLogger("flperf.serve").warning(
                    "process %d that started this server is gone; stopping", parent_pid
                )
                server.should_exit = True
                return
            time.sleep(0.5)

    threading.Thread(target=watch, name="flperf-parent-watch", daemon=True).start()
