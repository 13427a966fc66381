"""Exports: one path for the API and the CLI (the same bytes), CSV quoted and guarded, every
metric a column, each model's `*` row included."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flperf.sim.process import SimProcess
from tests.api.server import LiveServer, wait_run_finished

ALIAS = 'sim, "the fast one"'
FORMATS = ("json", "csv", "md", "html")


def _run(server: LiveServer, sim: SimProcess, alias: str, **config: object) -> str:
    model = server.post(
        "/models",
        json={"alias": alias, "model_id": "sim-model", "provider": "openai", "endpoint": sim.url},
    ).json()["model"]
    run_id = server.post(
        "/benchmarks/run",
        json={"modelIds": [model["id"]], "config": {"iterations": 2, **config}},
    ).json()["runId"]
    assert wait_run_finished(server, run_id)["status"] == "completed"
    return str(run_id)


def test_csv_quotes_an_alias_with_a_comma_and_a_quote(server: LiveServer, sim: SimProcess) -> None:
    run_id = _run(server, sim, ALIAS, scenarios=["Short Q&A", "Medium Q&A"])

    response = server.get(f"/benchmarks/runs/{run_id}/export/csv")
    assert response.status_code == 200
    assert f'filename="{run_id}.csv"' in response.headers["content-disposition"]
    assert '"sim, ""the fast one"""' in response.text
    rows = list(csv.reader(io.StringIO(response.text)))
    header, body = rows[0], rows[1:]
    assert len(body) == 3 and all(len(row) == len(header) for row in body)
    records = [dict(zip(header, row, strict=True)) for row in body]
    assert [r["model"] for r in records] == [ALIAS] * 3
    assert [r["scenario"] for r in records] == ["Short Q&A", "Medium Q&A", "*"]
    assert {"ttft_ms_p95", "e2e_ms_p99", "itl_ms_mean", "decode_tps_p50", "gen_tps"} <= set(header)
    detail = server.get(f"/benchmarks/runs/{run_id}").json()
    for row, result in zip(records, detail["results"] + detail["summary"], strict=True):
        assert row["model_id"] == result["model_id"] and row["scenario"] == result["scenario"]
        assert float(row["latency_p95"]) == result["latency_p95"]
        assert int(row["successful_iterations"]) == (4 if row["scenario"] == "*" else 2)


def test_a_formula_in_an_alias_is_not_run_by_a_spreadsheet(
    server: LiveServer, sim: SimProcess
) -> None:
    run_id = _run(server, sim, "=HYPERLINK(1)", scenarios=["Short Q&A"])
    rows = list(csv.reader(io.StringIO(server.get(f"/benchmarks/runs/{run_id}/export/csv").text)))
    assert {row[0] for row in rows[1:]} == {"'=HYPERLINK(1)"}


def test_json_export_holds_the_run_results_and_every_request(
    server: LiveServer, sim: SimProcess
) -> None:
    run_id = _run(server, sim, "json-export", iterations=3, warmup=2, scenarios=["Short Q&A"])
    document = server.get(f"/benchmarks/runs/{run_id}/export/json").json()
    assert set(document) == {"run", "results", "requests", "samples"}
    assert document["run"]["id"] == run_id and document["run"]["status"] == "completed"
    assert [r["index"] for r in document["requests"]] == list(range(5))
    assert sum(r["warmup"] for r in document["requests"]) == 2
    assert [r["scenario"] for r in document["results"]] == ["Short Q&A", "*"]
    samples = server.get(f"/benchmarks/runs/{run_id}/samples").json()["samples"]
    assert document["samples"] == samples


def _flperf_report(server: LiveServer, source: str, out: Path) -> dict[str, bytes]:
    env = dict(os.environ, FLPERF_HOME=str(server.home), FLPERF_DATABASE_URL=server.database_url)
    args = [arg for fmt in FORMATS for arg in (f"--{fmt}", str(out / f"cli.{fmt}"))]
    done = subprocess.run(
        [sys.executable, "-m", "flperf", "report", source, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return {fmt: (out / f"cli.{fmt}").read_bytes() for fmt in FORMATS}


@pytest.mark.parametrize("source", ["store", "file"])
def test_api_and_cli_exports_are_the_same_bytes(
    server: LiveServer, sim: SimProcess, tmp_path: Path, source: str
) -> None:
    run_id = _run(server, sim, f"same-bytes-{source}", scenarios=["Short Q&A", "Code generation"])
    api = {fmt: server.get(f"/benchmarks/runs/{run_id}/export/{fmt}").content for fmt in FORMATS}
    if source == "file":
        (tmp_path / "run.json").write_bytes(api["json"])
        cli = _flperf_report(server, str(tmp_path / "run.json"), tmp_path)
    else:
        cli = _flperf_report(server, run_id, tmp_path)
    for fmt in FORMATS:
        assert cli[fmt] == api[fmt], fmt
