"""Drive the original FLPerformance web client, unchanged, against `flperf serve` in Chromium.

Not part of `make test`: the client is another project's code (its `src/client`) and its
packages come from npm. Check it out yourself, then:

    .venv/bin/python scripts/check_original_client.py --client PATH/TO/FLPerformance/src/client

The script starts `flperf serve` on a fresh data folder with the demo model running, builds the
client with `VITE_API_URL` pointing at that server (`npm install` first when `node_modules` is
missing), serves the build with `vite preview`, and walks Dashboard, Models, Benchmarks (runs the
demo model, 2 iterations per scenario), Results, Cache and Settings. It prints each page's first
lines and saves screenshots; it exits 1 when a page threw, logged an error, or the run failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from flperf.process_control import group_leader_options, stop_tree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.api.server import LiveServer, start_server, wait_for
from tests.chromium import launch_chromium, record_script_errors

DEMO = {"alias": "flperf-demo", "model_id": "flperf-demo-generic-cpu:1"}
PREVIEW_PORT = 4173


def build_client(client: Path, api_url: str) -> None:
    """Install the client's packages when missing and build it for ``api_url``."""
    if not (client / "node_modules").is_dir():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=client, check=True)
    env = {**os.environ, "VITE_API_URL": api_url}
    subprocess.run(["npx", "vite", "build"], cwd=client, env=env, check=True, capture_output=True)


def preview_up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def walk(page: Page, base: str, server: LiveServer, shots: Path) -> str:
    """Visit every page the client has, running one benchmark; the run's final status."""

    def visit(path: str, name: str, wait_text: str | None = None) -> None:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        if wait_text:
            page.get_by_text(wait_text).first.wait_for(timeout=20_000)
        page.wait_for_timeout(1000)  # the client polls; let its last answer render
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        lines = page.locator("main, body").first.inner_text().splitlines()
        print(f"--- {name}: {' | '.join(lines[11:18])}")  # past the header and navigation

    visit("/", "dashboard")
    visit("/models", "models", DEMO["alias"])
    visit("/benchmarks", "benchmarks", "Short Q&A")
    page.locator("label", has_text=DEMO["alias"]).click()
    page.locator("input[type=number]").first.fill("2")
    page.get_by_role("button", name="Run Benchmark").click()

    def finished() -> dict[str, object] | None:
        runs = server.get("/benchmarks/runs").json()["runs"]
        return runs[0] if runs and runs[0]["status"] != "running" else None

    run = wait_for(finished, timeout=300, what="the benchmark started from the client")
    print(f"run {run['id']}: {run['status']}, scenarios {len(run['config']['scenarios'])}")
    visit(f"/results?run={run['id']}", "results", "Detailed Results")
    visit("/cache", "cache", "Current Cache Location")
    visit("/settings", "settings")
    return str(run["status"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--client", type=Path, required=True, help="the original src/client")
    parser.add_argument("--shots", type=Path, default=Path("original-client-shots"))
    args = parser.parse_args()
    if not (args.client / "package.json").is_file():
        parser.error(f"--client: no package.json in {args.client}")
    args.shots.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="flperf-original-client-"))
    server = start_server(home, f"sqlite:///{home / 'flperf.db'}")
    preview: subprocess.Popen[bytes] | None = None
    problems: list[str] = []
    try:
        model = server.post("/models", json=DEMO).json()["model"]
        server.post(f"/models/{model['id']}/start").raise_for_status()
        build_client(args.client, server.api)
        # npx starts vite as its child: started as a group leader, the whole tree is stopped.
        preview = subprocess.Popen(
            [
                "npx",
                "vite",
                "preview",
                "--host",
                "127.0.0.1",
                "--port",
                str(PREVIEW_PORT),
                "--strictPort",
            ],
            cwd=args.client,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **group_leader_options(),
        )
        base = f"http://127.0.0.1:{PREVIEW_PORT}"
        wait_for(lambda: preview_up(base), timeout=30, what="vite preview")
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            record_script_errors(page, problems)
            page.on("dialog", lambda dialog: dialog.accept())
            status = walk(page, base, server, args.shots)
            browser.close()
        if status != "completed":
            problems.append(f"the run ended {status}")
    finally:
        if preview is not None:
            stop_tree(preview)
        server.stop()
    print(f"screenshots in {args.shots}; problems: {len(problems)}")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
