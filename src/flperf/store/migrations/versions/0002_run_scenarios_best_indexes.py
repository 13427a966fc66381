"""Scenario names of a run in their own column; indexes for the best-result queries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "runs", sa.Column("scenarios", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
    )
    runs = sa.table("runs", sa.column("id", sa.String), sa.column("suite", sa.JSON),
                    sa.column("scenarios", sa.JSON))  # fmt: skip
    connection = op.get_bind()
    for run_id, suite in connection.execute(sa.select(runs.c.id, runs.c.suite)).all():
        data: Any = json.loads(suite) if isinstance(suite, str) else suite
        names = [s.get("name") for s in (data or {}).get("scenarios", [])]
        connection.execute(runs.update().where(runs.c.id == run_id).values(scenarios=names))
    op.create_index(op.f("ix_results_tps"), "results", ["tps"])
    op.create_index(op.f("ix_results_latency_p95"), "results", ["latency_p95"])


def downgrade() -> None:
    op.drop_index(op.f("ix_results_latency_p95"), "results")
    op.drop_index(op.f("ix_results_tps"), "results")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("scenarios")
