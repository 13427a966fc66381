"""`flperf sweep` as a user runs it: one-line errors, the points table, --json, the demo model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flperf.sim.config import SimConfig
from flperf.sim.process import start_simulator

from .test_bench_cli import flperf

NOWHERE = ["--endpoint", "http://127.0.0.1:9", "--model", "m"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--loads", "2.5"], "--loads: a concurrency is a whole number, got 2.5"),
        (["--max", "2000"], "--max: 2000 is outside 1..1024"),
        (["--factor", "1"], "--factor: Input should be greater than 1"),
        (["--rate-mode", "poisson"], "--rate-mode and --max-concurrency apply to --axis rate"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_option(args: list[str], expected: str) -> None:
    done = flperf("sweep", *NOWHERE, *args)
    assert done.returncode == 2, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines


def test_a_rate_sweep_prints_its_points_and_writes_every_run_with_the_sweep(
    tmp_path: Path,
) -> None:
    out = tmp_path / "sweep.json"
    sim_config = SimConfig(ttft_ms=10, itl_ms=2, output_tokens=8, capacity=2)
    with start_simulator(sim_config) as sim:
        done = flperf(
            "sweep",
            "--endpoint",
            sim.url,
            "--model",
            "sim-model",
            "--prompt",
            "hi",
            "--axis",
            "rate",
            "--loads",
            "20,40",
            "--iterations",
            "6",
            "--fixed-iterations",
            "--max-tokens",
            "8",
            "--rate-mode",
            "poisson",
            "--slo",
            "e2e_p95_ms=5000",
            "--json",
            str(out),
            "--markdown",
            str(tmp_path / "sweep.md"),
        )
    assert done.returncode == 0, done.stderr
    assert "sim-model: rate sweep" in done.stdout
    summary = (tmp_path / "sweep.md").read_text()
    assert "| rate | tokens/s |" in summary and "- **stopped:** reached the highest load" in summary
    assert "capacity under SLO: at least rate 40 (no load measured missed)" in done.stdout
    assert "stopped: reached the highest load (40)" in done.stdout
    doc = json.loads(out.read_text())
    assert set(doc) == {"sweep", "models", "pareto", "runs"}
    sweep = doc["sweep"]
    assert sweep["status"] == "completed" and sweep["settings"]["loads"] == [20, 40]
    (model,) = doc["models"]
    points = model["analysis"]["points"]
    assert [p["load"] for p in points] == [20, 40] and all(p["passed"] for p in points)
    runs = {r["run"]["id"]: r for r in doc["runs"]}
    assert [p["run_id"] for p in points] == list(runs)
    for p in points:
        run = runs[p["run_id"]]
        assert run["run"]["sweep_id"] == sweep["id"]
        load = run["run"]["config"]["load"]
        assert load["kind"] == "poisson" and load["rate"] == p["load"]
        assert len([r for r in run["requests"] if not r["warmup"]]) == 6 == p["requests"]
    assert sum(1 for p in doc["pareto"] if p["optimal"]) >= 1


@pytest.mark.foundry
def test_a_sweep_of_the_demo_model_runs_through_a_real_host_and_stops_it(tmp_path: Path) -> None:
    import psutil

    out = tmp_path / "sweep.json"
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    done = flperf(
        "sweep",
        "--model",
        "flperf-demo",
        "--scenario",
        "Short Q&A",
        "--loads",
        "1,2",
        "--iterations",
        "2",
        "--max-tokens",
        "16",
        "--temperature",
        "0",
        "--json",
        str(out),
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert "flperf-demo: concurrency sweep" in done.stdout
    doc = json.loads(out.read_text())
    assert doc["sweep"]["model_ids"] == ["flperf-demo"]
    assert len(doc["runs"]) == 2
    for run in doc["runs"]:
        assert run["run"]["hardware_info"]["model_variant_id"] == "flperf-demo-generic-cpu:1"
        assert all(r["status"] == "ok" for r in run["requests"])
    (model,) = doc["models"]
    assert [p["load"] for p in model["analysis"]["points"]] == [1, 2]
    assert all(p["tps"] > 0 for p in model["analysis"]["points"])
    after = {p.pid for p in psutil.Process().children(recursive=True)}
    assert after <= before  # the host it started is gone
