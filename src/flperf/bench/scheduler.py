"""Load strategies: when each request of a scenario is sent. Registered by name."""

from __future__ import annotations

import asyncio
import random
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from time import perf_counter_ns
from typing import ClassVar

from flperf.bench.client import Capture, RequestPlan
from flperf.bench.run_config import ClosedLoad, PoissonRateLoad, RunConfig

Send = Callable[[RequestPlan, int], Awaitable[Capture]]
OnComplete = Callable[[Capture], None]

STRATEGIES: dict[str, type[LoadStrategy]] = {}


def register(name: str) -> Callable[[type[LoadStrategy]], type[LoadStrategy]]:
    """Class decorator adding a strategy to the registry under `name`."""

    def add(cls: type[LoadStrategy]) -> type[LoadStrategy]:
        cls.name = name
        STRATEGIES[name] = cls
        return cls

    return add


class LoadStrategy(ABC):
    """Sends a list of planned requests and hands over each one's capture as it completes."""

    name: ClassVar[str]

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.stopped = False

    @abstractmethod
    async def run(self, plans: Sequence[RequestPlan], send: Send, on_complete: OnComplete) -> None:
        """Send every plan (unless stopped); call `on_complete` with each request's capture."""

    def stop(self) -> None:
        """Send nothing new; requests in flight are ended by cancelling the running task."""
        self.stopped = True


@register("concurrent")
class ClosedLoop(LoadStrategy):
    """`concurrency` workers, each sending its next request as soon as the previous one ends."""

    async def run(self, plans: Sequence[RequestPlan], send: Send, on_complete: OnComplete) -> None:
        queue = iter(plans)

        async def worker() -> None:
            for plan in queue:  # one shared iterator: asyncio never interleaves next() calls
                if self.stopped:
                    return
                on_complete(await send(plan, perf_counter_ns()))

        load = self.config.load
        concurrency = load.concurrency if isinstance(load, ClosedLoad) else 1
        workers = min(concurrency, len(plans))
        await asyncio.gather(*(worker() for _ in range(workers)))


class _OpenLoop(LoadStrategy):
    """Requests sent on a schedule regardless of completions, optionally capped in flight."""

    @abstractmethod
    def offsets_s(self, count: int) -> list[float]:
        """Send time of each request, seconds after the scenario starts."""

    async def run(self, plans: Sequence[RequestPlan], send: Send, on_complete: OnComplete) -> None:
        load = self.config.load
        cap = None if isinstance(load, ClosedLoad) else load.max_concurrency
        slots = asyncio.Semaphore(cap) if cap else None
        in_flight: set[asyncio.Task[None]] = set()

        async def one(plan: RequestPlan, scheduled_ns: int) -> None:
            try:
                on_complete(await send(plan, scheduled_ns))
            finally:
                if slots is not None:
                    slots.release()

        t0 = perf_counter_ns()
        try:
            for plan, offset in zip(plans, self.offsets_s(len(plans)), strict=True):
                scheduled_ns = t0 + int(offset * 1e9)
                delay = (scheduled_ns - perf_counter_ns()) / 1e9
                if delay > 0:
                    await asyncio.sleep(delay)
                if slots is not None:
                    await slots.acquire()
                if self.stopped:
                    if slots is not None:
                        slots.release()
                    break
                task = asyncio.create_task(one(plan, scheduled_ns))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            if in_flight:
                await asyncio.gather(*in_flight)
        except asyncio.CancelledError:
            for task in in_flight:
                task.cancel()
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)
            raise


@register("constant")
class ConstantRate(_OpenLoop):
    """One request every 1/rate seconds."""

    def offsets_s(self, count: int) -> list[float]:
        rate = _rate(self.config)
        return [i / rate for i in range(count)]


@register("poisson")
class PoissonRate(_OpenLoop):
    """Poisson arrivals at `rate` requests/s (exponential gaps from the run's seed)."""

    def offsets_s(self, count: int) -> list[float]:
        load = self.config.load
        rng = random.Random(load.seed if isinstance(load, PoissonRateLoad) else 0)
        rate = _rate(self.config)
        offsets, t = [], 0.0
        for _ in range(count):
            offsets.append(t)
            t += rng.expovariate(rate)
        return offsets


def _rate(config: RunConfig) -> float:
    load = config.load
    return 1.0 if isinstance(load, ClosedLoad) else load.rate


def strategy_for(config: RunConfig) -> LoadStrategy:
    """The strategy a config's load asks for: closed loop, constant or Poisson rate."""
    name = "concurrent" if isinstance(config.load, ClosedLoad) else config.load.kind
    return STRATEGIES[name](config)
