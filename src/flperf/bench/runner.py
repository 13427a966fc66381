"""Runs a suite against one or more models: plans requests, drives the load, collects records.

Models run one after another, scenarios in suite order, so each measurement has the machine to
itself. A model that fails (unreachable, crashing) yields failed records and the run goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from time import perf_counter_ns

from flperf.bench.client import Capture, ChatClient, RequestPlan, Tokenizer, build_body
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


class RunStatus(StrEnum):
    """How a run ended (the store adds queued/running/failed/interrupted)."""

    COMPLETED = "completed"
    CANCELLED = "cancelled"


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
    """Everything a finished (or cancelled) run measured."""

    status: RunStatus
    records: list[RequestRecord]
    results: list[ResultMetrics]
    started_at: float
    completed_at: float
    samples: dict[str, list[ResourceSample]] = field(default_factory=dict)
    ref_ns: int = 0


@dataclass(frozen=True)
class _Phase:
    target: Target
    scenario: Scenario
    trial: int
    warmup: bool
    plans: list[RequestPlan]


def _plan_phases(
    targets: Sequence[Target], suite: Suite, config: RunConfig, first_index: int
) -> Iterator[_Phase]:
    index = first_index
    for target in targets:
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
                counts = [(True, config.warmup)] if trial == 0 and config.warmup else []
                counts.append((False, config.iterations))
                for warmup, count in counts:
                    plans = []
                    for iteration in range(count):
                        plans.append(
                            RequestPlan(
                                index=index,
                                model=target.name,
                                scenario=scenario.name,
                                iteration=iteration,
                                warmup=warmup,
                                trial=trial,
                                body=body,
                                max_tokens=max_tokens,
                                streamed=config.streaming,
                                expected_pattern=scenario.expected_pattern,
                            )
                        )
                        index += 1
                    yield _Phase(target, scenario, trial, warmup, plans)


class Runner:
    """One benchmark run. `run()` once; `cancel()` from any thread stops it promptly."""

    def __init__(
        self,
        targets: Sequence[Target],
        suite: Suite,
        config: RunConfig,
        *,
        on_record: Callable[[RequestRecord], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        monitor_interval_s: float | None = 0.25,
        ref_ns: int | None = None,
        first_index: int = 0,
    ) -> None:
        if not targets:
            raise ValueError("a run needs at least one model")
        self.targets = list(targets)
        self.suite = suite.select(config.scenarios)
        self.config = config
        self.records: list[RequestRecord] = []
        # Records' times are offsets from `ref_ns` and their indexes start at `first_index`, so a
        # caller measuring models with several runners can put them all on one run's axes.
        self.ref_ns = perf_counter_ns() if ref_ns is None else ref_ns
        phases = list(_plan_phases(self.targets, self.suite, config, first_index))
        self._phases = phases
        self.progress = Progress(total=sum(len(p.plans) for p in phases))
        self._on_record = on_record
        self._on_progress = on_progress
        self._cancelled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._strategy: LoadStrategy | None = None
        self._monitor_interval_s = monitor_interval_s
        self._pending: deque[tuple[ChatClient, Capture]] = deque()
        self._wake = asyncio.Event()
        self._monitors: dict[str, ResourceMonitor] = {}

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
        status = RunStatus.COMPLETED
        clients: dict[str, ChatClient] = {}
        try:
            for phase in self._phases:
                if self._cancelled:
                    status = RunStatus.CANCELLED
                    break
                client = clients.get(phase.target.name)
                if client is None:
                    self._switch_monitor(phase.target)
                    client = await self._open_client(phase.target)
                    clients[phase.target.name] = client
                self.progress.model = phase.target.name
                self.progress.scenario = phase.scenario.name
                self._notify()
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
                    status = RunStatus.CANCELLED
                    break
                finally:
                    self._task = None
                    self._drain()
        finally:
            parser.cancel()
            self._drain()
            for client in clients.values():
                await client.__aexit__(None, None, None)
            self._switch_monitor(None)
            self._notify()
        samples = {name: monitor.samples for name, monitor in self._monitors.items()}
        records = sorted(self.records, key=lambda r: r.index)
        own_cost = {name: m.sampler_cpu_percent for name, m in self._monitors.items()}
        results = attach_resources(
            aggregate_run(records, self.config.parsed_slos()),
            records,
            samples,
            self.ref_ns,
            own_cost,
        )
        return RunOutcome(
            status=status,
            records=records,
            results=results,
            started_at=started_at,
            completed_at=time.time(),
            samples=samples,
            ref_ns=self.ref_ns,
        )

    def _switch_monitor(self, target: Target | None) -> None:
        """Stop sampling the previous model; start sampling `target` (models run one at a time)."""
        for monitor in self._monitors.values():
            if monitor.running:
                monitor.stop()
        if target is None or self._monitor_interval_s is None:
            return
        pids = [target.pid] if target.pid else []
        monitor = ResourceMonitor(pids, interval_s=self._monitor_interval_s)
        self._monitors[target.name] = monitor.start()

    def _completer(self, client: ChatClient) -> Callable[[Capture], None]:
        pending, wake = self._pending, self._wake

        def complete(capture: Capture) -> None:
            pending.append((client, capture))
            wake.set()

        return complete

    async def _open_client(self, target: Target) -> ChatClient:
        pool = (
            self.config.concurrency
            if self.config.rate is None
            else (self.config.max_concurrency or 0)
        )
        client = ChatClient(
            target.endpoint,
            timeout_s=self.config.timeout_s,
            ref_ns=self.ref_ns,
            pool_size=pool,
            api_key=target.api_key,
            tokenizer=target.tokenizer,
        )
        return await client.__aenter__()

    def _notify(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.progress)
