"""Exports: CSV quoted properly (aliases with commas and quotes), every metric a column."""

from __future__ import annotations

import csv
import io

from flperf.bench.metrics import ResultMetrics
from flperf.sim.process import SimProcess
from tests.api.server import LiveServer, wait_run_finished

ALIAS = 'sim, "the fast one"'


def test_csv_quotes_an_alias_with_a_comma_and_a_quote(server: LiveServer, sim: SimProcess) -> None:
    model = server.post(
        "/models",
        json={"alias": ALIAS, "model_id": "sim-model", "provider": "openai", "endpoint": sim.url},
    ).json()["model"]
    run_id = server.post(
        "/benchmarks/run",
        json={
            "modelIds": [model["id"]],
            "config": {"iterations": 2, "scenarios": ["Short Q&A", "Medium Q&A"]},
        },
    ).json()["runId"]
    assert wait_run_finished(server, run_id)["status"] == "completed"

    response = server.get(f"/benchmarks/runs/{run_id}/export/csv")
    assert response.status_code == 200
    assert f'filename="{run_id}.csv"' in response.headers["content-disposition"]
    assert '"sim, ""the fast one"""' in response.text
    rows = list(csv.reader(io.StringIO(response.text)))
    header, body = rows[0], rows[1:]
    assert len(body) == 2 and all(len(row) == len(header) for row in body)
    records = [dict(zip(header, row, strict=True)) for row in body]
    assert [r["model_alias"] for r in records] == [ALIAS, ALIAS]
    assert [r["scenario"] for r in records] == ["Short Q&A", "Medium Q&A"]
    # Every field of a result is a column, nested summaries flattened.
    for name in ResultMetrics.model_fields:
        if name not in (
            "ttft_ms",
            "e2e_ms",
            "itl_ms",
            "gen_tps",
            "output_tokens",
            "dispatch_delay_ms",
            "resources",
        ):
            assert name in header, name
    assert {"ttft_ms_p95", "e2e_ms_p99", "itl_ms_mean", "gen_tps_p50"} <= set(header)
    detail = server.get(f"/benchmarks/runs/{run_id}").json()
    for row, result in zip(records, detail["results"], strict=True):
        assert row["id"] == result["id"]
        assert float(row["latency_p95"]) == result["latency_p95"]
        assert int(row["successful_iterations"]) == 2
        assert row["gpu_avg"] == ("" if result["gpu_avg"] is None else str(result["gpu_avg"]))


def test_json_export_holds_the_run_results_and_every_request(
    server: LiveServer, sim: SimProcess
) -> None:
    model = server.post(
        "/models",
        json={
            "alias": "json-export",
            "model_id": "sim-model",
            "provider": "openai",
            "endpoint": sim.url,
        },
    ).json()["model"]
    run_id = server.post(
        "/benchmarks/run",
        json={
            "modelIds": [model["id"]],
            "config": {"iterations": 3, "warmup": 2, "scenarios": ["Short Q&A"]},
        },
    ).json()["runId"]
    wait_run_finished(server, run_id)
    document = server.get(f"/benchmarks/runs/{run_id}/export/json").json()
    assert set(document) == {"run", "results", "requests", "samples"}
    assert document["run"]["id"] == run_id and document["run"]["status"] == "completed"
    assert [r["index"] for r in document["requests"]] == list(range(5))
    assert sum(r["warmup"] for r in document["requests"]) == 2
    assert {r["scenario"] for r in document["results"]} == {"Short Q&A", "*"}
    samples = server.get(f"/benchmarks/runs/{run_id}/samples").json()["samples"]
    assert document["samples"] == samples
