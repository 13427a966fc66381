"""The database schema: one ORM class per table (models, runs, results, requests, samples, logs,
sweeps).

Timestamps are Unix seconds (floats). A result keeps its spec columns (what lists and stats
query) plus the full `ResultMetrics` JSON in `metrics`, so new metric fields need no migration.
Every request record of a run is a row of `requests` with the record's own field names.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements an INTEGER PRIMARY KEY (the rowid); elsewhere ids are 64-bit.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


_PUBLIC_ID = re.compile(r"[a-z]+_[0-9a-f]{16}")


def new_id(prefix: str) -> str:
    """A fresh public id such as `run_3f9a0c1b2d4e5f60`."""
    return f"{prefix}_{secrets.token_hex(8)}"


def is_public_id(value: str, prefix: str) -> bool:
    """True when `value` has the shape of an id made by `new_id(prefix)` (cheap pre-check)."""
    return value.startswith(prefix + "_") and _PUBLIC_ID.fullmatch(value) is not None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON(), list[Any]: JSON()}


class ModelRow(Base):
    """A configured model. Deleting one sets `deleted_at`; its results keep pointing at it."""

    __tablename__ = "models"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    alias: Mapped[str] = mapped_column(String(200))
    model_id: Mapped[str] = mapped_column(String(300))
    provider: Mapped[str] = mapped_column(String(20))
    endpoint: Mapped[str | None] = mapped_column(String(2000))
    port: Mapped[int | None] = mapped_column(Integer)
    pid: Mapped[int | None] = mapped_column(Integer)  # the user's server, for attribution
    host_pid: Mapped[int | None] = mapped_column(Integer)  # the host process we started
    server_id: Mapped[str | None] = mapped_column(String(40))  # the server serving it now
    status: Mapped[str] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_heartbeat: Mapped[float | None] = mapped_column(Float)
    # the latest `ModelLifecycle` facts: last load, memory after it, last unload, download
    lifecycle: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    deleted_at: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index(None, "deleted_at", "created_at"),)


class RunRow(Base):
    """A benchmark run: what was asked (suite snapshot, config) and how it went."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    suite_name: Mapped[str] = mapped_column(String(100))
    suite: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)  # as run (prompts too)
    scenarios: Mapped[list[Any]] = mapped_column(JSON, server_default=text("'[]'"))  # names
    model_ids: Mapped[list[Any]] = mapped_column(JSON)
    model_aliases: Mapped[dict[str, Any]] = mapped_column(JSON)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    hardware_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    workload_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    requests_total: Mapped[int] = mapped_column(Integer)
    requests_done: Mapped[int] = mapped_column(Integer, default=0)
    worker_pid: Mapped[int | None] = mapped_column(Integer)  # the process measuring it
    server_id: Mapped[str | None] = mapped_column(String(40))  # the server that owns it
    machine: Mapped[str | None] = mapped_column(String(200))  # where it was measured
    endpoint: Mapped[str | None] = mapped_column(String(2000))  # of a run reported by the CLI
    duration_s: Mapped[float | None] = mapped_column(Float)  # measured length, exact
    sweep_id: Mapped[str | None] = mapped_column(String(40))  # the sweep it is a point of
    # model id -> the `ModelLifecycle` of that model in this run
    lifecycle: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float)
    completed_at: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        Index(None, "created_at"),
        Index(None, "status", "created_at"),
        Index(None, "sweep_id", "created_at"),
        Index(None, "status", "server_id"),
        Index(None, "machine", "created_at"),
    )


class SweepRow(Base):
    """A sweep: a model measured at increasing load, each point a run (`runs.sweep_id`).

    What the points found is computed from their runs' results when read, never stored.
    """

    __tablename__ = "sweeps"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    suite_name: Mapped[str] = mapped_column(String(100))
    model_ids: Mapped[list[Any]] = mapped_column(JSON)
    model_aliases: Mapped[dict[str, Any]] = mapped_column(JSON)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)  # the base RunConfig
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)  # the SweepSettings
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    stop_reasons: Mapped[dict[str, Any]] = mapped_column(JSON)  # model id -> why it stopped
    current_run_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float)
    completed_at: Mapped[float | None] = mapped_column(Float)
    server_id: Mapped[str | None] = mapped_column(String(40))  # the server driving it

    __table_args__ = (Index(None, "created_at"),)


class ServerRow(Base):
    """A `flperf serve` process using this database: who it is and when it was last alive.

    Servers on several machines may share one PostgreSQL database (fleet mode). Each owns the
    runs it queued; a run is interrupted only when its own server's heartbeat goes stale.
    `identity` (machine name + data folder) lets a restarted server take over its previous
    incarnation's runs at once instead of waiting for the heartbeat to age.
    """

    __tablename__ = "servers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    machine: Mapped[str] = mapped_column(String(200))
    identity: Mapped[str] = mapped_column(String(64))
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    url: Mapped[str | None] = mapped_column(String(300))
    fingerprint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[float] = mapped_column(Float)
    heartbeat_at: Mapped[float] = mapped_column(Float)
    stopped_at: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index(None, "identity"),)


class ResultRow(Base):
    """Aggregates of one (model, scenario) of a run, or of a whole model when scenario is `*`."""

    __tablename__ = "results"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[str] = mapped_column(String(300))
    model_alias: Mapped[str | None] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(String(200))
    tps: Mapped[float | None] = mapped_column(Float)
    ttft: Mapped[float | None] = mapped_column(Float)
    latency_p50: Mapped[float | None] = mapped_column(Float)
    latency_p95: Mapped[float | None] = mapped_column(Float)
    latency_p99: Mapped[float | None] = mapped_column(Float)
    error_rate: Mapped[float] = mapped_column(Float)
    timeout_rate: Mapped[float] = mapped_column(Float)
    cpu_avg: Mapped[float | None] = mapped_column(Float)
    ram_avg: Mapped[float | None] = mapped_column(Float)
    gpu_avg: Mapped[float | None] = mapped_column(Float)
    successful: Mapped[int] = mapped_column(Integer)  # successful measured requests
    error: Mapped[str | None] = mapped_column(Text)  # why a scenario could not run at all
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        Index(None, "run_id", "position"),
        Index(None, "model_id"),
        Index(None, "tps"),  # best throughput: walk down this index to the first honest row
        Index(None, "latency_p95"),
    )


class RequestRow(Base):
    """One `RequestRecord` of a run; columns carry the record's field names."""

    __tablename__ = "requests"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(300))
    scenario: Mapped[str] = mapped_column(String(200))
    iteration: Mapped[int] = mapped_column(Integer)
    warmup: Mapped[bool] = mapped_column(Boolean)
    trial: Mapped[int] = mapped_column(Integer)
    scheduled_ms: Mapped[float] = mapped_column(Float)
    start_ms: Mapped[float] = mapped_column(Float)
    end_ms: Mapped[float] = mapped_column(Float)
    wall_start: Mapped[float] = mapped_column(Float)
    dispatch_delay_ms: Mapped[float] = mapped_column(Float)
    ttft_ms: Mapped[float | None] = mapped_column(Float)
    e2e_ms: Mapped[float | None] = mapped_column(Float)
    itl_ms: Mapped[float | None] = mapped_column(Float)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    token_source: Mapped[str | None] = mapped_column(String(20))
    chunk_count: Mapped[int] = mapped_column(Integer)
    tokens_disagree: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    error_kind: Mapped[str | None] = mapped_column(String(40))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)
    response_id: Mapped[str | None] = mapped_column(String(200))
    finish_reason: Mapped[str | None] = mapped_column(String(40))
    max_tokens: Mapped[int] = mapped_column(Integer)
    quality_pass: Mapped[bool | None] = mapped_column(Boolean)
    streamed: Mapped[bool] = mapped_column(Boolean)


class SampleRow(Base):
    """One resource sample taken while a model was benchmarked.

    `t_ms` is on the run's time axis (the same as the requests' `start_ms`).
    """

    __tablename__ = "samples"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    model_id: Mapped[str] = mapped_column(String(300))
    t_ms: Mapped[float] = mapped_column(Float)
    wall_time: Mapped[float] = mapped_column(Float)
    cpu_percent: Mapped[float | None] = mapped_column(Float)
    ram_percent: Mapped[float | None] = mapped_column(Float)
    proc_cpu_percent: Mapped[float | None] = mapped_column(Float)
    proc_rss_mb: Mapped[float | None] = mapped_column(Float)
    proc_count: Mapped[int | None] = mapped_column(Integer)
    gpu_util_percent: Mapped[float | None] = mapped_column(Float)
    gpu_mem_used_mb: Mapped[float | None] = mapped_column(Float)
    gpu_power_w: Mapped[float | None] = mapped_column(Float)
    cpu_energy_j: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index(None, "run_id", "id"),)


class LogRow(Base):
    """A log line about a model's service (`service`), a run (`run`) or the server (`system`)."""

    __tablename__ = "logs"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    created_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index(None, "entity_type", "entity_id", "id"),)


SAMPLE_FIELDS = (
    "cpu_percent",
    "ram_percent",
    "proc_cpu_percent",
    "proc_rss_mb",
    "proc_count",
    "gpu_util_percent",
    "gpu_mem_used_mb",
    "gpu_power_w",
    "cpu_energy_j",
)
"""Fields of `flperf.bench.monitor.ResourceSample` kept in `samples` under the same names."""
