"""The simulator as its own process and as a command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import psutil
import pytest

from flperf.sim import SimConfig
from flperf.sim.process import SimulatorStartError, start_simulator


def post_chat(url: str) -> dict[str, object]:
    body = json.dumps({"messages": [{"role": "user", "content": "hello"}]}).encode()
    request = urllib.request.Request(
        url + "/v1/chat/completions", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        result: dict[str, object] = json.load(response)
    return result


def test_started_process_serves_logs_resets_and_stops_cleanly() -> None:
    config = SimConfig(model="proc-model", output_tokens=3, role_chunk=False, ttft_ms=1.5)
    with start_simulator(config) as sim:
        assert sim.url.startswith("http://127.0.0.1:")
        assert psutil.pid_exists(sim.pid)
        with urllib.request.urlopen(sim.url + "/sim/config", timeout=5) as response:
            assert json.load(response) == config.model_dump()
        assert post_chat(sim.url)["model"] == "proc-model"
        log = sim.log()
        assert [entry["id"] for entry in log["requests"]] == ["chatcmpl-sim-1"]
        assert sim.log(summary=True) == {"counts": log["counts"]}
        sim.reset()
        assert sim.log()["requests"] == []
        pid = sim.pid
    # SIGTERM is handled: the process exits by itself with status 0
    assert sim.stop() == 0
    assert not psutil.pid_exists(pid)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU pinning here")
def test_simulator_can_be_pinned_to_one_core() -> None:
    core = sorted(os.sched_getaffinity(0))[-1]
    with start_simulator(SimConfig(), cpu=core) as sim:
        assert psutil.Process(sim.pid).cpu_affinity() == [core]


def test_a_simulator_that_cannot_start_raises_with_its_error() -> None:
    with pytest.raises(SimulatorStartError, match="--cpu"):
        start_simulator(SimConfig(), cpu=100_000)


def test_every_config_field_reaches_the_process() -> None:
    config = SimConfig(
        model="m", ttft_ms=12.5, itl_ms=0.1, output_tokens=9, tokens_per_chunk=3, jitter=0.25,
        seed=42, role_chunk=False, fail_500=0.1, fail_429=0.05, disconnect=0.01,
        malformed=0.02, stall=0.03, stall_s=2.0, capacity=4, log_limit=10, spin_ms=0.5,
        answer="Canberra, of course.",
        ollama=True, ollama_size_mb=64.0,
    )  # fmt: skip
    defaults = SimConfig().model_dump()
    changed = {name for name, value in config.model_dump().items() if value != defaults[name]}
    assert changed == set(SimConfig.model_fields)  # every field differs from its default
    with start_simulator(config) as sim, urllib.request.urlopen(sim.url + "/sim/config") as r:
        assert SimConfig(**json.load(r)) == config


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ttft-ms", "-1"], "error: --ttft-ms: Input should be greater than or equal to 0"),
        (["--tokens-per-chunk", "0"], "error: --tokens-per-chunk: "),
        (["--fail-500", "0.7", "--stall", "0.5"], "fault rates add up to 1.2"),
        (["--port", "70000"], "error: --port: "),
    ],
)
def test_bad_option_values_exit_nonzero_with_one_line_naming_the_option(
    args: list[str], message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flperf.sim", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def test_simulator_exits_when_the_process_that_started_it_dies() -> None:
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\n"
            "from flperf.sim import SimConfig\n"
            "from flperf.sim.process import start_simulator\n"
            "sim = start_simulator(SimConfig())\n"
            "print(sim.pid, flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdout is not None
    sim_pid = int(starter.stdout.readline())
    starter.kill()  # no chance to stop its simulator
    starter.wait()
    simulator = psutil.Process(sim_pid)
    try:
        simulator.wait(timeout=10)
    except psutil.TimeoutExpired:
        simulator.kill()
        raise
