"""Quality beside speed: the default suite's answer checks become a score per model (pass rate
with n), in results, Compare (tested as a proportion) and the exports, so a model that answers
worse is visible next to its tokens/s."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from tests.api.server import LiveServer, wait_run_finished

# "Short Q&A" expects "canberra" and "Medium Q&A" "scatter" (the default suite).
RIGHT = "Canberra. Sunlight scatters off the air."
SCENARIOS = ["Short Q&A", "Medium Q&A"]
ITERATIONS = 6


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, SimProcess]]:
    right = SimConfig(ttft_ms=2, itl_ms=0.5, output_tokens=12, answer=RIGHT)
    wrong = SimConfig(ttft_ms=1, itl_ms=0.2, output_tokens=12)  # faster, answers nothing useful
    with start_simulator(right) as good, start_simulator(wrong) as fast:
        yield {"right": good, "wrong": fast}


@pytest.fixture(scope="module")
def quality_run(server: LiveServer, sims: dict[str, SimProcess]) -> dict[str, Any]:
    ids = {}
    for name, sim in sims.items():
        body = {"alias": f"quality-{name}", "model_id": "sim-model", "provider": "openai",
                "endpoint": sim.url}  # fmt: skip
        response = server.post("/models", json=body)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["model"]["id"]
    config = {"iterations": ITERATIONS, "warmup": 0, "scenarios": SCENARIOS}
    started = server.post(
        "/benchmarks/run", json={"modelIds": [ids["right"], ids["wrong"]], "config": config}
    ).json()
    assert wait_run_finished(server, started["runId"])["status"] == "completed"
    return {"run_id": started["runId"], "ids": ids}


def test_each_model_gets_a_pass_rate_with_its_n(server: LiveServer, quality_run: dict) -> None:
    detail = server.get(f"/benchmarks/runs/{quality_run['run_id']}").json()
    by_model = {r["model_id"]: r for r in detail["summary"]}
    right, wrong = (by_model[quality_run["ids"][k]] for k in ("right", "wrong"))
    assert (right["quality_score"], right["quality_checked"]) == (100.0, 2 * ITERATIONS)
    assert (wrong["quality_score"], wrong["quality_checked"]) == (0.0, 2 * ITERATIONS)
    for result in detail["results"]:
        assert result["quality_checked"] == ITERATIONS
    metrics = {m["key"]: m for m in server.get("/metrics").json()["metrics"]}
    assert metrics["quality"]["n_path"] == ["quality_checked"]
    assert "compare" in metrics["quality"]["views"] and "report" in metrics["quality"]["views"]


def test_compare_tests_the_pass_rates_as_proportions(server: LiveServer, quality_run: dict) -> None:
    view = server.get("/benchmarks/compare", params={"runs": quality_run["run_id"]}).json()
    assert [sc["scenario"] for sc in view["scenarios"]] == SCENARIOS
    for scenario in view["scenarios"]:
        baseline, other = scenario["entries"]
        assert baseline["model_id"] == quality_run["ids"]["right"]
        quality = next(d for d in other["diffs"] if d["metric"] == "quality")
        assert (quality["baseline"], quality["value"]) == (100.0, 0.0)
        assert quality["method"] == "fisher" and quality["verdict"] == "different"
        assert quality["better"] is False
        assert quality["p_value"] == pytest.approx(2 / 924)  # 6/6 vs 0/6, exact
        speed = next(d for d in other["diffs"] if d["metric"] == "tps")
        assert speed["better"] is True  # faster, and worse: both visible


def test_exports_put_quality_beside_throughput(server: LiveServer, quality_run: dict) -> None:
    base = f"/benchmarks/runs/{quality_run['run_id']}/export"
    markdown = server.get(f"{base}/md").text
    header = next(line for line in markdown.splitlines() if "Quality" in line)
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns.index("Quality %") == columns.index("Throughput tok/s") + 1
    assert "(n=6)" in markdown and "(n=12)" in markdown
    html = server.get(f"{base}/html").text
    assert "Quality" in html and "(n=12)" in html
    rows = list(csv.DictReader(io.StringIO(server.get(f"{base}/csv").text)))
    scores = {(r["model_id"], r["scenario"]): r["quality_score"] for r in rows}
    assert scores[(quality_run["ids"]["wrong"], "*")] in ("0", "0.0")


def test_the_cli_table_shows_quality_with_n(sims: dict[str, SimProcess], tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "flperf", "bench", "--endpoint", sims["right"].url, "--model",
            "sim-model", "--scenario", "Short Q&A", "--iterations", "4", "--warmup", "0",
            "--quiet",
        ],
        capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "FLPERF_HOME": str(tmp_path), "COLUMNS": "250"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Quality" in done.stdout and "(n=4)" in done.stdout
