"""`flperf models ...` against a live `flperf serve`: the CLI is a client of the server."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from tests.catalog_variants import QWEN_IN_ORDER, seed_public_catalog

FLPERF = [sys.executable, "-m", "flperf"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(home: Path, **env_vars: str) -> Iterator[dict[str, str]]:
    """`flperf serve` on a free port with ``home`` as data folder; yields the CLI's env."""
    port = _free_port()
    env = dict(
        os.environ, FLPERF_HOME=str(home), FLPERF_API=f"http://127.0.0.1:{port}/api", **env_vars
    )
    proc = subprocess.Popen(
        [*FLPERF, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/system/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("flperf serve did not come up")
        yield env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, str]]:
    with serving(tmp_path / "home") as env:
        yield env


@pytest.fixture
def sim() -> Iterator[SimProcess]:
    with start_simulator(SimConfig(output_tokens=4)) as process:
        yield process


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FLPERF, "models", *args], env=env, capture_output=True, text=True, timeout=180
    )


def test_manage_an_external_model_end_to_end(server: dict[str, str], sim: SimProcess) -> None:
    added = run(
        server,
        "add",
        "my-sim",
        "sim-model",
        "--provider",
        "openai",
        "--endpoint",
        sim.url + "/v1",
        "--pid",
        str(sim.pid),
    )
    assert added.returncode == 0, added.stderr
    assert run(server, "start", "my-sim").returncode == 0
    listed = run(server, "list")
    assert "my-sim" in listed.stdout and "running" in listed.stdout
    health = run(server, "health", "my-sim")
    assert health.returncode == 0 and "healthy" in health.stdout
    assert (
        "my-sim" in run(server, "logs", "my-sim").stdout
        or run(server, "logs", "my-sim").returncode == 0
    )
    assert run(server, "stop", "my-sim").returncode == 0
    assert run(server, "remove", "my-sim").returncode == 0
    gone = run(server, "remove", "my-sim")
    assert gone.returncode == 2 and gone.stderr.startswith("error: no configured model 'my-sim'")


@pytest.mark.foundry
def test_demo_model_is_available_startable_and_healthy(server: dict[str, str]) -> None:
    available = run(server, "available")
    assert "flperf-demo" in available.stdout and "demo" in available.stdout
    assert run(server, "add", "demo", "flperf-demo").returncode == 0
    started = run(server, "start", "demo")
    assert started.returncode == 0 and "serving at http://127.0.0.1:" in started.stdout
    assert run(server, "health", "demo").returncode == 0
    assert "Service started" in run(server, "logs", "demo").stdout
    assert run(server, "stop", "demo").returncode == 0
    listed = run(server, "list").stdout
    assert "last load ms" in listed and "memory after load MiB" in listed
    row = next(line for line in listed.splitlines() if "│ demo " in line)
    load, memory, unload, download = (c.strip() for c in row.strip("│ ").split("│")[-4:])
    assert float(load) > 0 and float(memory) > 0  # measured by its host at the start
    assert float(unload) >= 0  # and the unload when it was stopped
    assert download.startswith("n/a") and "MiB" in download  # not downloaded; its size
    assert "built locally" in listed  # why


def test_bad_input_and_no_server_give_one_line_errors(server: dict[str, str]) -> None:
    bad = run(server, "add", "x", "y", "--provider", "openai", "--endpoint", "not a url")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    nobody = run(dict(server, FLPERF_API="http://127.0.0.1:9/api"), "list")
    assert nobody.returncode == 2 and "no flperf server" in nobody.stderr


@pytest.mark.foundry
def test_available_lists_each_models_variants_together_by_device(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seed_public_catalog(home)  # seen earlier; the catalog is offline now
    offline = f"http://127.0.0.1:{_free_port()}/asset-gallery/v1.0/models"
    with serving(home, FLPERF_FOUNDRY_CATALOG_URLS=offline) as env:
        body = httpx.get(env["FLPERF_API"] + "/models/available", timeout=60).json()
        shown = run(env, "available")
    groups = {g["alias"]: g for g in body["groups"]}
    assert groups["qwen2.5-0.5b"]["variant_ids"] == QWEN_IN_ORDER
    assert groups["qwen2.5-0.5b"]["devices"] == ["CPU", "GPU", "NPU"]
    assert groups["phi-4-mini"]["devices"] == ["CPU", "NPU"]
    assert groups["flperf-demo"]["devices"] == ["CPU"]
    by_id = {m["id"]: m for m in body["models"]}
    npu = by_id["qwen2.5-0.5b-instruct-qnn-npu:3"]
    assert (npu["device"], npu["execution_provider"]) == ("NPU", "QNNExecutionProvider")

    assert shown.returncode == 0, shown.stderr
    assert "Available models: 3 models, 7 variants" in shown.stdout
    rows = [line for line in shown.stdout.splitlines() if "-instruct-" in line]
    qwen_rows = [r for r in rows if "qwen2.5-0.5b-instruct" in r]
    assert [next(i for i in QWEN_IN_ORDER if i in r) for r in qwen_rows] == QWEN_IN_ORDER
    assert "NPU" in qwen_rows[-1] and "QNNExecutionProvider" in qwen_rows[-1]
    assert "GPU" in qwen_rows[1] and "CUDAExecutionProvider" in qwen_rows[1]
    # The alias heads its group once; the other variants' rows leave that cell blank.
    alias_cells = ["qwen2.5-0.5b" in r.split("qwen2.5-0.5b-instruct")[0] for r in qwen_rows]
    assert alias_cells == [True, False, False, False]


@pytest.mark.foundry
def test_cache_shows_and_switches_the_model_cache_folder(
    server: dict[str, str], tmp_path: Path
) -> None:
    default = str((Path(server["FLPERF_HOME"]) / "foundry" / "models").resolve())
    shown = run(server, "cache")
    assert shown.returncode == 0, shown.stderr
    assert f"model cache: {default} (the default)" in shown.stdout
    assert "flperf-demo-generic-cpu:1" in shown.stdout

    other = tmp_path / "other-disk"
    switched = run(server, "cache", "--switch", str(other))
    assert switched.returncode == 0, switched.stderr
    assert f"switched the model cache to {other.resolve()}" in switched.stdout
    assert f"(chosen; default {default})" in switched.stdout
    assert "flperf-demo-generic-cpu:1" in switched.stdout  # registered there on first use
    assert (other / "foundry.local.modelinfo.json").is_file()

    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    refused = run(server, "cache", "--switch", str(a_file))
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"error: path: {a_file} is a file, not a folder"

    back = run(server, "cache", "--switch", "default")
    assert back.returncode == 0 and f"model cache: {default} (the default)" in back.stdout
