"""`flperf demo` (what `make run` runs): the whole product on the built-in demo model.

It starts `flperf serve` (or uses one already answering on the port), adds and starts the offline
demo model through Foundry Local, runs the default suite through the REST API with a progress bar,
prints the results table and keeps serving the web UI until Ctrl-C. Every step goes through the
same API a user or the browser would use.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from flperf import config
from flperf.cli.errors import EXIT_CANCELLED, fail
from flperf.process_control import group_leader_options, stop_tree
from flperf.providers import DEMO_ALIAS, DEMO_MODEL_ID

TERMINAL = ("completed", "failed", "cancelled", "interrupted")
EXIT_TERMINATED = 143


def _answers(client: Any) -> bool:
    import httpx

    try:
        return httpx.get(client.base + "/system/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _start_server(port: int, client: Any) -> tuple[subprocess.Popen[bytes], Path]:
    log_path = config.home() / "logs" / "serve.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # It leads its own process group (stop_tree asks it there) and ends itself if we die.
    command = [sys.executable, "-m", "flperf", "serve", "--port", str(port)]
    command += ["--parent-pid", str(os.getpid())]
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            **group_leader_options(),
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(f"flperf serve exited with code {server.returncode}; see {log_path}")
        if _answers(client):
            return server, log_path
        time.sleep(0.25)
    stop_tree(server, timeout_s=10)
    fail(f"flperf serve did not answer within 60 s; see {log_path}")


def _demo_model(client: Any) -> str:
    for model in client.call("GET", "/models")["models"]:
        if model["alias"] == DEMO_ALIAS:
            return str(model["id"])
    body = {"alias": DEMO_ALIAS, "model_id": DEMO_MODEL_ID, "provider": "foundry"}
    return str(client.call("POST", "/models", json=body)["model"]["id"])


def _follow(client: Any, run_id: str) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("ETA {task.fields[eta]}"),
        transient=True,
    ) as bar:
        task = bar.add_task("queued", total=None, eta="-")
        while True:
            status = client.call("GET", f"/benchmarks/runs/{run_id}/status")
            progress, current = status["progress_detail"], status.get("current") or {}
            eta = status.get("eta_s")
            bar.update(
                task,
                total=progress["total"] or None,
                completed=progress["done"],
                description=f"{current.get('model_alias') or ''} {current.get('scenario') or ''}",
                eta="-" if eta is None else f"{eta:.0f} s",
            )
            if status["status"] in TERMINAL:
                return status
            time.sleep(0.3)


def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the web UI and API")] = (
        config.DEFAULT_API_PORT
    ),
    iterations: Annotated[int, typer.Option(min=1, max=1000, help="Requests per scenario")] = 5,
    exit_after: Annotated[
        bool, typer.Option("--exit", help="Stop the server after printing the results")
    ] = False,
) -> None:
    """Benchmark the built-in demo model through Foundry Local and serve the web UI."""
    from flperf.bench.metrics import ResultMetrics
    from flperf.cli.api_client import ApiClient
    from flperf.cli.tables import results_console, results_table

    client = ApiClient(f"http://127.0.0.1:{port}/api")
    console = results_console()
    server = None
    # A SIGTERM ends the demo like Ctrl-C does: through `finally`, which stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(EXIT_TERMINATED))
    if not _answers(client):
        if not _port_free(port):
            fail(f"port {port} is taken by another program; try `flperf demo --port {port + 1}`")
        server, log_path = _start_server(port, client)
        console.print(f"started flperf serve (pid {server.pid}), log: {log_path}")
    try:
        model_id = _demo_model(client)
        with console.status("starting the demo model in Foundry Local ..."):
            client.call("POST", f"/models/{model_id}/start")
        body = {
            "modelIds": [model_id],
            "suiteName": "default",
            "config": {"iterations": iterations, "warmup": 1, "temperature": 0.7},
        }
        run_id = client.call("POST", "/benchmarks/run", json=body)["runId"]
        status = _follow(client, run_id)
        detail = client.call("GET", f"/benchmarks/runs/{run_id}")
        rows = [ResultMetrics.model_validate(r) for r in detail["results"] + detail["summary"]]
        for row in rows:
            row.model_id = DEMO_ALIAS
        console.print(results_table(rows, title=f"default suite on {DEMO_ALIAS} ({run_id})"))
        if status["status"] != "completed":
            fail(f"run {run_id} ended {status['status']}: {status.get('error') or 'see its logs'}")
        ui = f"http://127.0.0.1:{port}"
        console.print(f"Results: {ui}/results?run={run_id}   Dashboard: {ui}   API: {ui}/api/docs")
        if server is None or exit_after:
            return
        console.print("Serving the web UI; press Ctrl-C to stop.")
        server.wait()
    except KeyboardInterrupt:
        raise SystemExit(EXIT_CANCELLED) from None
    finally:
        if server is not None:
            stop_tree(server, timeout_s=30)
