"""Run documents made by the real engine against the simulator, for the report tests."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from flperf.bench.document_sink import measure_to_document
from flperf.bench.run_config import RunConfig
from flperf.bench.run_document import RunDocument
from flperf.bench.runner import Target
from flperf.bench.session import StaticServing
from flperf.bench.workload import parse_suite
from flperf.report.registry import render
from flperf.sim.config import SimConfig
from flperf.sim.process import start_simulator

MODELS = ("qwen2.5-0.5b-instruct", "phi-3.5-mini")
SCENARIOS = ("Short Q&A", "Code <generation>", "Summary, long")


def engine_document(
    models: Sequence[str] = MODELS,
    iterations: int = 12,
    trials: int = 1,
    slos: Sequence[str] = (),
) -> dict[str, Any]:
    """Three scenarios per model, a few injected failures; samples of the simulator process."""
    suite = parse_suite(
        {
            "name": "report-test",
            "scenarios": [
                {"name": name, "prompt": f"prompt for {name}", "max_tokens": 8 + 8 * i}
                for i, name in enumerate(SCENARIOS)
            ],
        }
    )
    config = RunConfig(
        iterations=iterations,
        concurrency=2,
        warmup=1,
        timeout=400,
        trials=trials,
        slos=list(slos),
    )
    sim_config = SimConfig(
        ttft_ms=6,
        itl_ms=0.8,
        jitter=0.4,
        fail_500=0.05,
        disconnect=0.03,
        stall=0.02,
        stall_s=2,
        seed=11,
    )
    with start_simulator(sim_config) as sim:
        targets = [
            Target(name=name, endpoint=sim.url + "/v1", served_model="sim-model", pid=sim.pid)
            for name in models
        ]
        serving = StaticServing(targets, {name: {"execution_provider": "CPU"} for name in models})
        document = measure_to_document(
            serving.models, suite, config, serving, monitor_interval_s=0.05
        )
    data = document.model_dump(mode="json")
    data["run"]["id"] = "run_0123abcd"
    return data


def renamed(document: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """A copy of `document` in which model `old` is called `new` everywhere."""
    doc = copy.deepcopy(document)
    doc["run"]["model_ids"] = [new if m == old else m for m in doc["run"]["model_ids"]]
    for result in doc["results"]:
        if result["model_id"] == old:
            result["model_id"] = new
    for request in doc["requests"]:
        if request["model"] == old:
            request["model"] = new
    for sample in doc.get("samples", []):
        if sample["model_id"] == old:
            sample["model_id"] = new
    return doc


def render_doc(document: dict[str, Any], fmt: str) -> bytes:
    """`document` (plain data, as tests build it) rendered by the exporter named `fmt`."""
    return render(RunDocument.parse(document), fmt)
