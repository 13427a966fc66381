"""Sweeps: a table of them, and the sweep each run is a point of.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("suite_name", sa.String(length=100), nullable=False),
        sa.Column("model_ids", sa.JSON(), nullable=False),
        sa.Column("model_aliases", sa.JSON(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("stop_reasons", sa.JSON(), nullable=False),
        sa.Column("current_run_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("completed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sweeps")),
    )
    op.create_index(op.f("ix_sweeps_created_at"), "sweeps", ["created_at"])
    # A plain column, no foreign key: adding one would make SQLite rebuild `runs`, whose drop
    # cascades to every result and request. Deleting a sweep clears it in code.
    op.add_column("runs", sa.Column("sweep_id", sa.String(length=40), nullable=True))
    op.create_index(op.f("ix_runs_sweep_id_created_at"), "runs", ["sweep_id", "created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_runs_sweep_id_created_at"), "runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("sweep_id")
    op.drop_index(op.f("ix_sweeps_created_at"), "sweeps")
    op.drop_table("sweeps")
