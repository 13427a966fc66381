"""Model lifecycle facts: the latest per model, and each model's in each run.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable JSON columns: existing rows simply have no facts (shown as "not measured").
    op.add_column("models", sa.Column("lifecycle", sa.JSON(), nullable=True))
    op.add_column("runs", sa.Column("lifecycle", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("lifecycle")
    with op.batch_alter_table("models") as batch:
        batch.drop_column("lifecycle")
