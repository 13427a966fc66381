"""Background resource sampling during a benchmark window.

A `ResourceMonitor` runs one daemon thread (not an asyncio task, so it keeps its cadence while the
event loop is saturated) that samples system CPU and RAM, the CPU and memory of a server's whole
process tree, NVIDIA GPUs through NVML and CPU package energy through Linux RAPL. A source that is
missing reports None, never 0. The samples and their summary (`summarize`, a pure function, so a
window can be re-summarised later from stored samples) live in `flperf.bench.resource_figures`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil

from flperf.bench.resource_figures import (
    Mark,
    MonitorSummary,
    ResourceSample,
    energy_per_token,
    summarize,
)

__all__ = [
    "DEFAULT_RAPL_ROOT",
    "Mark",
    "MonitorSummary",
    "RaplReader",
    "ResourceMonitor",
    "ResourceSample",
    "energy_per_token",
    "summarize",
]

log = logging.getLogger(__name__)

DEFAULT_RAPL_ROOT = Path("/sys/class/powercap")
_MB = 1024 * 1024
_TOP_LEVEL_ZONE = re.compile(r"intel-rapl:\d+")
_REFRESH_SHARE = 0.005  # process-tree walks may take at most 0.5 % of one core


class RaplReader:
    """Cumulative CPU package energy from Linux powercap (RAPL), resolving counter wrap-around.

    Uses the top-level `intel-rapl:N` zones named `package-*` (all top-level zones when none is
    named so); sub-zones (core, uncore, dram) are parts of a package and would double count.
    `available` is False when no zone is readable (absent, or root-only as on recent kernels).
    """

    def __init__(self, root: str | Path = DEFAULT_RAPL_ROOT) -> None:
        self._zones: list[_RaplZone] = []
        self._total_uj = 0
        try:
            top = sorted(
                p for p in Path(root).glob("intel-rapl:*") if _TOP_LEVEL_ZONE.fullmatch(p.name)
            )
        except OSError:
            top = []
        named = [p for p in top if _read_text(p / "name").startswith("package")]
        for path in named or top:
            first = _read_int(path / "energy_uj")
            if first is not None:
                self._zones.append(
                    _RaplZone(path / "energy_uj", _read_int(path / "max_energy_range_uj"), first)
                )

    @property
    def available(self) -> bool:
        return bool(self._zones)

    def read_j(self) -> float | None:
        """Energy since construction, J; None when unavailable or a zone could not be read."""
        if not self._zones:
            return None
        for zone in self._zones:
            now = _read_int(zone.path)
            if now is None:
                return None
            delta = now - zone.last_uj
            if delta < 0:
                delta += zone.max_uj or 0
            self._total_uj += max(delta, 0)
            zone.last_uj = now
        return self._total_uj / 1e6


@dataclass(slots=True)
class _RaplZone:
    path: Path
    max_uj: int | None
    last_uj: int


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


@dataclass(slots=True)
class _Tracked:
    proc: psutil.Process
    last_cpu_s: float | None  # None: prime on next read (history before we saw it is not ours)


class _ProcessTree:
    """CPU and RSS of root processes and all their descendants, from cpu_times deltas.

    The descendant list is refreshed every `refresh_s`, or less often when walking /proc is slow
    (many processes): the walk may use at most `_REFRESH_SHARE` of one core. A child born since the
    previous refresh is counted from zero CPU time, so its work is not lost to the refresh lag; one
    that lives and dies between two refreshes is missed.
    """

    def __init__(self, pids: Sequence[int], refresh_s: float) -> None:
        self._roots: dict[int, psutil.Process] = {}
        self._tracked: dict[int, _Tracked] = {}
        self._refresh_s = refresh_s
        self._next_refresh = -math.inf
        self._walked: dict[int, float] = {}  # root pid -> wall time of its last walk
        self._last_read: float | None = None
        for pid in pids:
            self.add_root(pid)

    def add_root(self, pid: int) -> None:
        try:
            self._roots[pid] = psutil.Process(pid)
        except psutil.Error:
            log.warning("cannot watch process %d: not found", pid)
        self._next_refresh = -math.inf

    def read(self, now: float) -> tuple[float | None, float | None, int | None]:
        if not self._roots:
            return None, None, None
        if now >= self._next_refresh:
            self._refresh()
            cost = time.perf_counter() - now
            self._next_refresh = now + max(self._refresh_s, cost / _REFRESH_SHARE)
        cpu_s = 0.0
        rss = 0
        alive = 0
        for pid, tracked in list(self._tracked.items()):
            try:  # no oneshot(): these two read different /proc files, so it only adds cost
                times = tracked.proc.cpu_times()
                rss += tracked.proc.memory_info().rss
            except psutil.Error:
                del self._tracked[pid]
                continue
            total = times.user + times.system
            if tracked.last_cpu_s is not None:
                cpu_s += max(0.0, total - tracked.last_cpu_s)
            tracked.last_cpu_s = total
            alive += 1
        previous, self._last_read = self._last_read, now
        if not alive:
            return None, None, 0
        cpu = cpu_s / (now - previous) * 100 if previous is not None and now > previous else None
        return cpu, rss / _MB, alive

    def _refresh(self) -> None:
        now = time.time()
        seen: set[int] = set()
        for pid, root in self._roots.items():
            try:
                if not root.is_running():
                    continue
                members = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            walked = self._walked.get(pid)
            self._walked[pid] = now
            for proc in members:
                seen.add(proc.pid)
                if proc.pid not in self._tracked:
                    self._tracked[proc.pid] = _Tracked(proc, _baseline(proc, walked))
        for pid in set(self._tracked) - seen:
            del self._tracked[pid]


def _baseline(proc: psutil.Process, walked: float | None) -> float | None:
    """0.0 (count all its CPU) for a child born since the tree was last walked, else None.

    A process only enters a walked tree by being born in it, so a newcomer is new; the creation
    time check (precise only to ~1 s: it derives from the boot time) guards against odd adoptions.
    """
    if walked is None:
        return None
    try:
        return 0.0 if proc.create_time() >= walked - 2.0 else None
    except psutil.Error:
        return None


class _Nvml:
    """NVIDIA GPUs through pynvml; `open()` is False when the library or a GPU is missing."""

    def __init__(self) -> None:
        self._lib: Any = None
        self._handles: list[Any] = []

    def open(self) -> bool:
        try:
            import pynvml

            pynvml.nvmlInit()
        except Exception:  # ImportError, NVMLError_LibraryNotFound, driver errors...
            return False
        self._lib = pynvml
        try:
            count = pynvml.nvmlDeviceGetCount()
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except Exception:
            self._handles = []
        if not self._handles:
            self.close()
        return bool(self._handles)

    def read(self) -> tuple[float | None, float | None, float | None]:
        if not self._handles:
            return None, None, None
        lib = self._lib
        utils = [
            _try(lambda h=h: float(lib.nvmlDeviceGetUtilizationRates(h).gpu)) for h in self._handles
        ]
        mems = [_try(lambda h=h: lib.nvmlDeviceGetMemoryInfo(h).used / _MB) for h in self._handles]
        powers = [_try(lambda h=h: lib.nvmlDeviceGetPowerUsage(h) / 1000.0) for h in self._handles]
        util = [u for u in utils if u is not None]
        return (
            sum(util) / len(util) if util else None,
            _sum_or_none(mems),
            _sum_or_none(powers),
        )

    def close(self) -> None:
        if self._lib is not None:
            with contextlib.suppress(Exception):
                self._lib.nvmlShutdown()
        self._lib = None
        self._handles = []


def _try(read: Any) -> float | None:
    try:
        return float(read())
    except Exception:  # NVMLError_NotSupported and friends: this figure is unavailable
        return None


def _sum_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


class _SystemCpu:
    """System CPU busy % from cpu_times deltas (psutil.cpu_percent has shared global state)."""

    def __init__(self) -> None:
        self._last = self._busy_total()

    @staticmethod
    def _busy_total() -> tuple[float, float]:
        t = psutil.cpu_times()
        total = sum(t) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
        busy = total - t.idle - getattr(t, "iowait", 0.0)
        return busy, total

    def read(self) -> float | None:
        busy, total = self._busy_total()
        last_busy, last_total = self._last
        self._last = (busy, total)
        if total <= last_total:
            return None
        return min(100.0, max(0.0, (busy - last_busy) / (total - last_total) * 100))


@dataclass
class _SamplerClock:
    cpu_s: float = 0.0
    wall_s: float = 0.0
    errors: int = 0


class ResourceMonitor:
    """Samples resources on a background thread from `start()` until `stop()`.

    `pids` are server processes whose whole tree (all descendants, re-discovered every
    `children_refresh_s`) is attributed. `rapl_root` is the powercap directory (a test may point it
    at fake files). Use as a context manager or call `start()`/`stop()`.
    """

    def __init__(
        self,
        pids: Sequence[int] = (),
        interval_s: float = 0.25,
        *,
        gpu: bool = True,
        rapl_root: str | Path = DEFAULT_RAPL_ROOT,
        children_refresh_s: float = 1.0,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.interval_s = interval_s
        self._use_gpu = gpu
        self._rapl_root = rapl_root
        self._samples: list[ResourceSample] = []
        self._marks: list[Mark] = []
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._clock = _SamplerClock()
        self._summary: MonitorSummary | None = None
        self._tree = _ProcessTree(pids, children_refresh_s)
        self._nvml = _Nvml()
        self._rapl: RaplReader | None = None
        self._cpu: _SystemCpu | None = None

    def __enter__(self) -> ResourceMonitor:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def samples(self) -> list[ResourceSample]:
        with self._lock:
            return list(self._samples)

    @property
    def marks(self) -> list[Mark]:
        with self._lock:
            return list(self._marks)

    @property
    def sampler_cpu_percent(self) -> float | None:
        """CPU time of the sampler thread over its lifetime, % of one core."""
        clock = self._clock
        return clock.cpu_s / clock.wall_s * 100 if clock.wall_s > 0 else None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def watch(self, pid: int) -> None:
        """Attribute `pid` and its descendants from the next sample on."""
        with self._lock:
            self._tree.add_root(pid)

    def mark(self, name: str) -> int:
        """Record a named instant (e.g. "warmup_done"); returns its perf_counter_ns."""
        t_ns = time.perf_counter_ns()
        with self._lock:
            self._marks.append(Mark(name, t_ns, time.time()))
        return t_ns

    def start(self) -> ResourceMonitor:
        """Open the sources, take a baseline sample and start the sampler thread."""
        if self._thread is not None:
            raise RuntimeError("monitor already started")
        if self._use_gpu:
            self._nvml.open()
        self._rapl = RaplReader(self._rapl_root)
        self._cpu = _SystemCpu()
        self.sample()
        self._thread = threading.Thread(target=self._run, name="flperf-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> MonitorSummary:
        """Stop sampling (taking a last sample now) and summarise the whole monitored span."""
        if self._summary is not None:
            return self._summary
        if self._thread is None:
            raise RuntimeError("monitor was not started")
        self._stop_event.set()
        self._thread.join()
        self.sample()
        self._nvml.close()
        self._summary = self.summarize()
        return self._summary

    def summarize(self, start_ns: int | None = None, end_ns: int | None = None) -> MonitorSummary:
        """`summarize` over this monitor's samples, with the sampler's own CPU cost filled in."""
        summary = summarize(self.samples, start_ns, end_ns)
        return summary.model_copy(update={"sampler_cpu_percent": self.sampler_cpu_percent})

    def sample(self) -> ResourceSample:
        """Take one sample now (the thread calls this; tests may too) and keep it."""
        if self._cpu is None or self._rapl is None:
            raise RuntimeError("monitor was not started")
        with self._lock:
            t_ns = time.perf_counter_ns()
            proc_cpu, proc_rss, proc_count = self._tree.read(t_ns / 1e9)
            gpu_util, gpu_mem, gpu_power = self._nvml.read()
            ram: float | None
            try:
                ram = float(psutil.virtual_memory().percent)
            except (OSError, RuntimeError):
                ram = None
            sample = ResourceSample(
                t_ns=t_ns,
                wall_time=time.time(),
                cpu_percent=self._cpu.read(),
                ram_percent=ram,
                proc_cpu_percent=proc_cpu,
                proc_rss_mb=proc_rss,
                proc_count=proc_count,
                gpu_util_percent=gpu_util,
                gpu_mem_used_mb=gpu_mem,
                gpu_power_w=gpu_power,
                cpu_energy_j=self._rapl.read_j(),
            )
            self._samples.append(sample)
        return sample

    def _run(self) -> None:
        cpu0 = time.thread_time()
        t0 = time.perf_counter()
        next_at = t0 + self.interval_s
        while not self._stop_event.wait(max(0.0, next_at - time.perf_counter())):
            try:
                self.sample()
            except Exception:  # keep sampling; one bad read must not end the measurement
                self._clock.errors += 1
                if self._clock.errors == 1:
                    log.exception("resource sample failed")
            next_at += self.interval_s
            now = time.perf_counter()
            if next_at < now:  # fell behind (machine saturated): skip the missed ticks
                next_at = now + self.interval_s
            self._clock.cpu_s = time.thread_time() - cpu0
            self._clock.wall_s = now - t0
        self._clock.cpu_s = time.thread_time() - cpu0
        self._clock.wall_s = time.perf_counter() - t0
