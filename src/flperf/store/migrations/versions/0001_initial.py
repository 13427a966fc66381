"""Initial schema: models, runs, results, requests, samples, logs.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("alias", sa.String(200), nullable=False),
        sa.Column("model_id", sa.String(300), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("endpoint", sa.String(2000), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host_pid", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_heartbeat", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("deleted_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")),
    )
    op.create_index(op.f("ix_models_deleted_at_created_at"), "models", ["deleted_at", "created_at"])

    op.create_table(
        "runs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("suite_name", sa.String(100), nullable=False),
        sa.Column("suite", sa.JSON(), nullable=False),
        sa.Column("model_ids", sa.JSON(), nullable=False),
        sa.Column("model_aliases", sa.JSON(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("hardware_info", sa.JSON(), nullable=True),
        sa.Column("workload_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requests_total", sa.Integer(), nullable=False),
        sa.Column("requests_done", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("completed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_created_at"), "runs", ["created_at"])
    op.create_index(op.f("ix_runs_status_created_at"), "runs", ["status", "created_at"])

    op.create_table(
        "results",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(40), nullable=False),
        sa.Column("model_alias", sa.String(200), nullable=True),
        sa.Column("scenario", sa.String(200), nullable=False),
        sa.Column("tps", sa.Float(), nullable=True),
        sa.Column("ttft", sa.Float(), nullable=True),
        sa.Column("latency_p50", sa.Float(), nullable=True),
        sa.Column("latency_p95", sa.Float(), nullable=True),
        sa.Column("latency_p99", sa.Float(), nullable=True),
        sa.Column("error_rate", sa.Float(), nullable=False),
        sa.Column("timeout_rate", sa.Float(), nullable=False),
        sa.Column("cpu_avg", sa.Float(), nullable=True),
        sa.Column("ram_avg", sa.Float(), nullable=True),
        sa.Column("gpu_avg", sa.Float(), nullable=True),
        sa.Column("successful", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_results_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results")),
    )
    op.create_index(op.f("ix_results_model_id"), "results", ["model_id"])
    op.create_index(op.f("ix_results_run_id_position"), "results", ["run_id", "position"])

    op.create_table(
        "requests",
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("scenario", sa.String(200), nullable=False),
        sa.Column("iteration", sa.Integer(), nullable=False),
        sa.Column("warmup", sa.Boolean(), nullable=False),
        sa.Column("trial", sa.Integer(), nullable=False),
        sa.Column("scheduled_ms", sa.Float(), nullable=False),
        sa.Column("start_ms", sa.Float(), nullable=False),
        sa.Column("end_ms", sa.Float(), nullable=False),
        sa.Column("wall_start", sa.Float(), nullable=False),
        sa.Column("dispatch_delay_ms", sa.Float(), nullable=False),
        sa.Column("ttft_ms", sa.Float(), nullable=True),
        sa.Column("e2e_ms", sa.Float(), nullable=True),
        sa.Column("itl_ms", sa.Float(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("token_source", sa.String(20), nullable=True),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("tokens_disagree", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error_kind", sa.String(40), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("response_id", sa.String(200), nullable=True),
        sa.Column("finish_reason", sa.String(40), nullable=True),
        sa.Column("max_tokens", sa.Integer(), nullable=False),
        sa.Column("quality_pass", sa.Boolean(), nullable=True),
        sa.Column("streamed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_requests_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "index", name=op.f("pk_requests")),
    )

    op.create_table(
        "samples",
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("model_id", sa.String(40), nullable=False),
        sa.Column("t_ms", sa.Float(), nullable=False),
        sa.Column("wall_time", sa.Float(), nullable=False),
        sa.Column("cpu_percent", sa.Float(), nullable=True),
        sa.Column("ram_percent", sa.Float(), nullable=True),
        sa.Column("proc_cpu_percent", sa.Float(), nullable=True),
        sa.Column("proc_rss_mb", sa.Float(), nullable=True),
        sa.Column("proc_count", sa.Integer(), nullable=True),
        sa.Column("gpu_util_percent", sa.Float(), nullable=True),
        sa.Column("gpu_mem_used_mb", sa.Float(), nullable=True),
        sa.Column("gpu_power_w", sa.Float(), nullable=True),
        sa.Column("cpu_energy_j", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_samples_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_samples")),
    )
    op.create_index(op.f("ix_samples_run_id_id"), "samples", ["run_id", "id"])

    op.create_table(
        "logs",
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("entity_type", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logs")),
    )
    op.create_index(
        op.f("ix_logs_entity_type_entity_id_id"), "logs", ["entity_type", "entity_id", "id"]
    )


def downgrade() -> None:
    for table in ("logs", "samples", "requests", "results", "runs", "models"):
        op.drop_table(table)
