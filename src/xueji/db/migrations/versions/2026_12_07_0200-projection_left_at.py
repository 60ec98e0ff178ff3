"""The day the platform learnt a student left (graduated, withdrew):
``student_projection.left_at``, from which the retention period runs. Until now it ran
from the projection's last update, which a school's new name or a resync moved on. For
students already out of school the last update is the best date there is.

Revision ID: b7d2f4a9c615
Revises: a1c5e8d3f702
Create Date: 2026-12-07 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b7d2f4a9c615"
down_revision = "a1c5e8d3f702"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("student_projection") as batch:
        batch.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE student_projection SET left_at = updated_at"
        " WHERE status IN ('graduated', 'withdrawn')"
    )


def downgrade() -> None:
    with op.batch_alter_table("student_projection") as batch:
        batch.drop_column("left_at")
