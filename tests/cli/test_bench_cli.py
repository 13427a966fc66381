"""`flperf bench` as a user runs it: exit codes, one-line errors, --json, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from tests.api.server import wait_for

FLPERF = [sys.executable, "-m", "flperf"]


def flperf(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FLPERF, *args], capture_output=True, text=True, timeout=timeout)


def bench_prompt(sim: SimProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """`flperf bench` of the one-word prompt "hi" against the simulator, plus `args`."""
    return flperf("bench", "--endpoint", sim.url, "--model", "sim-model", "--prompt", "hi", *args)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--endpoint", "ftp://x", "--model", "m"], "--endpoint must be an http(s) URL"),
        (["--endpoint", "http://127.0.0.1:9", "--model", "m", "--iterations", "0"], "--iterations"),
        (["--endpoint", "http://127.0.0.1:9", "--model", "m", "--suite", "nope"], "unknown suite"),
        (
            ["--endpoint", "http://127.0.0.1:9", "--model", "m", "--temperature", "3"],
            "--temperature",
        ),
        (
            [
                "--endpoint",
                "http://127.0.0.1:9",
                "--model",
                "m",
                "--prompt",
                "x",
                "--suite",
                "default",
            ],
            "only one of",
        ),
        (["--endpoint", "http://127.0.0.1:9", "--model", "m", "--scenario", "nope"], "'nope'"),
        (["--endpoint", "http://127.0.0.1:9", "--model", "m", "--max-concurrency", "2"], "rate"),
    ],
)
def test_bad_input_exits_2_with_one_line_reason(args: list[str], expected: str) -> None:
    done = flperf("bench", *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]


def test_json_output_has_run_results_and_every_request(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    with start_simulator(
        SimConfig(ttft_ms=5, itl_ms=1, output_tokens=20, fail_500=0.2, seed=1)
    ) as sim:
        done = flperf(
            "bench",
            "--endpoint",
            sim.url + "/v1",
            "--model",
            "sim-model",
            "--scenario",
            "Short Q&A",
            "--iterations",
            "10",
            "--warmup",
            "1",
            "--concurrency",
            "2",
            "--temperature",
            "0",
            "--json",
            str(out),
        )
    assert done.returncode == 0, done.stderr
    assert "Short Q&A" in done.stdout and "TTFT" in done.stdout
    doc = json.loads(out.read_text())
    assert set(doc) == {"run", "results", "requests", "samples"}
    assert doc["run"]["status"] == "completed" and doc["run"]["config"]["temperature"] == 0
    assert len(doc["requests"]) == 11
    for request in doc["requests"]:
        for key in (
            "ttft_ms",
            "e2e_ms",
            "itl_ms",
            "output_tokens",
            "token_source",
            "status",
            "error_kind",
        ):
            assert key in request
    ok = [r for r in doc["requests"] if r["status"] == "ok"]
    assert all(r["output_tokens"] == 20 and r["token_source"] == "usage" for r in ok)
    failed = [r for r in doc["requests"] if r["status"] == "error"]
    assert all(r["error_kind"] == "http_status" and r["http_status"] == 500 for r in failed)
    scenario = doc["results"][0]
    measured_failures = sum(1 for r in failed if not r["warmup"])
    assert scenario["error_rate"] == pytest.approx(100 * measured_failures / 10)


def test_no_stream_reports_null_ttft(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    with start_simulator(SimConfig(output_tokens=8)) as sim:
        done = bench_prompt(
            sim,
            "--iterations",
            "3",
            "--no-stream",
            "--json",
            str(out),
        )
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert all(r["ttft_ms"] is None and r["e2e_ms"] is not None for r in doc["requests"])


def _finished_in_sim(sim: SimProcess) -> int:
    """Requests the simulator finished writing (their `[DONE]` went out)."""
    entries = sim.log()["requests"]
    return sum(1 for e in entries if any(kind == "done" for _, kind, _ in e["chunks"]))


def test_ctrl_c_cancels_cleanly_and_still_writes_what_was_measured(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    with start_simulator(SimConfig(ttft_ms=5, itl_ms=20, output_tokens=50)) as sim:
        proc = subprocess.Popen(
            [
                *FLPERF,
                "bench",
                "--endpoint",
                sim.url,
                "--model",
                "sim-model",
                "--prompt",
                "hi",
                "--iterations",
                "200",
                "--concurrency",
                "2",
                "--warmup",
                "0",
                "--json",
                str(out),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for(lambda: _finished_in_sim(sim) >= 3, timeout=60, what="3 finished requests")
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "cancelled" in stdout
    doc = json.loads(out.read_text())
    assert doc["run"]["status"] == "cancelled"
    statuses = [r["status"] for r in doc["requests"]]
    assert statuses.count("ok") >= 2 and statuses.count("cancelled") == 2


def test_missed_slo_exits_3_and_met_slo_exits_0(tmp_path: Path) -> None:
    with start_simulator(SimConfig(ttft_ms=30, output_tokens=4)) as sim:
        common = ["--iterations", "5", "--warmup", "0"]
        missed = bench_prompt(sim, *common, "--slo", "ttft_p95_ms=5")
        met = bench_prompt(sim, *common, "--slo", "ttft_p95_ms=5000", "--slo", "e2e_p50_ms=5000")
    assert missed.returncode == 3, missed.stderr
    assert "Service-level objectives" in missed.stdout and "NO" in missed.stdout
    assert met.returncode == 0, met.stderr


def test_bad_slo_is_rejected_naming_the_option() -> None:
    done = flperf(
        "bench", "--endpoint", "http://127.0.0.1:9", "--model", "m", "--slo", "ttft_p97_ms=5"
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: --slo: ") and "percentile" in done.stderr


def test_trials_print_confidence_intervals() -> None:
    with start_simulator(SimConfig(ttft_ms=3, output_tokens=4, jitter=0.3)) as sim:
        done = bench_prompt(
            sim,
            "--iterations",
            "3",
            "--trials",
            "3",
            "--warmup",
            "0",
        )
    assert done.returncode == 0, done.stderr
    assert "Across trials" in done.stdout and "95 % CI" in done.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["bench", "--endpoint", "http://x", "--model", "m", "--iterations", "abc"],
            "--iterations",
        ),
        (["bench", "--iterations", "2"], "--model"),
        (["bench", "--endpoint", "http://x", "--model", "m", "--bogus", "1"], "--bogus"),
        (["nope"], "No such command"),
    ],
)
def test_usage_errors_are_one_line_too(args: list[str], expected: str) -> None:
    done = flperf(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]


@pytest.mark.foundry
def test_bench_starts_the_demo_model_through_a_real_host_and_stops_it(tmp_path: Path) -> None:
    import psutil

    out = tmp_path / "run.json"
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    done = flperf(
        "bench",
        "--model",
        "flperf-demo",
        "--scenario",
        "Short Q&A",
        "--iterations",
        "3",
        "--temperature",
        "0",
        "--json",
        str(out),
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert doc["run"]["model_ids"] == ["flperf-demo"]
    fingerprint = doc["run"]["hardware_info"]
    assert fingerprint["model_variant_id"] == "flperf-demo-generic-cpu:1"
    assert fingerprint["execution_provider"] and 0.5 < fingerprint["model_file_size_mb"] < 8
    assert all(r["status"] == "ok" for r in doc["requests"])
    assert all(r["output_tokens"] == 50 and r["token_source"] == "usage" for r in doc["requests"])
    after = {p.pid for p in psutil.Process().children(recursive=True)}
    assert after <= before  # every host process it started is gone
    # Its host was started for the run: load facts, then the unload when it was stopped.
    facts = doc["run"]["lifecycle"]["flperf-demo"]
    assert facts["started_for_run"] is True and facts["cold_start"] is True
    assert facts["load_ms"] > 0 and facts["memory_after_load_mb"] > 0
    assert facts["unload_ms"] is not None and facts["stop_ms"] > 0
    assert "built locally" in facts["unavailable"]["download"]
    summary = next(r for r in doc["results"] if r["scenario"] == "*")
    first = min(doc["requests"], key=lambda r: r["start_ms"])
    assert summary["cold_ttft_ms"] == first["ttft_ms"]
    later = sorted(r["ttft_ms"] for r in doc["requests"] if r is not first)
    assert summary["warm_ttft_ms"] == later[1]  # the median of the other three
    assert "Model lifecycle" in done.stdout and "cold" in done.stdout


@pytest.mark.foundry
def test_unknown_foundry_model_fails_with_the_reason() -> None:
    done = flperf("bench", "--model", "no-such-model-xyz", "--iterations", "1", timeout=240)
    assert done.returncode == 2
    assert "no-such-model-xyz" in done.stderr and "no model could be started" in done.stderr


def test_an_ollama_server_tells_whether_the_model_was_loaded_and_its_memory(
    tmp_path: Path,
) -> None:
    config = SimConfig(model="llama-sim", ttft_ms=1.0, output_tokens=4, ollama=True)
    with start_simulator(config) as ollama:
        runs = []
        for name in ("first", "second"):
            out = tmp_path / f"{name}.json"
            done = flperf(
                "bench", "--endpoint", ollama.url, "--model", "llama-sim", "--prompt", "hi",
                "--iterations", "2", "--json", str(out),
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            runs.append(json.loads(out.read_text())["run"]["lifecycle"]["llama-sim"])
    first, second = runs
    # Not loaded before the first run: its first request loaded it (a cold start)...
    assert first["source"] == "ollama" and first["cold_start"] is True
    assert first["started_for_run"] is False
    assert first["memory_after_load_mb"] == 512.0  # /api/ps after the run
    assert "load_duration" in first["unavailable"]["load"]
    # ...and the second run found it loaded.
    assert second["cold_start"] is False and second["memory_after_load_mb"] == 512.0


def test_a_plain_openai_server_marks_lifecycle_facts_unavailable_with_the_reason(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run.json"
    with start_simulator(SimConfig(output_tokens=4)) as sim:
        done = bench_prompt(sim, "--iterations", "2", "--json", str(out))
    assert done.returncode == 0, done.stderr
    facts = json.loads(out.read_text())["run"]["lifecycle"]["sim-model"]
    assert facts["cold_start"] is None and facts["load_ms"] is None
    assert set(facts["unavailable"]) == {"download", "load", "memory", "unload"}
    assert "tells nothing about loading" in facts["unavailable"]["load"]
    assert "n/a" in done.stdout and "tells nothing about loading" in done.stdout
