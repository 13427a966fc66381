from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from flperf.bench.monitor import (
    MonitorSummary,
    RaplReader,
    ResourceMonitor,
    ResourceSample,
    energy_per_token,
    summarize,
)

S = 1_000_000_000  # ns per second

# A parent that spawns a CPU-burning child on "spawn", ends it on "kill", and prints as it goes.
PARENT = """
import subprocess, sys
child = None
for line in sys.stdin:
    if line.strip() == "spawn":
        child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        print(child.pid, flush=True)
    elif line.strip() == "kill":
        child.kill(); child.wait(); child = None
        print("killed", flush=True)
if child:
    child.kill(); child.wait()
"""


def _wait_until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.02)


def _cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _tree_cpu_s(pids: list[int]) -> float:
    return sum(_cpu_s(pid) for pid in pids)


@pytest.fixture
def burner() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def parent() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    yield proc
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=10)


def _command(proc: subprocess.Popen[str], line: str) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


# --- summarize: pure time weighting ------------------------------------------------------------


def test_means_weight_each_sample_by_the_interval_it_covers() -> None:
    samples = [
        ResourceSample(t_ns=0, ram_percent=50.0),
        ResourceSample(t_ns=1 * S, cpu_percent=10.0, ram_percent=50.0),
        ResourceSample(t_ns=3 * S, cpu_percent=40.0, ram_percent=80.0),
    ]

    summary = summarize(samples)

    assert summary.cpu_avg == pytest.approx((10 * 1 + 40 * 2) / 3)  # a plain mean says 25
    assert summary.ram_avg == pytest.approx((50 * 1 + 80 * 2) / 3)  # zero-width baseline
    assert summary.window_s == pytest.approx(3.0)
    assert summary.sample_count == 3


def test_window_clips_the_intervals_at_its_edges() -> None:
    samples = [
        ResourceSample(t_ns=0),
        ResourceSample(t_ns=1 * S, cpu_percent=10.0),
        ResourceSample(t_ns=3 * S, cpu_percent=40.0),
        ResourceSample(t_ns=4 * S, cpu_percent=90.0),
    ]

    summary = summarize(samples, start_ns=S // 2, end_ns=3 * S // 2)

    # 0.5 s of the 10 % interval, 0.5 s of the 40 % interval; the 90 % interval is outside.
    assert summary.cpu_avg == pytest.approx(25.0)
    assert summary.window_s == pytest.approx(1.0)
    assert summary.sample_count == 1


def test_peaks_and_process_figures_come_from_samples_in_the_window() -> None:
    samples = [
        ResourceSample(t_ns=0, proc_rss_mb=100.0),
        ResourceSample(t_ns=1 * S, proc_cpu_percent=150.0, proc_rss_mb=300.0),
        ResourceSample(t_ns=2 * S, proc_cpu_percent=50.0, proc_rss_mb=200.0),
        ResourceSample(t_ns=5 * S, proc_cpu_percent=400.0, proc_rss_mb=900.0),
    ]

    summary = summarize(samples, end_ns=2 * S)

    assert summary.proc_cpu_avg == pytest.approx(100.0)
    assert summary.proc_cpu_peak == 150.0
    assert summary.proc_rss_avg_mb == pytest.approx(250.0)
    assert summary.proc_rss_peak_mb == 300.0


def test_missing_sources_are_none_and_listed_never_zero() -> None:
    samples = [ResourceSample(t_ns=0), ResourceSample(t_ns=S, cpu_percent=20.0, ram_percent=5.0)]

    summary = summarize(samples)

    assert summary.gpu_avg is None
    assert summary.gpu_mem_peak_mb is None
    assert summary.energy_j is None and summary.gpu_energy_j is None
    assert summary.proc_cpu_avg is None
    assert summary.total_energy_j is None
    assert summary.sources_unavailable == ["process", "gpu", "gpu_memory", "gpu_power", "rapl"]


def test_a_single_sample_is_its_own_mean() -> None:
    assert summarize([ResourceSample(t_ns=5, ram_percent=42.0)]).ram_avg == 42.0
    assert summarize([]).sample_count == 0


def test_energy_is_the_counter_interpolated_at_the_window_edges() -> None:
    samples = [
        ResourceSample(t_ns=0, cpu_energy_j=0.0),
        ResourceSample(t_ns=2 * S, cpu_energy_j=20.0),
        ResourceSample(t_ns=4 * S, cpu_energy_j=60.0),
    ]

    assert summarize(samples).energy_j == pytest.approx(60.0)
    assert summarize(samples, start_ns=1 * S, end_ns=3 * S).energy_j == pytest.approx(30.0)


def test_gpu_energy_integrates_power_over_time() -> None:
    samples = [
        ResourceSample(t_ns=0, gpu_power_w=50.0),
        ResourceSample(t_ns=2 * S, gpu_power_w=100.0, gpu_util_percent=30.0),
        ResourceSample(t_ns=3 * S, gpu_power_w=400.0, gpu_util_percent=90.0),
    ]

    summary = summarize(samples)

    assert summary.gpu_energy_j == pytest.approx(100 * 2 + 400 * 1)
    assert summary.gpu_power_avg_w == pytest.approx(600 / 3)
    assert summary.gpu_avg == pytest.approx((30 * 2 + 90) / 3)


def test_energy_per_token_adds_cpu_and_gpu_energy() -> None:
    summary = MonitorSummary(energy_j=30.0, gpu_energy_j=70.0)

    assert summary.total_energy_j == 100.0
    assert energy_per_token(summary, 50) == pytest.approx(2.0)
    assert energy_per_token(summary, 0) is None
    assert energy_per_token(MonitorSummary(), 50) is None


# --- RAPL ----------------------------------------------------------------------------------------


def _write(path: Path, value: int) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{value}\n")
    os.replace(tmp, path)


@pytest.fixture
def rapl_root(tmp_path: Path) -> Path:
    for zone, name, energy in [
        ("intel-rapl:0", "package-0", 900_000),
        ("intel-rapl:0:0", "core", 123),  # part of package-0: must not be added again
        ("intel-rapl:1", "psys", 5_000_000),  # whole platform: would double count
    ]:
        (tmp_path / zone).mkdir()
        (tmp_path / zone / "name").write_text(name + "\n")
        _write(tmp_path / zone / "energy_uj", energy)
        (tmp_path / zone / "max_energy_range_uj").write_text("1000000\n")
    return tmp_path


def test_rapl_reader_follows_package_counters_across_wrap_around(rapl_root: Path) -> None:
    reader = RaplReader(rapl_root)
    energy = rapl_root / "intel-rapl:0" / "energy_uj"

    assert reader.available
    assert reader.read_j() == 0.0
    _write(energy, 950_000)
    assert reader.read_j() == pytest.approx(0.05)
    _write(energy, 100_000)  # wrapped at 1_000_000
    assert reader.read_j() == pytest.approx(0.05 + 0.15)


def test_rapl_absent_means_unavailable(tmp_path: Path) -> None:
    reader = RaplReader(tmp_path / "missing")

    assert not reader.available
    assert reader.read_j() is None


def test_monitor_reports_rapl_energy_over_its_window(rapl_root: Path) -> None:
    energy = rapl_root / "intel-rapl:0" / "energy_uj"
    monitor = ResourceMonitor(interval_s=60, gpu=False, rapl_root=rapl_root).start()
    _write(energy, 950_000)
    monitor.sample()
    _write(energy, 100_000)
    summary = monitor.stop()

    assert summary.energy_j == pytest.approx(0.2)
    assert "rapl" not in summary.sources_unavailable


def test_monitor_without_rapl_or_gpu_reports_none_without_error(tmp_path: Path) -> None:
    with ResourceMonitor(interval_s=60, gpu=False, rapl_root=tmp_path) as monitor:
        monitor.sample()
    summary = monitor.stop()

    assert summary.energy_j is None
    assert summary.gpu_avg is None and summary.gpu_power_avg_w is None
    assert {"rapl", "gpu", "gpu_memory", "gpu_power"} <= set(summary.sources_unavailable)
    assert summary.ram_avg is not None


def _nvml_usable() -> bool:
    try:
        import pynvml

        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        pynvml.nvmlShutdown()
    except Exception:
        return False
    return count > 0


def test_gpu_figures_follow_nvml_presence(tmp_path: Path) -> None:
    with ResourceMonitor(interval_s=60, rapl_root=tmp_path) as monitor:
        monitor.sample()
    summary = monitor.stop()

    if _nvml_usable():
        assert summary.gpu_avg is not None
        assert summary.gpu_mem_peak_mb is not None and summary.gpu_mem_peak_mb > 0
    else:
        assert summary.gpu_avg is None
        assert "gpu" in summary.sources_unavailable


# --- live sampling -------------------------------------------------------------------------------


def test_cpu_of_a_busy_child_is_attributed_and_counted_in_system_cpu(
    burner: subprocess.Popen[bytes],
) -> None:
    cores = len(psutil.cpu_times(percpu=True))
    cpu_before, t_before = _cpu_s(burner.pid), time.perf_counter()
    monitor = ResourceMonitor([burner.pid], interval_s=0.1, gpu=False).start()
    _wait_until(lambda: _cpu_s(burner.pid) - cpu_before > 1.0)
    summary = monitor.stop()
    truth = (_cpu_s(burner.pid) - cpu_before) / (time.perf_counter() - t_before) * 100

    assert summary.proc_cpu_avg is not None and summary.cpu_avg is not None
    assert summary.proc_cpu_avg == pytest.approx(truth, abs=15)
    assert 10 < summary.proc_cpu_avg < 130  # one spinning thread: ~100 on an idle box
    # The system figure (percent of all cores) includes the child's core.
    assert summary.cpu_avg / 100 * cores >= summary.proc_cpu_avg / 100 - 0.15
    assert summary.proc_rss_peak_mb is not None and summary.proc_rss_peak_mb > 1
    assert "process" not in summary.sources_unavailable


def test_grandchild_is_counted_in_the_watched_tree(parent: subprocess.Popen[str]) -> None:
    grandchild = int(_command(parent, "spawn"))
    tree = [parent.pid, grandchild]
    cpu_before, t_before = _tree_cpu_s(tree), time.perf_counter()
    monitor = ResourceMonitor([parent.pid], interval_s=0.1, gpu=False).start()
    _wait_until(lambda: _tree_cpu_s(tree) - cpu_before > 1.0)
    summary = monitor.stop()
    truth = (_tree_cpu_s(tree) - cpu_before) / (time.perf_counter() - t_before) * 100

    assert summary.proc_cpu_avg is not None and summary.proc_cpu_avg > 10
    assert summary.proc_cpu_avg == pytest.approx(truth, abs=15)
    assert max(s.proc_count or 0 for s in monitor.samples) == 2


def test_children_that_appear_and_exit_are_followed(parent: subprocess.Popen[str]) -> None:
    monitor = ResourceMonitor([parent.pid], interval_s=0.05, gpu=False, children_refresh_s=0.1)
    monitor.start()
    child = int(_command(parent, "spawn"))
    spawned_ns = time.perf_counter_ns()
    cpu_before = _cpu_s(child)
    _wait_until(lambda: any(s.proc_count == 2 for s in monitor.samples))  # discovered
    _wait_until(lambda: _cpu_s(child) - cpu_before > 0.8)
    truth_cpu_s = _cpu_s(child) - cpu_before
    assert _command(parent, "kill") == "killed"
    killed_ns = time.perf_counter_ns()
    settled_ns = killed_ns + 2 * 50_000_000  # the interval holding the kill is mixed
    _wait_until(lambda: sum(s.t_ns > settled_ns for s in monitor.samples) >= 3)
    summary = monitor.stop()

    during = monitor.summarize(spawned_ns, killed_ns)
    truth = truth_cpu_s / ((killed_ns - spawned_ns) / S) * 100
    assert during.proc_cpu_avg == pytest.approx(truth, abs=20)
    after = [s for s in monitor.samples if s.t_ns > settled_ns]
    assert len(after) >= 3
    assert all(s.proc_count == 1 for s in after)
    assert all((s.proc_cpu_percent or 0) < 20 for s in after)
    assert summary.proc_cpu_peak is not None and summary.proc_cpu_peak > truth * 0.8


def test_sampler_keeps_its_cadence_while_the_caller_thread_is_busy() -> None:
    monitor = ResourceMonitor(interval_s=0.1, gpu=False).start()
    started = time.perf_counter_ns()
    while time.perf_counter_ns() - started < 1 * S:
        pass  # hold the interpreter like a saturated event loop would
    taken = sum(s.t_ns > started for s in monitor.samples)
    monitor.stop()

    assert taken >= 6  # 10 expected


def test_sampler_reports_its_own_cpu_cost() -> None:
    monitor = ResourceMonitor([os.getpid()], interval_s=0.02, gpu=False).start()
    _wait_until(lambda: len(monitor.samples) >= 25)
    summary = monitor.stop()

    assert summary.sampler_cpu_percent is not None
    assert summary.sampler_cpu_percent == monitor.sampler_cpu_percent
    assert 0 < summary.sampler_cpu_percent < 25  # 50 Hz here; the 4 Hz budget is in benchmarks/


def test_marks_are_recorded_and_bound_a_window() -> None:
    monitor = ResourceMonitor(interval_s=60, gpu=False).start()
    warm = monitor.mark("warmup_done")
    monitor.sample()
    end = monitor.mark("end")
    monitor.sample()
    monitor.stop()

    assert [m.name for m in monitor.marks] == ["warmup_done", "end"]
    assert monitor.marks[0].t_ns == warm
    assert monitor.summarize(warm, end).window_s == pytest.approx((end - warm) / S)


def test_monitor_lifecycle_is_checked() -> None:
    monitor = ResourceMonitor(gpu=False)
    with pytest.raises(RuntimeError, match="not started"):
        monitor.sample()
    with pytest.raises(RuntimeError, match="not started"):
        monitor.stop()
    monitor.start()
    with pytest.raises(RuntimeError, match="already started"):
        monitor.start()
    first = monitor.stop()
    assert monitor.stop() is first
    assert not monitor.running
    with pytest.raises(ValueError, match="interval_s"):
        ResourceMonitor(interval_s=0)


def test_watching_a_process_that_is_gone_is_not_an_error() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()

    with ResourceMonitor([proc.pid], interval_s=60, gpu=False) as monitor:
        monitor.sample()
    summary = monitor.stop()

    assert summary.proc_cpu_avg is None
    assert "process" in summary.sources_unavailable
