"""The process measuring a run (`worker_pid`); workload hashes recomputed over every setting.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("worker_pid", sa.Integer(), nullable=True))
    # The hash now covers every workload setting (the load's kind and in-flight cap, trials):
    # recompute it, so runs measured before and after this version compare correctly.
    from pydantic import ValidationError

    from flperf.bench.run_config import RunConfig, workload_hash

    runs = sa.table(
        "runs",
        sa.column("id", sa.String),
        sa.column("suite", sa.JSON),
        sa.column("config", sa.JSON),
        sa.column("workload_hash", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(runs.c.id, runs.c.suite, runs.c.config)).all()
    for run_id, suite, config in rows:
        suite_data: Any = json.loads(suite) if isinstance(suite, str) else suite
        config_data: Any = json.loads(config) if isinstance(config, str) else config
        try:
            digest = workload_hash(suite_data or {}, RunConfig.model_validate(config_data or {}))
        except (ValidationError, ValueError, TypeError):
            continue  # a config this version cannot read keeps its old hash
        connection.execute(runs.update().where(runs.c.id == run_id).values(workload_hash=digest))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("worker_pid")
