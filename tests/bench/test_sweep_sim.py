"""Sweeps against the simulator's capacity model, whose true knee follows from its settings."""

from __future__ import annotations

from flperf.bench import event_loop
from flperf.bench.run_config import RunConfig
from flperf.bench.run_document import RunState
from flperf.bench.runner import Target
from flperf.bench.session import StaticServing
from flperf.bench.sweep import SweepSettings
from flperf.bench.sweep_document import SweepDocument
from flperf.bench.sweep_session import SweepSession
from flperf.bench.workload import prompt_suite
from flperf.sim.config import SimConfig
from flperf.sim.process import start_simulator

TOKENS = 8


def sweep_sim(sim_config: SimConfig, settings: SweepSettings, config: RunConfig) -> SweepDocument:
    with start_simulator(sim_config) as sim:
        serving = StaticServing([Target("sim-model", sim.url, "sim-model")])
        session = SweepSession(
            serving.models,
            prompt_suite("hi", TOKENS),
            config,
            settings,
            serving,
            monitor_interval_s=None,
        )
        return event_loop.run(session.run())


def test_knee_and_capacity_under_slo_are_within_ten_percent_of_the_simulators_truth() -> None:
    # 10 responses at once, 100 ms each: throughput stops growing at concurrency 10, and past
    # it one request in every round waits a whole response (100 ms) for its first token
    sim = SimConfig(ttft_ms=44, itl_ms=8, output_tokens=TOKENS, capacity=10)
    assert sim.service_ms(TOKENS) == 100
    settings = SweepSettings(axis="concurrency", mode="auto", start=4, max=64, resolution=0.2)
    config = RunConfig(iterations=5, warmup=1, max_tokens=TOKENS, slos=["ttft_p95_ms=94"])
    doc = sweep_sim(sim, settings, config)
    assert doc.sweep.status is RunState.COMPLETED
    (model,) = doc.models
    found = model.analysis
    assert found.knee is not None and abs(found.knee - 10) / 10 <= 0.10, found.points
    assert found.capacity is not None and abs(found.capacity - 10) / 10 <= 0.10, found.points
    assert found.capacity_bounded and model.stop_reason is not None
    assert "ttft p95" in model.stop_reason
    # every point is an ordinary run of the sweep, at its own load, with scaled iterations
    assert {r.run.sweep_id for r in doc.runs} == {doc.sweep.id}
    by_run = {r.run.id: r.run.config for r in doc.runs}
    for p in found.points:
        assert p.run_id is not None
        assert by_run[p.run_id].load.model_dump() == {"kind": "closed", "concurrency": p.load}
        assert by_run[p.run_id].iterations == 5 * p.load == p.requests


class CountingServing(StaticServing):
    """Static targets that count how often each model is served and released."""

    def __init__(self, target: Target) -> None:
        super().__init__([target])
        self.calls: list[str] = []

    def serve(self, key: str) -> Target:
        self.calls.append(f"serve {key}")
        return super().serve(key)

    def release(self, key: str) -> None:
        self.calls.append(f"release {key}")


def test_a_model_is_served_once_for_all_its_points_and_a_cancel_ends_the_sweep() -> None:
    settings = SweepSettings(mode="list", loads=[1, 2, 3])
    with start_simulator(SimConfig(ttft_ms=1, output_tokens=2)) as sim:
        serving = CountingServing(Target("sim-model", sim.url, "sim-model"))
        session = SweepSession(
            serving.models,
            prompt_suite("hi", 2),
            RunConfig(iterations=2, warmup=0),
            settings,
            serving,
            monitor_interval_s=None,
            on_point=lambda model, point, run: session.cancel() if point.load == 2 else None,
        )
        doc = event_loop.run(session.run())
    assert serving.calls == ["serve sim-model", "release sim-model"]
    assert doc.sweep.status is RunState.CANCELLED
    (model,) = doc.models
    assert [p.load for p in model.analysis.points] == [1, 2] and not model.done
