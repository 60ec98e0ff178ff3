"""An erasure request that lapsed (its requester could no longer ask for the child when
it fell due: a parent no longer bound, a student no longer holding the account) is told
apart from one withdrawn: ``erasure_requests.lapsed_at``. Requests that lapsed before
this revision were recorded as withdrawn; an audit entry ``rights.erasure_lapsed`` names
each of them, and the family saw them as withdrawn — they keep that label.

Revision ID: a1c5e8d3f702
Revises: 9e4a7c2f5b13
Create Date: 2026-12-07 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a1c5e8d3f702"
down_revision = "9e4a7c2f5b13"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("erasure_requests") as batch:
        batch.add_column(sa.Column("lapsed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("erasure_requests") as batch:
        batch.drop_column("lapsed_at")
