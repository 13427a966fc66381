"""SweepService: sweeps driven through the run queue, one point (an ordinary run) at a time.

A sweep is a row; each point is a run queued with `RunService.start_run(..., sweep_id=...)`.
When the run queue is done with a point's run it calls `run_finished`, which reads the sweep's
stored points and asks `flperf.bench.sweep.next_step` (the function `flperf sweep` uses) what
to measure next: the next load of the same model, the first load of the next model, or nothing.
The sweep therefore holds no state of its own beyond its row, and other runs queued meanwhile
are measured in their turn between two points.

States: `running` -> `completed` | `failed` (every model's sweep failed, or a point could not be
queued) | `cancelled` (by the user, by cancelling its current point, or at shutdown) |
`interrupted` (the server died meanwhile). A Foundry model not already running is started for
each point and stopped after it, as for any run; start it first to keep it loaded throughout.
"""

from __future__ import annotations

import builtins
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from flperf.bench.metrics import ResultMetrics
from flperf.bench.run_config import RunConfig
from flperf.bench.run_document import RunState
from flperf.bench.session import planned_requests
from flperf.bench.sweep import SweepPoint, SweepSettings, load_of, load_text, next_step
from flperf.bench.sweep_document import (
    ModelSweep,
    ParetoPoint,
    SweepDocument,
    SweepInfo,
    pareto_points,
)
from flperf.bench.workload import WorkloadError, get_suite
from flperf.service.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ServiceError,
)
from flperf.service.fleet import FleetMember
from flperf.service.logbook import Logbook
from flperf.service.runs import (
    MAX_MODELS_PER_RUN,
    MAX_REQUESTS_PER_RUN,
    RunService,
    parse_config,
)
from flperf.service.views import seconds
from flperf.store import Database, new_id
from flperf.store.runs_repo import get_run
from flperf.store.servers_repo import orphan_sweeps
from flperf.store.sweeps_repo import (
    change_sweep_status,
    get_sweep,
    list_sweeps,
    set_first_run,
    sweep_run_ids,
    sweep_runs,
    sweeps_with_status,
    update_running_sweep,
)
from flperf.store.tables import SweepRow

MAX_PARETO_SWEEPS = 20


@dataclass(frozen=True)
class SweepPage:
    sweeps: list[SweepDocument]
    total: int


def parse_settings(settings: SweepSettings | Mapping[str, Any]) -> SweepSettings:
    """A sweep's settings from a request body (raises `InvalidInputError` naming the field)."""
    if isinstance(settings, SweepSettings):
        return settings
    try:
        return SweepSettings.model_validate(dict(settings))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InvalidInputError(
            f"sweep.{where}" if where else "sweep", err["msg"].removeprefix("Value error, ")
        ) from None


class SweepService:
    """Everything the API and the web UI do with sweeps."""

    def __init__(
        self, db: Database, runs: RunService, logbook: Logbook, fleet: FleetMember
    ) -> None:
        self._db = db
        self._runs = runs
        self._logbook = logbook
        self._fleet = fleet
        runs.on_run_finished(self.run_finished)

    # -- starting ------------------------------------------------------------------------

    def start_sweep(
        self,
        model_ids: Sequence[str],
        suite_name: str,
        config: RunConfig | Mapping[str, Any] | None,
        settings: SweepSettings | Mapping[str, Any],
    ) -> tuple[str, str]:
        """Validate the sweep, store it and queue its first point; returns (sweep id, run id)."""
        base = parse_config(config)
        sweep = parse_settings(settings)
        ids = list(model_ids)
        if not ids:
            raise InvalidInputError("modelIds", "give at least one model id")
        if len(ids) > MAX_MODELS_PER_RUN:
            raise InvalidInputError("modelIds", f"at most {MAX_MODELS_PER_RUN} models per sweep")
        if len(set(ids)) != len(ids):
            raise InvalidInputError("modelIds", "a model id appears twice")
        aliases = self._runs.model_aliases(ids)  # an unknown one: NotFoundError
        try:
            suite = get_suite(suite_name)
        except WorkloadError as exc:
            raise NotFoundError(f"suiteName: {exc}") from None
        try:
            suite = suite.select(base.scenarios)
        except WorkloadError as exc:
            raise InvalidInputError("config.scenarios", str(exc)) from None
        largest = planned_requests(suite, sweep.point_config(base, sweep.highest_load()))
        if largest > MAX_REQUESTS_PER_RUN:
            raise InvalidInputError(
                "sweep",
                f"the point at {sweep.axis} {load_text(sweep.highest_load())} would send "
                f"{largest:,} requests; the limit is {MAX_REQUESTS_PER_RUN:,} (lower the "
                "highest load or the iterations, or set scale_iterations to false)",
            )
        now = time.time()
        sweep_id = new_id("sweep")
        with self._db.write() as session:
            session.add(
                SweepRow(
                    id=sweep_id,
                    server_id=self._fleet.id,
                    suite_name=suite.name,
                    model_ids=ids,
                    model_aliases=aliases,
                    config=base.model_dump(mode="json"),
                    settings=sweep.model_dump(mode="json"),
                    status=RunState.RUNNING,
                    stop_reasons={},
                    created_at=now,
                    started_at=now,
                )
            )
        first = next_step(sweep, [])
        assert first.load is not None  # a valid series has a first load
        try:
            run_id = self._runs.start_run(
                [ids[0]], suite_name, sweep.point_config(base, first.load), sweep_id=sweep_id
            )
        except ServiceError:
            self._forget(sweep_id)
            raise
        with self._db.write() as session:  # unless the point already ended and queued the next
            set_first_run(session, sweep_id, run_id)
        self._log(sweep_id, "info", f"Sweep started: {sweep.axis} of {', '.join(aliases.values())}")
        return sweep_id, run_id

    def _forget(self, sweep_id: str) -> None:
        with self._db.write() as session:
            row = get_sweep(session, sweep_id)
            if row is not None:
                session.delete(row)

    # -- reading -------------------------------------------------------------------------

    def _row(self, sweep_id: str) -> SweepRow:
        with self._db.read() as session:
            row = get_sweep(session, sweep_id)
        if row is None:
            raise NotFoundError(f"sweep {sweep_id!r} not found")
        return row

    def _points(self, row: SweepRow, settings: SweepSettings) -> dict[str, list[SweepPoint]]:
        """Each model's points from the sweep's runs (a point still measured is not complete)."""
        with self._db.read() as session:
            rows = sweep_runs(session, row.id)
        points: dict[str, list[SweepPoint]] = {str(m): [] for m in row.model_ids}
        for run, result in rows:
            load = load_of(RunConfig.model_validate(run.config), settings.axis)
            model_id = str(run.model_ids[0])
            if load is None or model_id not in points:
                continue
            summary = ResultMetrics.model_validate(result.metrics) if result else None
            status = RunState(run.status)
            points[model_id].append(SweepPoint.of(load, summary, settings, run.id, status))
        return points

    def _document(self, row: SweepRow) -> SweepDocument:
        settings = SweepSettings.model_validate(row.settings)
        points = self._points(row, settings)
        status = RunState(row.status)
        models = []
        for model_id in (str(m) for m in row.model_ids):
            stopped = (row.stop_reasons or {}).get(model_id)
            models.append(
                ModelSweep.of(
                    model_id,
                    row.model_aliases.get(model_id),
                    points[model_id],
                    settings,
                    done=stopped is not None or status.finished,
                    stop_reason=stopped.get("reason") if stopped else None,
                )
            )
        info = SweepInfo(
            id=row.id,
            suite_name=row.suite_name,
            model_ids=[str(m) for m in row.model_ids],
            model_aliases=[row.model_aliases.get(str(m)) for m in row.model_ids],
            config=RunConfig.model_validate(row.config),
            settings=settings,
            status=status,
            error=row.error,
            current_run_id=row.current_run_id,
            created_at=int(row.created_at),
            started_at=seconds(row.started_at),
            completed_at=seconds(row.completed_at),
        )
        return SweepDocument.build(info, models)

    def get(self, sweep_id: str) -> SweepDocument:
        """The sweep with each model's points, knee, capacity under SLO and Pareto front."""
        return self._document(self._row(sweep_id))

    def list(self, limit: int = 100, offset: int = 0) -> SweepPage:
        """Sweeps newest first."""
        with self._db.read() as session:
            rows, total = list_sweeps(session, limit, offset)
        return SweepPage([self._document(r) for r in rows], total)

    def pareto(self, sweep_ids: Sequence[str]) -> builtins.list[ParetoPoint]:
        """Every point of these sweeps on the throughput / p95 TTFT plane, optimal ones marked
        across all of them."""
        ids = [s for s in sweep_ids if s]
        if not ids:
            raise InvalidInputError("sweeps", "give at least one sweep id")
        if len(ids) > MAX_PARETO_SWEEPS:
            raise InvalidInputError("sweeps", f"at most {MAX_PARETO_SWEEPS} sweeps")
        documents = [self.get(s) for s in dict.fromkeys(ids)]
        return pareto_points([(d.sweep, d.models) for d in documents])

    # -- changing ------------------------------------------------------------------------

    def cancel(self, sweep_id: str) -> SweepDocument:
        """Stop the sweep: its current point is cancelled (what it measured is kept) and no
        other point is queued."""
        row = self._row(sweep_id)
        with self._db.write() as session:
            moved = change_sweep_status(
                session, sweep_id, RunState.RUNNING, RunState.CANCELLED, completed_at=time.time()
            )
            current = get_sweep(session, sweep_id)  # read after the update: the latest point
            run_id = current.current_run_id if current is not None else None
            if moved and current is not None:
                current.current_run_id = None
        if not moved:
            raise ConflictError(f"sweep {sweep_id} already ended ({row.status})")
        self._log(sweep_id, "info", "Sweep cancelled")
        if run_id is not None:
            with contextlib.suppress(ConflictError, NotFoundError):  # it ended meanwhile
                self._runs.cancel(run_id)
        return self.get(sweep_id)

    def delete(self, sweep_id: str) -> None:
        """Delete a sweep that ended, with the runs of its points."""
        row = self._row(sweep_id)
        if not RunState(row.status).finished:
            raise ConflictError(f"sweep {sweep_id} is running; cancel it first")
        with self._db.read() as session:
            run_ids = sweep_run_ids(session, sweep_id)
        for run_id in run_ids:
            with contextlib.suppress(NotFoundError):
                self._runs.delete(run_id)
        self._forget(sweep_id)

    # -- the run queue's hook --------------------------------------------------------------

    def run_finished(self, run_id: str) -> None:
        """A run ended (or was cancelled while queued): queue its sweep's next point, if any."""
        with self._db.read() as session:
            run = get_run(session, run_id)
            if run is None or run.sweep_id is None:
                return
            row = get_sweep(session, run.sweep_id)
        if row is None or row.status != RunState.RUNNING:
            return
        if row.current_run_id not in (run_id, None):  # None: the first point ended very fast
            return
        settings = SweepSettings.model_validate(row.settings)
        model_id = str(run.model_ids[0])
        state = RunState(run.status)
        if state is RunState.CANCELLED:
            self._finish(row.id, RunState.CANCELLED, f"its point {run_id} was cancelled")
            return
        if state is RunState.COMPLETED:
            step = next_step(settings, self._points(row, settings)[model_id])
            if step.load is not None:
                self._queue(row, settings, model_id, step.load)
                return
            reason, failed = step.reason or "done", False
        else:
            load = load_of(RunConfig.model_validate(run.config), settings.axis)
            where = f"{settings.axis} {load_text(load)}" if load is not None else "a point"
            reason, failed = f"the run at {where} ended {state.value}: {run.error}", True
        stops = {**(row.stop_reasons or {}), model_id: {"reason": reason, "failed": failed}}
        with self._db.write() as session:
            update_running_sweep(session, row.id, stop_reasons=stops)
        alias = row.model_aliases.get(model_id) or model_id
        self._log(row.id, "warning" if failed else "info", f"{alias}: {reason}")
        ids = [str(m) for m in row.model_ids]
        later = ids[ids.index(model_id) + 1 :]
        if later:
            first = next_step(settings, [])
            assert first.load is not None
            self._queue(row, settings, later[0], first.load)
        elif all(stops.get(m, {}).get("failed") for m in ids):
            self._finish(row.id, RunState.FAILED, "no model could be measured")
        else:
            self._finish(row.id, RunState.COMPLETED, None)

    def _queue(self, row: SweepRow, settings: SweepSettings, model_id: str, load: float) -> None:
        config = settings.point_config(RunConfig.model_validate(row.config), load)
        try:
            run_id = self._runs.start_run([model_id], row.suite_name, config, sweep_id=row.id)
        except ServiceError as exc:
            self._finish(row.id, RunState.FAILED, f"could not queue the next point: {exc}")
            return
        with self._db.write() as session:
            still = update_running_sweep(session, row.id, current_run_id=run_id)
        if not still:  # cancelled meanwhile: the point must not be measured
            with contextlib.suppress(ConflictError, NotFoundError):
                self._runs.cancel(run_id)

    def _finish(self, sweep_id: str, state: RunState, error: str | None) -> None:
        with self._db.write() as session:
            moved = change_sweep_status(
                session,
                sweep_id,
                RunState.RUNNING,
                state,
                error=error,
                current_run_id=None,
                completed_at=time.time(),
            )
        if moved:
            level = "error" if state is RunState.FAILED else "info"
            self._log(sweep_id, level, f"Sweep {state.value}" + (f": {error}" if error else ""))

    def _log(self, sweep_id: str, level: str, message: str) -> None:
        self._logbook.write("sweep", sweep_id, level, message)

    # -- the server's lifecycle ------------------------------------------------------------

    def recover_orphans(self) -> None:
        """Sweeps whose server is gone end `interrupted` (their points stay)."""
        with self._db.read() as session:
            stale = [
                r.id
                for r in orphan_sweeps(
                    session, (RunState.RUNNING,), self._fleet.stale_before(), self._fleet.id
                )
            ]
        for sweep_id in stale:
            self._finish(sweep_id, RunState.INTERRUPTED, "the server stopped during this sweep")

    def close(self) -> None:
        """Shutdown: this server's running sweeps end `cancelled` before their points are."""
        with self._db.read() as session:
            running = [
                r.id
                for r in sweeps_with_status(session, (RunState.RUNNING,))
                if r.server_id == self._fleet.id
            ]
        for sweep_id in running:
            self._finish(sweep_id, RunState.CANCELLED, "the server shut down")
