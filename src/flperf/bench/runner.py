"""Measures one model on a suite: plans requests, drives the load, collects records.

Scenarios run in suite order; the warm-up of each scenario runs once, before its first trial. A
model that fails (unreachable, crashing) yields failed records and the measurement goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from time import perf_counter_ns

from flperf.bench.client import Capture, ChatClient, RequestPlan, Tokenizer, build_body
from flperf.bench.lifecycle import ModelLifecycle
from flperf.bench.metrics import ResultMetrics, aggregate_run
from flperf.bench.monitor import ResourceMonitor, ResourceSample
from flperf.bench.records import RequestRecord, Status
from flperf.bench.resources import attach_resources
from flperf.bench.run_config import RunConfig
from flperf.bench.scheduler import ClosedLoop, LoadStrategy, strategy_for
from flperf.bench.workload import Scenario, Suite


@dataclass(frozen=True)
class Target:
    """A model to benchmark: where it is served and what to call it."""

    name: str
    endpoint: str
    served_model: str
    api_key: str | None = None
    pid: int | None = None
    tokenizer: Tokenizer | None = None
    lifecycle: ModelLifecycle | None = None
    """What serving it took (`cold_start`, load time, memory after the load), when known."""


@dataclass
class Progress:
    """Where a run stands: requests done of total, what is running now, and an ETA."""

    total: int
    done: int = 0
    ok: int = 0
    failed: int = 0
    model: str | None = None
    scenario: str | None = None
    started_ns: int = field(default_factory=perf_counter_ns)

    @property
    def fraction(self) -> float:
        """Share of requests done, 0..1."""
        return self.done / self.total if self.total else 1.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace so far (None before the first request ends)."""
        if not self.done or self.done >= self.total:
            return None if not self.done else 0.0
        elapsed = (perf_counter_ns() - self.started_ns) / 1e9
        return elapsed / self.done * (self.total - self.done)


@dataclass
class RunOutcome:
    """Everything a finished (or cancelled) measurement of one model produced."""

    cancelled: bool
    records: list[RequestRecord]
    results: list[ResultMetrics]
    started_at: float
    completed_at: float
    samples: list[ResourceSample] = field(default_factory=list)
    ref_ns: int = 0


@dataclass(frozen=True)
class _Phase:
    scenario: Scenario
    trial: int
    warmup: bool
    plans: list[RequestPlan]


def _phase_sizes(config: RunConfig, trial: int) -> list[tuple[bool, int]]:
    """(warm-up?, requests) of each phase of one trial: the warm-up runs once, before trial 0."""
    sizes = [(True, config.warmup)] if trial == 0 and config.warmup else []
    return [*sizes, (False, config.iterations)]


def _plan_phases(
    target: Target, suite: Suite, config: RunConfig, first_index: int
) -> Iterator[_Phase]:
    index = first_index
    for scenario in suite.scenarios:
        max_tokens = config.max_tokens or scenario.max_tokens
        body = build_body(
            target.served_model,
            scenario.chat_messages(),
            max_tokens,
            config.temperature,
            config.streaming,
        )
        for trial in range(config.trials):
            for warmup, count in _phase_sizes(config, trial):
                plans = [
                    RequestPlan(
                        index=index + i,
                        model=target.name,
                        scenario=scenario.name,
                        iteration=i,
                        warmup=warmup,
                        trial=trial,
                        body=body,
                        max_tokens=max_tokens,
                        streamed=config.streaming,
                        expected_pattern=scenario.expected_pattern,
                    )
                    for i in range(count)
                ]
                index += count
                yield _Phase(scenario, trial, warmup, plans)


class Runner:
    """One model measured on a suite. `run()` once; `cancel()` from any thread stops it promptly.

    Several models are measured one after the other by `flperf.bench.session.BenchSession`.
    """

    def __init__(
        self,
        target: Target,
        suite: Suite,
        config: RunConfig,
        *,
        on_record: Callable[[RequestRecord], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        monitor_interval_s: float | None = 0.25,
        ref_ns: int | None = None,
        first_index: int = 0,
    ) -> None:
        self.target = target
        self.suite = suite.select(config.scenarios)
        self.config = config
        self.records: list[RequestRecord] = []
        # Records' times are offsets from `ref_ns` and their indexes start at `first_index`, so a
        # caller measuring models with several runners can put them all on one run's axes.
        self.ref_ns = perf_counter_ns() if ref_ns is None else ref_ns
        # Phases (and their requests) are planned as they come: a run of a million requests
        # must not build a million plans before its first request.
        self._phases = _plan_phases(target, self.suite, config, first_index)
        per_scenario = config.warmup + config.trials * config.iterations
        self.progress = Progress(total=len(self.suite.scenarios) * per_scenario)
        self._on_record = on_record
        self._on_progress = on_progress
        self._cancelled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._strategy: LoadStrategy | None = None
        self._monitor_interval_s = monitor_interval_s
        self._pending: deque[tuple[ChatClient, Capture]] = deque()
        self._wake = asyncio.Event()
        self._monitor: ResourceMonitor | None = None

    def cancel(self) -> None:
        """Stop sending and end requests in flight; safe to call from another thread."""
        self._cancelled = True
        loop, task = self._loop, self._task
        if loop is None or task is None:
            return
        with contextlib.suppress(RuntimeError):  # a closed loop has nothing in flight
            loop.call_soon_threadsafe(self._cancel_in_loop)

    def _cancel_in_loop(self) -> None:
        if self._strategy is not None:
            self._strategy.stop()
        if self._task is not None:
            self._task.cancel()

    def _record(self, record: RequestRecord) -> None:
        self.records.append(record)
        progress = self.progress
        progress.done += 1
        if record.status is Status.OK:
            progress.ok += 1
        elif record.status is not Status.CANCELLED:
            progress.failed += 1
        if self._on_record is not None:
            self._on_record(record)

    async def _parse_pending(self) -> None:
        """Turn captures into records one per loop iteration, so I/O is polled in between."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                client, capture = self._pending.popleft()
                self._record(client.record(capture))
                await asyncio.sleep(0)

    def _drain(self) -> None:
        while self._pending:
            client, capture = self._pending.popleft()
            self._record(client.record(capture))

    async def run(self) -> RunOutcome:
        """Run every phase; returns the records and aggregates, also when cancelled."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        parser = asyncio.create_task(self._parse_pending())
        started_at = time.time()
        self.progress.started_ns = perf_counter_ns()
        self.progress.model = self.target.name
        cancelled = False
        client: ChatClient | None = None
        self._start_monitor()
        try:
            client = await self._open_client()
            for phase in self._phases:
                if self._cancelled:
                    cancelled = True
                    break
                self.progress.scenario = phase.scenario.name
                self._notify()
                if not await self._run_phase(phase, client):
                    cancelled = True
                    break
        finally:
            parser.cancel()
            self._drain()
            if client is not None:
                await client.__aexit__(None, None, None)
            monitor = self._monitor
            if monitor is not None and monitor.running:
                monitor.stop()
            self._notify()
        return self._outcome(cancelled, started_at)

    async def _run_phase(self, phase: _Phase, client: ChatClient) -> bool:
        """Send one phase's requests; False when the run was cancelled meanwhile."""
        strategy = ClosedLoop(self.config) if phase.warmup else strategy_for(self.config)
        self._strategy = strategy
        self._task = asyncio.create_task(
            strategy.run(phase.plans, client.send, self._completer(client))
        )
        try:
            await self._task
        except asyncio.CancelledError:
            if not self._cancelled:
                raise
            return False
        finally:
            self._task = None
            self._drain()
        return True

    def _outcome(self, cancelled: bool, started_at: float) -> RunOutcome:
        samples = self._monitor.samples if self._monitor is not None else []
        records = sorted(self.records, key=lambda r: r.index)
        name = self.target.name
        own_cost = {name: self._monitor.sampler_cpu_percent} if self._monitor else {}
        results = attach_resources(
            aggregate_run(records, self.config.parsed_slos()),
            records,
            {name: samples},
            self.ref_ns,
            own_cost,
        )
        return RunOutcome(
            cancelled=cancelled,
            records=records,
            results=results,
            started_at=started_at,
            completed_at=time.time(),
            samples=samples,
            ref_ns=self.ref_ns,
        )

    def _start_monitor(self) -> None:
        if self._monitor_interval_s is None:
            return
        pids = [self.target.pid] if self.target.pid else []
        self._monitor = ResourceMonitor(pids, interval_s=self._monitor_interval_s).start()

    def _completer(self, client: ChatClient) -> Callable[[Capture], None]:
        pending, wake = self._pending, self._wake

        def complete(capture: Capture) -> None:
            pending.append((client, capture))
            wake.set()

        return complete

    async def _open_client(self) -> ChatClient:
        target = self.target
        client = ChatClient(
            target.endpoint,
            timeout_s=self.config.timeout_s,
            ref_ns=self.ref_ns,
            pool_size=self.config.pool_size,
            api_key=target.api_key,
            tokenizer=target.tokenizer,
        )
        return await client.__aenter__()

    def _notify(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.progress)
