"""A run's context as text: its configuration, the machine it ran on, each model's lifecycle
(load, memory, unload, cold and warm TTFT), and what failed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flperf.bench.fingerprint import Fingerprint
from flperf.bench.lifecycle import LifecycleRow, ModelLifecycle
from flperf.bench.metric_catalog import trial_label
from flperf.bench.records import error_key
from flperf.bench.run_config import ClosedLoad, PoissonRateLoad, RateLoad, RunConfig
from flperf.report.document import RunReport
from flperf.report.figures import MISSING, number


def _config_value(key: str, value: Any) -> str:
    if value is None:
        return {"max_tokens": "per scenario", "max_concurrency": "no cap", "scenarios": "all"}.get(
            key, MISSING
        )
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "timeout" and isinstance(value, int | float):
        return f"{value / 1000:g} s"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, int | float):
        return f"{value:g}"
    return str(value)


def _load_text(load: ClosedLoad | RateLoad) -> str:
    if isinstance(load, ClosedLoad):
        return f"closed loop, concurrency {load.concurrency}"
    text = f"{load.kind} rate {_config_value('rate', load.rate)} req/s"
    if isinstance(load, PoissonRateLoad):
        text += f" (seed {load.seed})"
    if load.max_concurrency:
        text += f", at most {load.max_concurrency} in flight"
    return text


def config_rows(config: RunConfig) -> list[tuple[str, str, str]]:
    """(setting, value, what it means) for every setting, in `RunConfig`'s order."""
    rows = []
    for key, info in RunConfig.model_fields.items():
        value = getattr(config, key)
        shown = _load_text(value) if key == "load" else _config_value(key, value)
        rows.append((key, shown, info.description or ""))
    return rows


def config_line(config: RunConfig) -> str:
    """The settings that shape the load, on one line."""
    parts = [
        f"iterations {_config_value('iterations', config.iterations)}",
        f"warm-up {_config_value('warmup', config.warmup)}",
        _load_text(config.load),
        f"max_tokens {_config_value('max_tokens', config.max_tokens)}",
        f"temperature {_config_value('temperature', config.temperature)}",
        "streaming" if config.streaming else "not streamed",
        f"timeout {_config_value('timeout', config.timeout)}",
    ]
    if config.trials != 1:
        parts.append(f"trials {config.trials}")
    if config.slos:
        parts.append("SLOs " + ", ".join(config.slos))
    return " · ".join(parts)


def _gpus(fingerprint: Fingerprint) -> str:
    if not fingerprint.gpus:
        return "no GPU"
    names = [
        g.name + (f" ({number(g.memory_total_mb / 1024)} GiB)" if g.memory_total_mb else "")
        for g in fingerprint.gpus
    ]
    driver = fingerprint.gpus[0].driver_version
    return ", ".join(names) + (f", driver {driver}" if driver else "")


def _cpu(fingerprint: Fingerprint) -> str:
    cores = []
    if fingerprint.cpu_cores_physical:
        cores.append(f"{fingerprint.cpu_cores_physical} cores")
    if fingerprint.cpu_cores_logical:
        cores.append(f"{fingerprint.cpu_cores_logical} threads")
    name = fingerprint.cpu_model or "unknown CPU"
    return f"{name} ({', '.join(cores)})" if cores else name


def _os(fingerprint: Fingerprint) -> str:
    name = " ".join(p for p in (fingerprint.os_name, fingerprint.os_release) if p) or MISSING
    return f"{name} ({fingerprint.machine})" if fingerprint.machine else name


def fingerprint_rows(report: RunReport) -> list[tuple[str, str]]:
    """(fact, value) pairs describing the machine and software the run was measured on."""
    fingerprint = report.fingerprint
    if fingerprint is None:
        return []
    rows = [
        ("CPU", _cpu(fingerprint)),
        ("RAM", f"{number(fingerprint.ram_total_gb)} GiB" if fingerprint.ram_total_gb else MISSING),
        ("GPU", _gpus(fingerprint)),
        ("OS", _os(fingerprint)),
        ("Python", fingerprint.python_version or MISSING),
        ("Device", fingerprint.device or MISSING),
        ("Execution provider", fingerprint.execution_provider or MISSING),
        ("Model variant", fingerprint.model_variant_id or MISSING),
        (
            "Model files",
            f"{number(fingerprint.model_file_size_mb)} MiB"
            if fingerprint.model_file_size_mb is not None
            else MISSING,
        ),
    ]
    rows += [(name, version or "not installed") for name, version in fingerprint.packages.items()]
    rows += [(str(k), str(v)) for k, v in fingerprint.extra.items()]
    return rows


def fingerprint_line(report: RunReport) -> str:
    """The machine in one line: CPU, RAM, GPU, OS, Python and the runtime versions installed."""
    fingerprint = report.fingerprint
    if fingerprint is None:
        return MISSING
    parts = [_cpu(fingerprint)]
    if fingerprint.ram_total_gb:
        parts.append(f"{number(fingerprint.ram_total_gb)} GiB RAM")
    parts.append(_gpus(fingerprint))
    parts.append(_os(fingerprint))
    parts.append(f"Python {fingerprint.python_version or MISSING}")
    parts += [f"{name} {v}" for name, v in fingerprint.packages.items() if v]
    if fingerprint.device:
        parts.append(fingerprint.device)
    if fingerprint.execution_provider:
        parts.append(f"EP {fingerprint.execution_provider}")
    return " · ".join(parts)


@dataclass(frozen=True)
class FailureRow:
    """Failures of one kind on one (model, scenario), with the first error message seen."""

    model_id: str
    scenario: str
    kind: str
    count: int
    example: str | None


def failure_rows(report: RunReport) -> list[FailureRow]:
    """Every failure kind of every (model, scenario); counts from the results' breakdown."""
    examples: dict[tuple[str, str, str], str] = {}
    for record in report.failed_records():
        key = error_key(record)
        if key is not None and record.error_message:
            examples.setdefault((record.model, record.scenario, key), record.error_message)
    rows = []
    for result in report.scenario_results:
        for kind, count in sorted(result.errors_by_kind.items(), key=lambda kv: -kv[1]):
            example = examples.get((result.model_id, result.scenario, kind))
            rows.append(FailureRow(result.model_id, result.scenario, kind, count, example))
    return rows


@dataclass(frozen=True)
class SloRow:
    """One SLO of one model, judged over all its scenarios."""

    model_id: str
    objective: str
    observed_ms: float | None
    met: bool | None

    @property
    def verdict(self) -> str:
        """`met`, `missed`, or `no data` when no request had the metric."""
        return {True: "met", False: "missed", None: "no data"}[self.met]


def slo_rows(report: RunReport) -> list[SloRow]:
    """The run's SLOs per model, from each model's all-scenarios result."""
    rows = []
    for model in report.models:
        total = report.model_total(model)
        for slo in (total.slo_results or []) if total is not None else []:
            rows.append(SloRow(model, str(slo.slo), slo.observed_ms, slo.met))
    return rows


def trial_lines(report: RunReport, model_id: str) -> list[str]:
    """Spread across trials of a model's headline figures: `label: mean ± stdev [CI]`."""
    total = report.model_total(model_id)
    if total is None or not total.trial_stats:
        return []
    lines = []
    for key, stats in total.trial_stats.items():
        ci = f"95 % CI [{number(stats.ci95_low)}, {number(stats.ci95_high)}]"
        spread = f"{number(stats.mean)} ± {number(stats.stdev)}"
        lines.append(f"{trial_label(key)}: {spread}, {ci} (n={stats.n})")
    return lines


@dataclass(frozen=True)
class LifecycleColumn:
    """A column of the lifecycle table: the `LifecycleRow` field, its heading, unit, meaning,
    and the group whose reason explains a missing value."""

    field: str
    label: str
    unit: str
    group: str

    @property
    def description(self) -> str:
        info = LifecycleRow.model_fields[self.field]
        fallback = ModelLifecycle.model_fields.get(self.field)
        return info.description or (fallback.description if fallback else None) or ""


LIFECYCLE_COLUMNS: tuple[LifecycleColumn, ...] = (
    LifecycleColumn("started_for_run", "Started for the run", "", "started"),
    LifecycleColumn("load_ms", "Load", "ms", "load"),
    LifecycleColumn("memory_after_load_mb", "Memory after load", "MiB", "memory"),
    LifecycleColumn("unload_ms", "Unload", "ms", "unload"),
    LifecycleColumn("first_ttft_ms", "First TTFT", "ms", "first"),
    LifecycleColumn("cold_start", "Cold start", "", "cold"),
    LifecycleColumn("warm_ttft_ms", "Warm TTFT", "ms", "warm"),
)
"""What the reports show of each model's lifecycle in a run, in order."""

NOT_AVAILABLE = "n/a"
"""Written where a server does not tell a lifecycle fact (the notes say why)."""


@dataclass(frozen=True)
class LifecycleLine:
    """One model's lifecycle as text: a cell per `LIFECYCLE_COLUMNS`, and why facts are n/a."""

    model_id: str
    cells: list[str]
    notes: list[str]


def lifecycle_lines(report: RunReport) -> list[LifecycleLine]:
    """Each model's lifecycle in the run (none when no model has any lifecycle fact, as in
    documents of versions before lifecycle facts)."""
    rows = [
        r for r in report.document.lifecycle_rows() if r.source or r.started_for_run is not None
    ]
    lines = []
    for row in rows:
        cells = []
        for column in LIFECYCLE_COLUMNS:
            value = getattr(row, column.field)
            if value is None and column.group in row.unavailable:
                cells.append(NOT_AVAILABLE)
            else:
                cells.append(number(value, column.unit))
        notes = [f"{group}: {why}" for group, why in row.unavailable.items()]
        lines.append(LifecycleLine(row.model_id, cells, notes))
    return lines
