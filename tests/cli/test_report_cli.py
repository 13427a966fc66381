"""`flperf report` from a run JSON file written by `flperf bench --json`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from csv import DictReader
from pathlib import Path

import pytest

from flperf.sim.config import SimConfig
from flperf.sim.process import start_simulator

FLPERF = [sys.executable, "-m", "flperf"]


@pytest.fixture(scope="module")
def run_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "run.json"
    with start_simulator(SimConfig(ttft_ms=3, itl_ms=1, output_tokens=12, fail_500=0.1)) as sim:
        done = subprocess.run(
            [
                *FLPERF,
                "bench",
                "--endpoint",
                sim.url,
                "--model",
                "sim-model",
                "--iterations",
                "8",
                "--scenario",
                "Short Q&A",
                "--scenario",
                "Math reasoning",
                "--json",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    return out


def test_bench_json_carries_samples_and_fingerprint(run_json: Path) -> None:
    doc = json.loads(run_json.read_text())
    assert doc["samples"] and {"model_id", "t_ms", "cpu_percent"} <= set(doc["samples"][0])
    assert doc["run"]["hardware_info"]["cpu_cores_logical"] >= 1


def test_report_writes_html_markdown_and_csv(run_json: Path, tmp_path: Path) -> None:
    html, md, csv = tmp_path / "r.html", tmp_path / "r.md", tmp_path / "r.csv"
    done = subprocess.run(
        [*FLPERF, "report", str(run_json), "--html", str(html), "--md", str(md), "--csv", str(csv)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    page = html.read_text()
    assert "<html" in page and "Math reasoning" in page and 'src="http' not in page
    assert "| Short Q&A |" in md.read_text()
    rows = list(DictReader(io.StringIO(csv.read_text())))
    assert [r["scenario"] for r in rows] == ["Short Q&A", "Math reasoning", "*"]
    assert all(r["model"] == "sim-model" and float(r["tps"]) > 0 for r in rows)


def test_report_without_outputs_prints_markdown(run_json: Path) -> None:
    done = subprocess.run([*FLPERF, "report", str(run_json)], capture_output=True, text=True)
    assert done.returncode == 0 and "sim-model" in done.stdout


def test_report_of_a_bad_file_or_unknown_run_fails_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    for source in (str(bad), "run_doesnotexist"):
        done = subprocess.run([*FLPERF, "report", source], capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
