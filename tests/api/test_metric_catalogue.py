"""One catalogue entry is all it takes for a metric to reach the CLI table, the compare service,
the reports and the JSON the web UI builds its tables from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from flperf.api import create_app
from flperf.bench import metric_catalog
from flperf.bench.metric_catalog import stat
from flperf.bench.metrics import ResultMetrics
from flperf.bench.run_document import RunDocument
from flperf.cli.tables import _ms, results_table
from flperf.report.figures import number
from flperf.report.registry import render
from flperf.service import Settings
from flperf.sim.process import SimProcess
from tests.api.server import OFFLINE_CATALOG, wait_for

TTFT_P90 = stat("ttft_p90", "ttft_ms", "p90", views=("cli", "compare", "report", "ui"))


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The whole application in this process (so a patched catalogue is the one it reads)."""
    monkeypatch.setenv("FLPERF_FOUNDRY_CATALOG_URLS", OFFLINE_CATALOG)
    settings = Settings.from_env(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'f.db'}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _run_two_models(client: TestClient, sim: SimProcess) -> str:
    ids = [
        client.post(
            "/api/models",
            json={"alias": f"cat-{n}", "model_id": "sim-model", "provider": "openai",
                  "endpoint": sim.url},
        ).json()["model"]["id"]
        for n in range(2)
    ]  # fmt: skip
    body = {"modelIds": ids, "config": {"iterations": 4, "warmup": 0, "scenarios": ["Short Q&A"]}}
    run_id: str = client.post("/api/benchmarks/run", json=body).json()["runId"]

    def finished() -> dict[str, Any] | None:
        status: dict[str, Any] = client.get(f"/api/benchmarks/runs/{run_id}/status").json()
        return status if status["status"] not in ("queued", "running") else None

    assert wait_for(finished, 60, what=f"run {run_id}")["status"] == "completed"
    return run_id


def _cli_text(results: list[ResultMetrics]) -> str:
    console = Console(record=True, width=400)
    console.print(results_table(results))
    return console.export_text()


def test_a_new_catalogue_entry_shows_in_every_view(
    client: TestClient, sim: SimProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _run_two_models(client, sim)
    detail = client.get(f"/api/benchmarks/runs/{run_id}").json()
    results = [ResultMetrics.model_validate(r) for r in detail["results"] + detail["summary"]]
    document = RunDocument.parse(client.get(f"/api/benchmarks/runs/{run_id}/export/json").content)
    # Before: no view knows the metric.
    assert "ttft_p90" not in {m["key"] for m in client.get("/api/metrics").json()["metrics"]}
    assert "TTFT p90" not in _cli_text(results)
    assert "TTFT p90" not in render(document, "md").decode()

    monkeypatch.setattr(metric_catalog, "METRICS", (*metric_catalog.METRICS, TTFT_P90))

    catalog = client.get("/api/metrics").json()
    (entry,) = [m for m in catalog["metrics"] if m["key"] == "ttft_p90"]
    assert entry["label"] == "TTFT p90" and entry["unit"] == "ms" and entry["better"] == "lower"
    assert entry["path"] == ["ttft_ms", "p90"] and entry["tail"] is True
    assert entry["views"] == ["cli", "compare", "report", "ui"] and entry["group"] == "performance"

    comparison = client.get("/api/benchmarks/compare", params={"runs": run_id}).json()
    (scenario,) = comparison["scenarios"]
    base, other = scenario["entries"]
    (diff,) = [d for d in other["diffs"] if d["metric"] == "ttft_p90"]
    assert diff["baseline"] == base["result"]["ttft_ms"]["p90"]
    assert diff["value"] == other["result"]["ttft_ms"]["p90"]
    assert diff["basis"] == "ttft_ms" and diff["higher_is_better"] is False
    assert diff["verdict"] in ("different", "no difference")

    table = _cli_text(results)
    assert "TTFT p90" in table
    for result in results:
        assert result.ttft_ms is not None and _ms(result.ttft_ms.p90) in table

    markdown = render(document, "md").decode()
    heading = next(line for line in markdown.splitlines() if line.startswith("| scenario"))
    assert heading.rstrip(" |").endswith("TTFT p90 ms")
    total = next(r for r in results if r.scenario == "*")
    assert total.ttft_ms is not None
    assert f"| {number(total.ttft_ms.p90, 'ms')}\\* |" in markdown  # 4 requests: a small sample
