"""The origin school's reason for returning a transfer request, shown to the school that
asked (until now it was only in the audit log).

Revision ID: 8d2e4b6f1a37
Revises: 3c1f7a9d2e45
Create Date: 2026-12-01 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8d2e4b6f1a37"
down_revision = "3c1f7a9d2e45"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_column("decision_reason")
