"""The simulated OpenAI-compatible chat server: in-process object and blocking entry point."""

from __future__ import annotations

import asyncio
import contextlib
import sys

from flperf.bench.event_loop import install_interrupt, stop_signals
from flperf.process_control import ParentWatch
from flperf.sim.config import SimConfig
from flperf.sim.log import WriteLog
from flperf.sim.plan import Planner
from flperf.sim.protocol import SimConnection

PARENT_CHECK_S = 1.0
"""How often a simulator started with a parent pid checks that its parent still runs."""


class SimServer:
    """An OpenAI-compatible chat server with known timings, faults and a write log.

    Use ``await start()`` inside a running event loop; ``log`` holds what it wrote.
    """

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.log = WriteLog(config.log_limit)
        self._planner = Planner(config, self.log)
        self._connections: set[SimConnection] = set()
        self._server: asyncio.Server | None = None
        self.port: int | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host:port`` (0 picks a free port) and return the bound port."""
        if self._server is not None:
            raise RuntimeError("simulator already started")
        loop = asyncio.get_running_loop()
        planner, connections = self._planner, self._connections
        self._server = await loop.create_server(
            lambda: SimConnection(planner, connections), host, port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        """Stop listening and drop open connections, stalled ones included."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for connection in list(self._connections):
            connection.shut()
        await server.wait_closed()

    @property
    def open_connections(self) -> int:
        """Client connections currently open."""
        return len(self._connections)

    def reset(self) -> None:
        """Clear the log and the request counter; restart the random sequences."""
        self.log.reset()
        self._planner.reset()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop event loop when uvloop is importable, else asyncio's default one."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _watch_parent(
    loop: asyncio.AbstractEventLoop, parent: ParentWatch, stop: asyncio.Event
) -> None:
    """Stop once the process that started us is gone."""
    if parent.gone():
        stop.set()
    else:
        loop.call_later(PARENT_CHECK_S, _watch_parent, loop, parent, stop)


async def _serve(config: SimConfig, host: str, port: int, parent_pid: int | None) -> None:
    server = SimServer(config)
    bound = await server.start(host, port)
    print(f"flperf simulator listening on http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if parent_pid is not None:
        _watch_parent(loop, ParentWatch(parent_pid), stop)
    uninstall = install_interrupt(loop, stop.set, stop_signals())
    try:
        await stop.wait()
    finally:
        uninstall()
        await server.stop()


def serve(
    config: SimConfig,
    host: str = "127.0.0.1",
    port: int = 8000,
    parent_pid: int | None = None,
) -> None:
    """Run the simulator until SIGINT or SIGTERM (or SIGBREAK); print the URL it listens on first.

    With ``parent_pid``, also stop when that process (the one that started us) has exited.
    """
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=new_event_loop) as r:
        r.run(_serve(config, host, port, parent_pid))
    sys.stdout.flush()
