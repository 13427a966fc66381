"""Capture the UI's screenshots for the docs from a real server with real runs.

    python -m tests.web.screenshots docs/images [sweeps|lifecycle]

Starts `flperf serve` in a temporary data folder, adds the built-in demo model (Foundry Local)
and the flperf simulator as an external OpenAI-compatible endpoint, runs benchmarks, and saves
one PNG per page at 1280x800 (plus the results charts, a dark-mode and a narrow view). With
`sweeps`, only the Sweeps page (a sweep of the demo model and one of a simulator with a capacity);
with `lifecycle`, only the lifecycle views (the demo model and an Ollama-like simulator).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

from flperf.sim.config import SimConfig
from flperf.sim.process import start_simulator
from tests.api.server import LiveServer, start_server, wait_for, wait_run_finished
from tests.chromium import launch_chromium
from tests.web.conftest import DESKTOP

DEMO_ID = "flperf-demo-generic-cpu:1"
SHORT = ["Short Q&A", "Medium Q&A"]
MACHINE = {"FLPERF_MACHINE_NAME": "lab-desktop"}
"""The machine the pictured server says it runs on (not this one's host name)."""
CONFIG: dict[str, Any] = {"iterations": 10, "warmup": 1, "concurrency": 2, "max_tokens": 64}


def run(server: LiveServer, models: list[str], **config: Any) -> str:
    body = {"modelIds": models, "suiteName": "default", "config": {**CONFIG, **config}}
    response = server.post("/benchmarks/run", json=body)
    response.raise_for_status()
    return str(response.json()["runId"])


def shoot(page: Page, path: str, out: Path, ready: str | None = None, full: bool = False) -> None:
    page.goto(path)
    if ready:
        expect(page.locator(ready).first).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out), full_page=full)
    print(f"saved {out}")


def capture(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="flperf-shots-"))
    sim_config = SimConfig(model="sim-chat", ttft_ms=40, itl_ms=4, jitter=0.3, fail_500=0.02)
    with start_simulator(sim_config) as sim:
        server = start_server(home, f"sqlite:///{home / 'flperf.db'}", env=MACHINE)
        try:
            demo = server.post("/models", json={"alias": "flperf-demo", "model_id": DEMO_ID})
            external = server.post(
                "/models",
                json={
                    "alias": "sim-chat (external)",
                    "model_id": "sim-chat",
                    "provider": "openai",
                    "endpoint": sim.url,
                    "pid": sim.pid,
                },
            )
            ids = [demo.json()["model"]["id"], external.json()["model"]["id"]]
            first = run(server, ids)
            wait_run_finished(server, first, timeout=600)
            second = run(server, ids)
            wait_run_finished(server, second, timeout=600)
            server.post(f"/models/{ids[0]}/start").raise_for_status()
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                page = browser.new_page(viewport=DESKTOP)
                base = server.url
                shoot(page, base + "/", out_dir / "dashboard.png", "#runs table")
                shoot(page, base + "/models", out_dir / "models.png", "#configured table")
                live = run(server, ids, iterations=40)
                wait_for(
                    lambda: (
                        server.get(f"/benchmarks/runs/{live}/requests?limit=1").json()["total"] > 60
                    ),
                    timeout=120,
                    what="the live run to get going",
                )
                shoot(
                    page,
                    base + f"/benchmarks?run={live}",
                    out_dir / "benchmarks.png",
                    "#spark-tps .trace",
                )
                server.post(f"/benchmarks/runs/{live}/cancel")
                shoot(
                    page,
                    base + f"/results?run={first}",
                    out_dir / "results.png",
                    "body[data-ready=true]",
                )
                page.add_style_tag(content=".topbar { position: static; }")
                page.locator("#results .card", has_text="Charts").screenshot(
                    path=str(out_dir / "results-charts.png")
                )
                print(f"saved {out_dir / 'results-charts.png'}")
                page.locator("#metrics").screenshot(path=str(out_dir / "results-tables.png"))
                print(f"saved {out_dir / 'results-tables.png'}")
                shoot(
                    page,
                    base + f"/compare?runs={first},{second}",
                    out_dir / "compare.png",
                    "body[data-ready=true]",
                )
                page.add_style_tag(content=".topbar { position: static; }")
                page.locator("#comparison section.card").nth(2).screenshot(
                    path=str(out_dir / "compare-scenario.png")
                )
                print(f"saved {out_dir / 'compare-scenario.png'}")
                dark = browser.new_page(viewport=DESKTOP, color_scheme="dark")
                shoot(
                    dark,
                    base + f"/results?run={second}",
                    out_dir / "results-dark.png",
                    "body[data-ready=true]",
                )
                narrow = browser.new_page(viewport={"width": 400, "height": 800})
                shoot(narrow, base + "/models", out_dir / "models-narrow.png", "#configured table")
                browser.close()
        finally:
            server.stop()


def sweep(server: LiveServer, model_id: str, sweep_settings: dict[str, Any], **config: Any) -> str:
    body = {
        "modelIds": [model_id],
        "suiteName": "default",
        "config": {"scenarios": ["Short Q&A"], "warmup": 1, "max_tokens": 32, **config},
        "sweep": sweep_settings,
    }
    response = server.post("/benchmarks/sweeps", json=body)
    response.raise_for_status()
    sweep_id = str(response.json()["sweepId"])
    wait_for(
        lambda: server.get(f"/benchmarks/sweeps/{sweep_id}").json()["sweep"]["status"] != "running",
        timeout=900,
        interval=1.0,
        what=f"sweep {sweep_id}",
    )
    return sweep_id


def capture_sweeps(out_dir: Path) -> None:
    """The Sweeps page: the simulator with a known capacity, and the demo model."""
    out_dir.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="flperf-shots-"))
    sim_config = SimConfig(model="sim-chat", ttft_ms=25, itl_ms=3, jitter=0.1, capacity=8)
    with start_simulator(sim_config) as sim:
        server = start_server(home, f"sqlite:///{home / 'flperf.db'}", env=MACHINE)
        try:
            demo = server.post("/models", json={"alias": "flperf-demo", "model_id": DEMO_ID})
            external = server.post(
                "/models",
                json={
                    "alias": "sim-chat (capacity 8)",
                    "model_id": "sim-chat",
                    "provider": "openai",
                    "endpoint": sim.url,
                    "pid": sim.pid,
                },
            )
            demo_id = demo.json()["model"]["id"]
            server.post(f"/models/{demo_id}/start").raise_for_status()
            auto = {"axis": "concurrency", "mode": "auto", "start": 1, "max": 32}
            sweep(server, demo_id, {**auto, "max": 8}, iterations=4, slos=["ttft_p95_ms=150"])
            sim_sweep = sweep(
                server, external.json()["model"]["id"], auto, iterations=6, slos=["ttft_p95_ms=60"]
            )
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                page = browser.new_page(viewport=DESKTOP)
                shoot(
                    page,
                    server.url + f"/sweeps?sweep={sim_sweep}",
                    out_dir / "sweeps.png",
                    "body[data-ready=true]",
                )
                page.add_style_tag(content=".topbar { position: static; }")
                page.wait_for_timeout(500)
                for name, locator in (
                    ("sweeps-curves.png", page.locator("#sweep-detail")),
                    ("sweeps-pareto.png", page.locator("section[aria-labelledby=pareto-h]")),
                ):
                    locator.screenshot(path=str(out_dir / name))
                    print(f"saved {out_dir / name}")
                browser.close()
        finally:
            server.stop()


def capture_lifecycle(out_dir: Path) -> None:
    """Lifecycle on the Models and Results pages: the demo model started by a run (cold), then
    measured again while running (warm), beside an Ollama-like simulator that tells its memory."""
    out_dir.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="flperf-shots-"))
    sim_config = SimConfig(model="llama3.2:1b", ttft_ms=30, itl_ms=4, jitter=0.2, ollama=True)
    with start_simulator(sim_config) as sim:
        server = start_server(home, f"sqlite:///{home / 'flperf.db'}", env=MACHINE)
        try:
            demo = server.post("/models", json={"alias": "flperf-demo", "model_id": DEMO_ID})
            external = server.post(
                "/models",
                json={
                    "alias": "llama3.2 (Ollama)",
                    "model_id": "llama3.2:1b",
                    "provider": "openai",
                    "endpoint": sim.url,
                },
            )
            ids = [demo.json()["model"]["id"], external.json()["model"]["id"]]
            cold = run(server, ids, iterations=6, scenarios=["Short Q&A"])
            wait_run_finished(server, cold, timeout=600)
            server.post(f"/models/{ids[0]}/start").raise_for_status()
            warm = run(server, ids, iterations=6, scenarios=["Short Q&A"])
            wait_run_finished(server, warm, timeout=600)
            server.post(f"/models/{ids[0]}/stop").raise_for_status()
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                page = browser.new_page(viewport=DESKTOP)
                page.goto(server.url + "/models")
                expect(page.locator("#configured table")).to_be_visible(timeout=30_000)
                page.wait_for_load_state("networkidle")
                row = page.locator("#configured tbody tr", has_text="flperf-demo")
                row.get_by_role("button", name="Test & logs").click()
                expect(page.locator("#detail-health dl")).to_be_visible(timeout=30_000)
                page.locator("#detail-dialog").screenshot(
                    path=str(out_dir / "models-lifecycle-detail.png")
                )
                print(f"saved {out_dir / 'models-lifecycle-detail.png'}")
                for name, run_id in (("results-lifecycle.png", cold), ("results-warm.png", warm)):
                    page.goto(server.url + f"/results?run={run_id}")
                    expect(page.locator("body[data-ready=true]")).to_be_visible(timeout=30_000)
                    page.add_style_tag(content=".topbar { position: static; }")
                    page.locator("#lifecycle").screenshot(path=str(out_dir / name))
                    print(f"saved {out_dir / name}")
                browser.close()
        finally:
            server.stop()


def capture_fleet_and_quality(out_dir: Path) -> None:
    """Fleet mode: the demo model measured by the server on "lab-desktop" and reported by the
    CLI from "laptop-a" (dashboard, Compare across machines); quality beside speed: a model
    that answers right against a faster one that does not."""
    out_dir.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="flperf-shots-"))
    right = SimConfig(model="steady-7b", ttft_ms=60, itl_ms=9, jitter=0.2, answer="Canberra.")
    fast = SimConfig(model="quick-1b", ttft_ms=25, itl_ms=3, jitter=0.2)
    with start_simulator(right) as good, start_simulator(fast) as quick:
        server = start_server(home, f"sqlite:///{home / 'flperf.db'}", env=MACHINE)
        try:
            demo = server.post("/models", json={"alias": "flperf-demo", "model_id": DEMO_ID})
            here = run(server, [demo.json()["model"]["id"]], iterations=6, scenarios=SHORT)
            wait_run_finished(server, here, timeout=600)
            laptop = home / "laptop.json"
            subprocess.run(
                [
                    sys.executable, "-m", "flperf", "bench", "--model", DEMO_ID, "--scenario",
                    SHORT[0], "--scenario", SHORT[1], "--iterations", "6", "--concurrency", "2",
                    "--max-tokens", "64", "--json", str(laptop), "--report-to", server.url,
                    "--quiet",
                ],
                check=True, timeout=600, capture_output=True,
                env={**os.environ, "FLPERF_MACHINE_NAME": "laptop-a",
                     "FLPERF_HOME": str(home / "laptop")},
            )  # fmt: skip
            there = json.loads(laptop.read_text())["run"]["id"]
            ids = []
            for alias, sim in (("steady-7b", good), ("quick-1b", quick)):
                body = {"alias": alias, "model_id": alias, "provider": "openai",
                        "endpoint": sim.url}  # fmt: skip
                ids.append(server.post("/models", json=body).json()["model"]["id"])
            both = run(server, ids, iterations=12, scenarios=SHORT[:1])
            wait_run_finished(server, both, timeout=600)
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                page = browser.new_page(viewport=DESKTOP)
                shoot(page, server.url + "/", out_dir / "dashboard-fleet.png", "#fleet table")
                shoot(
                    page,
                    server.url + f"/compare?runs={here},{there}",
                    out_dir / "compare-machines.png",
                    "body[data-ready=true]",
                )
                page.goto(server.url + f"/compare?runs={both}")
                expect(page.locator("body[data-ready=true]")).to_be_visible(timeout=30_000)
                page.add_style_tag(content=".topbar { position: static; }")
                heading = page.locator("h2, h3", has_text=SHORT[0])
                page.locator("#comparison section.card", has=heading).screenshot(
                    path=str(out_dir / "compare-quality.png")
                )
                print(f"saved {out_dir / 'compare-quality.png'}")
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")
    if sys.argv[2:] == ["sweeps"]:
        capture_sweeps(target)
    elif sys.argv[2:] == ["lifecycle"]:
        capture_lifecycle(target)
    elif sys.argv[2:] == ["fleet"]:
        capture_fleet_and_quality(target)
    else:
        capture(target)
        capture_sweeps(target)
        capture_lifecycle(target)
        capture_fleet_and_quality(target)
