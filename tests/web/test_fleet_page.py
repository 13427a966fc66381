"""Fleet mode in a real browser: the dashboard lists the servers sharing the database, every
runs table names the machine a run was measured on, a machine's link lists only its runs, and
Compare labels each column with its machine when the runs span machines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from tests.api.server import LiveServer, start_server, wait_run_finished

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("fleet-web")
    live = start_server(
        home, f"sqlite:///{home / 'flperf.db'}", env={"FLPERF_MACHINE_NAME": "web-box"}
    )
    yield live
    live.stop()


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    with start_simulator(SimConfig(ttft_ms=5, itl_ms=1, output_tokens=8)) as process:
        yield process


@pytest.fixture(scope="module")
def runs(server: LiveServer, sim: SimProcess, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One run measured by the server (web-box), one reported by the CLI on studio-c."""
    body = {"alias": "fleet-sim", "model_id": "sim-model", "provider": "openai",
            "endpoint": sim.url}  # fmt: skip
    model_id = server.post("/models", json=body).json()["model"]["id"]
    started = server.post(
        "/benchmarks/run",
        json={
            "modelIds": [model_id],
            "config": {"iterations": 4, "warmup": 0, "scenarios": ["Short Q&A"]},
        },
    ).json()
    local = wait_run_finished(server, started["runId"])
    assert local["status"] == "completed"
    tmp = tmp_path_factory.mktemp("studio")
    out = tmp / "run.json"
    env = dict(os.environ, FLPERF_MACHINE_NAME="studio-c", FLPERF_HOME=str(tmp / "home"))
    done = subprocess.run(
        [
            sys.executable, "-m", "flperf", "bench", "--endpoint", sim.url, "--model",
            "sim-model", "--scenario", "Short Q&A", "--iterations", "4", "--warmup", "0",
            "--json", str(out), "--report-to", server.url,
        ],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {"web-box": started["runId"], "studio-c": json.loads(out.read_text())["run"]["id"]}


def test_dashboard_lists_this_server_and_each_runs_machine(page: Page, runs: dict) -> None:
    page.goto("/")
    fleet = page.locator("#fleet")
    row = fleet.locator("tr", has_text="web-box")
    expect(row).to_contain_text("this server")
    expect(row.locator(".badge", has_text="alive")).to_be_visible()
    expect(row).to_contain_text("127.0.0.1")
    recent = page.locator("#runs")
    expect(recent.locator("th", has_text="Machine")).to_be_visible()
    expect(recent.locator("tr", has_text="studio-c")).to_have_count(1)
    expect(recent.locator("tr", has_text="web-box")).to_have_count(1)


def test_a_machines_link_lists_only_the_runs_measured_there(page: Page, runs: dict) -> None:
    page.goto("/")
    page.locator("#runs").get_by_role("link", name="studio-c").click()
    expect(page).to_have_url(f"{page.url.split('/results')[0]}/results?machine=studio-c")
    expect(page.locator("h2", has_text="Runs measured on studio-c")).to_be_visible()
    table = page.locator("#results table tbody")
    expect(table.locator("tr")).to_have_count(1)
    expect(table.locator("a", has_text=runs["studio-c"][:12])).to_be_visible()
    page.goto("/results?machine=nowhere")
    expect(page.locator(".empty")).to_contain_text("No runs measured on nowhere.")


def test_results_and_compare_name_the_machine(page: Page, runs: dict) -> None:
    page.goto(f"/results?run={runs['studio-c']}")
    expect(page.locator(".run-head")).to_contain_text("studio-c")
    page.goto("/compare")
    # Runs from two machines: the picker groups them, one machine each.
    for machine, run_id in runs.items():
        group = page.locator(f"fieldset.pick-group[data-machine='{machine}']")
        expect(group.locator("input[name=run]")).to_have_count(1)
        group.locator("input[name=run]").check()
        expect(group.locator("input[name=run]")).to_have_value(run_id)
    page.locator("#compare-go").click()
    comparison = page.locator("#comparison")
    expect(comparison.locator("th", has_text="@ web-box")).not_to_have_count(0)
    expect(comparison.locator("th", has_text="@ studio-c")).not_to_have_count(0)
