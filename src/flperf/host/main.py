"""The host process: ``python -m flperf.host --model-id ID [--port P] [--data-dir DIR]``.

It binds its port first (a busy port fails at once), starts Foundry Local with flperf's data
folders, finds and loads the model (LOCAL catalog first: registered folders and the demo model;
then the public catalog's downloaded models), serves OpenAI-compatible HTTP on 127.0.0.1 and
prints one readiness line on stdout, with what the runtime start and the model load took and
the process's memory right after the load. On failure it prints one error line and exits with
the code of its `HostErrorKind`. SIGTERM or SIGINT (SIGBREAK on Windows) stops it: it unloads
the model and prints one stop line with the time the unload took.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import socket
import sys
import time
from pathlib import Path
from time import perf_counter
from typing import Any

import psutil

from flperf.bench.lifecycle import ModelLifecycle
from flperf.host.protocol import HostErrorKind, ReadyInfo, error_line, ready_line, stopped_line

log = logging.getLogger("flperf.host")
HOST = "127.0.0.1"


class HostFailure(Exception):
    """A start-up failure with its kind (what the parent reports)."""

    def __init__(self, kind: HostErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class _LevelFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"[{record.levelname.lower()}] {record.getMessage()}" + (
            "\n" + self.formatException(record.exc_info) if record.exc_info else ""
        )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m flperf.host", description="Serve one Foundry Local model over HTTP."
    )
    parser.add_argument("--model-id", required=True, help="model id or alias")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="flperf data folder (default: $FLPERF_HOME or ~/.flperf)",
    )
    parser.add_argument(
        "--model-path",
        type=Path,
        default=None,
        help="ONNX Runtime GenAI folder to register under --model-id",
    )
    parser.add_argument(
        "--catalog-url",
        action="append",
        default=None,
        help="public catalog URL (repeatable; default Foundry's)",
    )
    parser.add_argument(
        "--parent-pid", type=int, default=None, help="exit when this process is gone"
    )
    parser.add_argument("--log-level", default="info")
    return parser.parse_args(argv)


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:port, or `HostFailure` saying the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise HostFailure(
                HostErrorKind.PORT_IN_USE, f"port {port} on {HOST} is already in use"
            ) from exc
        raise HostFailure(HostErrorKind.RUNTIME_ERROR, f"cannot bind {HOST}:{port}: {exc}") from exc
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def open_model(
    home: Path, model_id: str, model_path: Path | None, catalog_urls: tuple[str, ...] | None
) -> tuple[Any, Any, ModelLifecycle]:
    """Start the runtime and return (runtime, loaded SDK model, what starting them took)."""
    from flperf.providers.errors import ModelFolderError, ProviderError
    from flperf.providers.foundry_runtime import FoundryRuntime
    from flperf.providers.local_models import (
        DEMO_ALIAS,
        DEMO_MODEL_ID,
        ensure_demo,
        register_folder,
    )

    began = perf_counter()
    try:
        runtime = FoundryRuntime.open(home, catalog_urls)
    except ProviderError as exc:
        raise HostFailure(HostErrorKind.RUNTIME_ERROR, str(exc)) from exc
    runtime_init_ms = (perf_counter() - began) * 1000.0
    try:
        if model_path is not None:
            model = register_folder(runtime, model_path, model_id)
        elif model_id in (DEMO_MODEL_ID, DEMO_ALIAS):
            model = ensure_demo(runtime)
        else:
            model = _find(runtime, model_id)
    except ModelFolderError as exc:
        raise HostFailure(HostErrorKind.INVALID_MODEL_FOLDER, str(exc)) from exc
    except ProviderError as exc:
        raise HostFailure(HostErrorKind.MODEL_NOT_FOUND, str(exc)) from exc
    if not model.is_cached:
        raise HostFailure(
            HostErrorKind.NOT_DOWNLOADED,
            f"model {model.id} is not downloaded; download it first "
            f"(flperf models download {model.id})",
        )
    began = perf_counter()
    try:
        model.load()
    except runtime.sdk.FoundryLocalException as exc:
        raise HostFailure(HostErrorKind.RUNTIME_ERROR, f"loading {model.id} failed: {exc}") from exc
    load_ms = (perf_counter() - began) * 1000.0
    facts = ModelLifecycle(
        source="flperf-host",
        runtime_init_ms=runtime_init_ms,
        load_ms=load_ms,
        memory_after_load_mb=_rss_mb(),
        loaded_at=time.time(),
    )
    return runtime, model, _with_files(facts, model)


def _rss_mb() -> float | None:
    """This process's resident memory, MiB."""
    try:
        return float(psutil.Process().memory_info().rss) / (1024 * 1024)
    except psutil.Error:
        return None


_NOT_DOWNLOADED = {
    "demo": "the demo model is built locally from flperf's recipe: nothing is downloaded",
    "local": "a folder registered in the LOCAL catalog: nothing is downloaded",
    "public": "downloaded before this host started; its time is known only for downloads "
    "flperf ran",
}


def _with_files(facts: ModelLifecycle, model: Any) -> ModelLifecycle:
    """`facts` with the size of the model's files and why their download time is unknown."""
    from flperf.providers.local_models import describe, folder_mib

    try:
        info = describe(model)
    except Exception:  # a description is a nicety; the model is loaded and serves anyway
        return facts.with_reason("download", "the runtime could not describe the model")
    size = folder_mib(info.path) if info.path else info.size_mb
    return facts.model_copy(update={"download_mb": size}).with_reason(
        "download", _NOT_DOWNLOADED[info.source]
    )


def _find(runtime: Any, model_id: str) -> Any:
    from flperf.providers.public_catalog import probe_reachable

    local = runtime.local_catalog()
    model = local.get_model_variant(model_id) if ":" in model_id else local.get_model(model_id)
    if model is not None:
        return model
    if not probe_reachable(runtime.public_catalog_urls, 2.0):
        raise HostFailure(
            HostErrorKind.MODEL_NOT_FOUND,
            f"model {model_id!r} is not in the local catalog, and the public catalog is "
            "unavailable (offline?)",
        )
    log.info("%s is not a local model; asking the public catalog", model_id)
    public = runtime.public_catalog()
    model = public.get_model_variant(model_id) if ":" in model_id else public.get_model(model_id)
    if model is None:
        raise HostFailure(
            HostErrorKind.MODEL_NOT_FOUND,
            f"model {model_id!r} is in neither the local catalog nor the public catalog",
        )
    return model


async def _watch_parent(parent_pid: int, stop: asyncio.Event) -> None:
    """Set ``stop`` once the parent process (the server that started us) is gone."""
    from flperf.process_control import ParentWatch

    parent = ParentWatch(parent_pid)
    while not parent.gone():
        await asyncio.sleep(0.5)
    log.warning("parent process %d is gone; stopping", parent_pid)
    stop.set()


async def serve(
    sock: socket.socket,
    runtime: Any,
    model: Any,
    parent_pid: int | None = None,
    lifecycle: ModelLifecycle | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT (SIGBREAK on Windows); print the readiness line once listening."""
    from flperf.bench.event_loop import install_interrupt, stop_signals
    from flperf.host.engine import ChatEngine
    from flperf.host.server import HostApp, serve_on

    host_app = HostApp(ChatEngine(runtime.sdk, model), alias=model.alias, lifecycle=lifecycle)
    server = await serve_on(sock, host_app)
    port = sock.getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    uninstall = install_interrupt(loop, stop.set, stop_signals())
    info = ReadyInfo(
        port=port,
        model=model.id,
        pid=os.getpid(),
        url=f"http://{HOST}:{port}",
        lifecycle=lifecycle,
    )
    watcher = asyncio.create_task(_watch_parent(parent_pid, stop)) if parent_pid else None
    print(ready_line(info), flush=True)
    log.info("serving %s on %s", model.id, info.url)
    await stop.wait()
    uninstall()
    if watcher is not None:
        watcher.cancel()
    log.info("stopping: cancelling %d request(s) in flight", len(host_app.in_flight))
    host_app.cancel_all()
    server.close()
    host_app.close_connections()
    await server.wait_closed()
    await asyncio.to_thread(host_app.pool.shutdown, wait=True, cancel_futures=True)
    host_app.engine.close()


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LevelFormatter())
    logging.basicConfig(level=args.log_level.upper(), handlers=[handler])
    from flperf import config

    home = args.data_dir if args.data_dir is not None else config.home()
    try:
        sock = bind(args.port)
        runtime, model, lifecycle = open_model(
            home,
            args.model_id,
            args.model_path,
            tuple(args.catalog_url) if args.catalog_url else None,
        )
    except HostFailure as exc:
        log.error("%s", exc)
        print(error_line(exc.kind, str(exc)), flush=True)
        return exc.kind.exit_code
    except Exception as exc:  # anything else the runtime throws is still reported as a line
        log.exception("host start failed")
        print(error_line(HostErrorKind.RUNTIME_ERROR, f"{type(exc).__name__}: {exc}"), flush=True)
        return HostErrorKind.RUNTIME_ERROR.exit_code
    from flperf.bench.event_loop import run

    run(serve(sock, runtime, model, args.parent_pid, lifecycle))
    print(stopped_line(unload(model)), flush=True)
    log.info("stopped")
    return 0


def unload(model: Any) -> ModelLifecycle:
    """Unload the model and say how long that took (or why it is not known)."""
    began = perf_counter()
    try:
        model.unload()
    except Exception as exc:  # stopping goes on; the parent learns why there is no time
        return ModelLifecycle(source="flperf-host", unloaded_at=time.time()).with_reason(
            "unload", f"unloading failed: {exc}"
        )
    return ModelLifecycle(
        source="flperf-host",
        unload_ms=(perf_counter() - began) * 1000.0,
        unloaded_at=time.time(),
    )


def entry() -> None:
    """Exit without the native runtime's static destructors (they may abort at exit)."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
