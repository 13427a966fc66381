"""RunService: queue benchmark runs, have them measured one at a time, and read what they measured.

Runs are measured by a worker process each (`flperf.service.run_worker`). States: `queued` ->
`running` -> `completed` | `failed` | `cancelled`; a run left `running` by a server that died
becomes `interrupted` on the next start, with its results recomputed from the stored records.
While a run is measured its status and progress come from the worker's reports; once the
database says it ended, they come from there. A poll therefore never sees a run go backwards.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from flperf.bench.lifecycle import lifecycle_rows
from flperf.bench.records import RequestRecord
from flperf.bench.run_config import RunConfig, field_name, workload_hash
from flperf.bench.run_document import RunDocument, RunState
from flperf.bench.session import planned_requests
from flperf.bench.workload import Suite, WorkloadError, get_suite, list_suites
from flperf.service.errors import (
    BusyError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from flperf.service.fleet import FleetMember
from flperf.service.logbook import Logbook
from flperf.service.models import ModelService
from flperf.service.recompute import recompute_results
from flperf.service.run_import import import_run
from flperf.service.run_worker import RunWorker
from flperf.service.views import (
    CurrentView,
    LogView,
    ResultView,
    RunDetail,
    RunStatusView,
    RunView,
    SampleView,
)
from flperf.service.worker_handle import WorkerHandle, wait_for_left_worker
from flperf.store import Database, RunRow, new_id
from flperf.store.logs_repo import add_log, list_logs
from flperf.store.models_repo import get_model
from flperf.store.requests_repo import (
    count_records,
    last_wall_end,
    list_samples,
    load_records,
    page_records,
)
from flperf.store.runs_repo import (
    SUMMARY_SCENARIO,
    change_status,
    count_queued,
    delete_run,
    get_run,
    get_run_with_suite,
    list_results,
    list_runs,
    machines,
    run_results,
    runs_with_status,
)
from flperf.store.servers_repo import orphan_runs

MAX_MODELS_PER_RUN = 20
MAX_REQUESTS_PER_RUN = 1_000_000


@dataclass(frozen=True)
class RunPage:
    runs: list[RunView]
    total: int


@dataclass(frozen=True)
class ResultPage:
    results: list[ResultView]
    total: int


@dataclass(frozen=True)
class RequestPage:
    requests: list[RequestRecord]
    total: int


def _config_error(exc: ValidationError) -> InvalidInputError:
    err = exc.errors()[0]
    where = field_name(err["loc"])
    return InvalidInputError(
        f"config.{where}" if where else "config", err["msg"].removeprefix("Value error, ")
    )


def parse_config(config: RunConfig | Mapping[str, Any] | None) -> RunConfig:
    """A run's settings from a request body (raises `InvalidInputError` naming the field)."""
    if isinstance(config, RunConfig):
        return config
    try:
        return RunConfig.model_validate(dict(config or {}))
    except ValidationError as exc:
        raise _config_error(exc) from None


def _with_selection(config: RunConfig, selected: Sequence[str] | None) -> RunConfig:
    """`config` with the original client's `selectedScenarios` as its scenario selection."""
    if not selected:
        return config
    if config.scenarios and list(config.scenarios) != list(selected):
        raise InvalidInputError(
            "selectedScenarios", "differs from config.scenarios; give the selection once"
        )
    return config.model_copy(update={"scenarios": list(selected)})


class RunService:
    """Everything the API, CLI and web UI do with benchmark runs."""

    def __init__(
        self,
        db: Database,
        models: ModelService,
        logbook: Logbook,
        fleet: FleetMember,
        max_queued: int = 20,
        monitor_interval_s: float | None = 0.25,
    ) -> None:
        self._db = db
        self._models = models
        self._logbook = logbook
        self._fleet = fleet
        self._max_queued = max_queued
        self._worker = RunWorker(db, models, logbook, monitor_interval_s)

    # -- suites --------------------------------------------------------------------------

    @staticmethod
    def suites() -> list[Suite]:
        """Every valid suite (built-in first, then the user's)."""
        return list_suites()

    # -- starting ------------------------------------------------------------------------

    def start_run(
        self,
        model_ids: Sequence[str],
        suite_name: str,
        config: RunConfig | Mapping[str, Any] | None = None,
        *,
        selected_scenarios: Sequence[str] | None = None,
        sweep_id: str | None = None,
    ) -> str:
        """Validate and queue a run (a point of `sweep_id` when given); returns its id.

        `selected_scenarios` is the original web client's name for `config.scenarios` (give
        one, or both the same). Unknown models or suite raise `NotFoundError`; other bad input
        `InvalidInputError` naming the field.
        """
        if self._worker.closing:
            raise UnavailableError("the server is shutting down")
        run_config = _with_selection(parse_config(config), selected_scenarios)
        ids = list(model_ids)
        if not ids:
            raise InvalidInputError("modelIds", "give at least one model id")
        if len(ids) > MAX_MODELS_PER_RUN:
            raise InvalidInputError("modelIds", f"at most {MAX_MODELS_PER_RUN} models per run")
        if len(set(ids)) != len(ids):
            raise InvalidInputError("modelIds", "a model id appears twice")
        aliases = self.model_aliases(ids)
        try:
            suite = get_suite(suite_name)
        except WorkloadError as exc:
            raise NotFoundError(f"suiteName: {exc}") from None
        try:
            suite = suite.select(run_config.scenarios)
        except WorkloadError as exc:
            field = "selectedScenarios" if selected_scenarios else "config.scenarios"
            raise InvalidInputError(field, str(exc)) from None
        per_model = planned_requests(suite, run_config)
        if per_model * len(ids) > MAX_REQUESTS_PER_RUN:
            raise InvalidInputError(
                "config",
                f"this run would send {per_model * len(ids):,} requests; the limit is "
                f"{MAX_REQUESTS_PER_RUN:,} (lower iterations, trials or the models)",
            )
        suite_json = suite.content_dict()
        now = time.time()
        run_id = new_id("run")
        with self._db.write() as session:
            queued = count_queued(session, self._fleet.id)
            if queued >= self._max_queued:
                raise BusyError(f"{queued} runs are already queued; wait for them or cancel some")
            session.add(
                RunRow(
                    id=run_id,
                    suite_name=suite.name,
                    suite=suite_json,
                    scenarios=[s.name for s in suite.scenarios],
                    model_ids=ids,
                    model_aliases=aliases,
                    config=run_config.model_dump(mode="json"),
                    hardware_info=None,
                    workload_hash=workload_hash(suite_json, run_config),
                    status=RunState.QUEUED,
                    requests_total=per_model * len(ids),
                    requests_done=0,
                    sweep_id=sweep_id,
                    server_id=self._fleet.id,
                    machine=self._fleet.machine,
                    created_at=now,
                )
            )
            add_log(
                session,
                "run",
                run_id,
                "info",
                f"Run queued: suite {suite.name}, models {', '.join(aliases.values())}",
                None,
                now,
            )
        self._worker.submit(run_id)
        return run_id

    def model_aliases(self, ids: Sequence[str]) -> dict[str, str]:
        """The alias of each model id (raises `NotFoundError` naming an unknown one)."""
        aliases = {}
        with self._db.read() as session:
            for i, model_id in enumerate(ids):
                row = get_model(session, model_id)
                if row is None:
                    raise NotFoundError(f"modelIds[{i}]: no model with id {model_id!r}")
                aliases[model_id] = row.alias
        return aliases

    def import_document(self, document: RunDocument) -> str:
        """Store a finished run measured elsewhere (`flperf bench --report-to`); its id."""
        return import_run(self._db, document)

    # -- reading -------------------------------------------------------------------------

    def _view(self, row: RunRow, live: WorkerHandle | None = None) -> RunView:
        live = live or self._worker.live(row.id)
        if live is None:
            return RunView.of(row)
        detail, _, _ = live.snapshot()
        return RunView.of(row, detail, RunState.RUNNING)

    def _row(self, run_id: str) -> RunRow:
        with self._db.read() as session:
            row = get_run(session, run_id)
        if row is None:
            raise NotFoundError(f"run {run_id!r} not found")
        return row

    def list_runs(self, limit: int = 100, offset: int = 0, machine: str | None = None) -> RunPage:
        """Runs newest first (of one machine, when given)."""
        with self._db.read() as session:
            rows, total = list_runs(session, limit, offset, machine)
        return RunPage([self._view(r) for r in rows], total)

    def machines(self) -> builtins.list[tuple[str, int]]:
        """The machines runs were measured on (fleet mode), with their number of runs."""
        with self._db.read() as session:
            return machines(session)

    def get_run(self, run_id: str) -> RunView:
        return self._view(self._row(run_id))

    def detail(self, run_id: str) -> RunDetail:
        """The run, its per-scenario results and its per-model summaries."""
        live = self._worker.live(run_id)
        with self._db.read() as session:
            row = get_run(session, run_id)
            if row is None:
                raise NotFoundError(f"run {run_id!r} not found")
            results = run_results(session, run_id)
        views = [ResultView.of(r) for r in results]
        run = self._view(row, live)
        summary = [v for v in views if v.scenario == SUMMARY_SCENARIO]
        return RunDetail(
            run=run,
            results=[v for v in views if v.scenario != SUMMARY_SCENARIO],
            summary=summary,
            lifecycle=lifecycle_rows(run.model_ids, run.model_aliases, run.lifecycle, summary),
        )

    def status(self, run_id: str) -> RunStatusView:
        """Status, progress, what is measured now and the ETA."""
        live = self._worker.live(run_id)
        view = self._view(self._row(run_id), live)
        if live is not None:
            detail, current, eta = live.snapshot()
            now = None
            if current is not None:
                now = CurrentView(
                    model_id=current.model_id,
                    model_alias=view.alias(current.model_id) if current.model_id else None,
                    scenario=current.scenario,
                )
            return RunStatusView(
                id=run_id,
                status=RunState.RUNNING,
                progress=detail.percent,
                progress_detail=detail,
                current=now,
                eta_s=eta,
                started_at=view.started_at,
                completed_at=None,
                error=None,
                worker_pid=live.pid,
            )
        return RunStatusView(
            id=run_id,
            status=view.status,
            progress=view.progress,
            progress_detail=view.progress_detail,
            current=None,
            eta_s=0.0 if view.status.finished else None,
            started_at=view.started_at,
            completed_at=view.completed_at,
            error=view.error,
        )

    def results(
        self,
        run_id: str | None = None,
        model_id: str | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> ResultPage:
        """Per-scenario results, newest run first, optionally of one run and/or one model."""
        with self._db.read() as session:
            rows, total = list_results(session, run_id, model_id, limit, offset)
        return ResultPage([ResultView.of(r) for r in rows], total)

    def all_results(self, run_id: str) -> builtins.list[ResultView]:
        """Every result of a run: scenarios, then the `*` summaries, in stored order."""
        self._row(run_id)
        with self._db.read() as session:
            return [ResultView.of(r) for r in run_results(session, run_id)]

    def requests(
        self,
        run_id: str,
        *,
        model: str | None = None,
        scenario: str | None = None,
        status: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> RequestPage:
        """One page of the run's per-request records (index order)."""
        self._row(run_id)
        with self._db.read() as session:
            records, total = page_records(
                session,
                run_id,
                model=model,
                scenario=scenario,
                status=status,
                offset=offset,
                limit=limit,
            )
        return RequestPage(records, total)

    def records(self, run_id: str) -> builtins.list[RequestRecord]:
        """Every record of the run."""
        self._row(run_id)
        with self._db.read() as session:
            return load_records(session, run_id)

    def samples(self, run_id: str) -> builtins.list[SampleView]:
        """Resource samples of the run, on the run's time axis."""
        self._row(run_id)
        with self._db.read() as session:
            return [SampleView.of(r) for r in list_samples(session, run_id)]

    def document(self, run_id: str) -> RunDocument:
        """The whole run (results with the `*` rows, every record, the samples) as one document,
        the input of every export."""
        with self._db.read() as session:
            row = get_run_with_suite(session, run_id)  # the suite's version too
            if row is None:
                raise NotFoundError(f"run {run_id!r} not found")
            view = self._view(row)
            results = [ResultView.of(r).entry() for r in run_results(session, run_id)]
            records = load_records(session, run_id)
            samples = [SampleView.of(r) for r in list_samples(session, run_id)]
        return RunDocument(run=view, results=results, requests=records, samples=list(samples))

    def logs(self, run_id: str, limit: int = 100) -> builtins.list[LogView]:
        """The newest `limit` log records of the run, newest first."""
        self._row(run_id)
        with self._db.read() as session:
            return [LogView.of(r) for r in list_logs(session, "run", run_id, limit)]

    # -- changing ------------------------------------------------------------------------

    def cancel(self, run_id: str) -> RunStatusView:
        """Cancel a queued run at once, or stop a running one (what was measured is kept)."""
        self._row(run_id)
        for _ in range(3):  # the worker may take the run between two looks
            active = self._worker.active(run_id)
            if active is not None:
                active.cancel()
                self._logbook.run(run_id, "info", "Cancel requested")
                return self.status(run_id)
            if self._cancel_queued(run_id, "Cancelled before it started"):
                return self.status(run_id)
            current = self._row(run_id)
            if RunState(current.status).finished:
                raise ConflictError(f"run {run_id} already ended ({current.status})")
        raise ConflictError(f"run {run_id} is not run by this server; it cannot be cancelled")

    def _cancel_queued(self, run_id: str, message: str) -> bool:
        with self._db.write() as session:
            changed = change_status(
                session, run_id, RunState.QUEUED, RunState.CANCELLED, completed_at=time.time()
            )
            if changed:
                add_log(session, "run", run_id, "info", message)
        return changed

    def delete(self, run_id: str) -> None:
        """Delete a run with everything it measured (not while it is running)."""
        row = self._row(run_id)
        if row.status == RunState.QUEUED:
            self._cancel_queued(run_id, "Cancelled: deleted")
        if self._worker.active(run_id) is not None:
            raise ConflictError(f"run {run_id} is running; cancel it first")
        with self._db.write() as session:
            current = get_run(session, run_id)
            if current is None:
                raise NotFoundError(f"run {run_id!r} not found")
            if current.status == RunState.RUNNING:
                raise ConflictError(f"run {run_id} is running; cancel it first")
            delete_run(session, run_id)

    # -- the worker ----------------------------------------------------------------------

    def recover_orphans(self) -> int:
        """Runs whose server is gone (its heartbeat stale, or it was this server's previous
        incarnation): `running` and `queued` ones become `interrupted`, with their results
        recomputed from the stored records. Runs of live servers are never touched. Returns
        how many were recovered."""
        with self._db.read() as session:
            orphans = orphan_runs(
                session,
                (RunState.RUNNING, RunState.QUEUED),
                self._fleet.stale_before(),
                self._fleet.id,
            )
        for row in orphans:
            if row.status == RunState.RUNNING:
                wait_for_left_worker(row.worker_pid, row.id)
            self._interrupt(row)
        return len(orphans)

    def _interrupt(self, row: RunRow) -> None:
        was = row.status
        error = (
            "the server stopped while this run was measured"
            if was == RunState.RUNNING
            else "the server stopped before this run started"
        )
        if row.machine and row.machine != self._fleet.machine:
            error += f" (its server on {row.machine})"
        with self._db.write() as session:
            kept = count_records(session, row.id)
            end = last_wall_end(session, row.id)
            moved = change_status(  # first: only one server recovers a run
                session,
                row.id,
                was,
                RunState.INTERRUPTED,
                requests_done=kept,
                completed_at=end or row.started_at or row.created_at,
                error=error,
            )
            if not moved:
                return
            if was == RunState.RUNNING:
                recompute_results(session, row)
            add_log(
                session,
                "run",
                row.id,
                "warning",
                f"Interrupted: {error}; {kept} request records kept",
            )

    def on_run_finished(self, hook: Callable[[str], None]) -> None:
        """Call `hook(run_id)` on the run queue's thread each time it is done with a run."""
        self._worker.on_finished.append(hook)

    def start_worker(self) -> None:
        """Start the thread that has queued runs measured."""
        self._worker.start()

    def close(self, timeout_s: float = 30.0) -> None:
        """Shutdown: queued runs and the running one end `cancelled` (never `interrupted`)."""
        self._worker.closing = True
        with self._db.read() as session:
            queued = [
                r.id
                for r in runs_with_status(session, (RunState.QUEUED,))
                if r.server_id == self._fleet.id
            ]
        for run_id in queued:
            self._cancel_queued(run_id, "Cancelled: the server shut down before it started")
        self._worker.close(timeout_s)
