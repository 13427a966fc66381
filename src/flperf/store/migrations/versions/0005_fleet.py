"""Fleet mode: the servers sharing a database (heartbeats), which server owns each run, sweep
and model service, and on which machine a run was measured.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "servers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("machine", sa.String(length=200), nullable=False),
        sa.Column("identity", sa.String(length=64), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=True),
        sa.Column("fingerprint", sa.JSON(), nullable=True),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
        sa.Column("stopped_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servers")),
    )
    op.create_index(op.f("ix_servers_identity"), "servers", ["identity"])
    # Plain columns (no foreign keys: SQLite would rebuild `runs`, whose drop cascades).
    op.add_column("runs", sa.Column("server_id", sa.String(length=40), nullable=True))
    op.add_column("runs", sa.Column("machine", sa.String(length=200), nullable=True))
    op.add_column("runs", sa.Column("endpoint", sa.String(length=2000), nullable=True))
    op.add_column("runs", sa.Column("duration_s", sa.Float(), nullable=True))
    op.create_index(op.f("ix_runs_status_server_id"), "runs", ["status", "server_id"])
    op.create_index(op.f("ix_runs_machine_created_at"), "runs", ["machine", "created_at"])
    op.add_column("sweeps", sa.Column("server_id", sa.String(length=40), nullable=True))
    op.add_column("models", sa.Column("server_id", sa.String(length=40), nullable=True))
    # Runs reported by `flperf bench --report-to` name models as given (a model of an endpoint
    # may have a long name). No table refers to these three, so SQLite's copy-and-rename of
    # them (batch mode) drops nothing else.
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in (("results", "model_id"), ("requests", "model"), ("samples", "model_id")):
        with op.batch_alter_table(table, recreate="always" if sqlite else "auto") as batch:
            batch.alter_column(column, type_=sa.String(length=300))


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_column("server_id")
    with op.batch_alter_table("sweeps") as batch:
        batch.drop_column("server_id")
    op.drop_index(op.f("ix_runs_machine_created_at"), "runs")
    op.drop_index(op.f("ix_runs_status_server_id"), "runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("duration_s")
        batch.drop_column("endpoint")
        batch.drop_column("machine")
        batch.drop_column("server_id")
    op.drop_index(op.f("ix_servers_identity"), "servers")
    op.drop_table("servers")
