"""Key rotation: ``key_state`` names the new key while a rotation is under way and the
key before the last one; ``key_rotation_progress`` keeps, per re-encrypted column, the
key of the last row done, so that ``xueji keys rotate`` resumes where it was stopped; ``key_rotation_map`` the
old and new blind index of each value seen meanwhile.

Revision ID: 7d2e4b9a1c36
Revises: 3c8f1a7b5d24
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7d2e4b9a1c36"
down_revision = "3c8f1a7b5d24"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("key_state") as batch:
        batch.add_column(sa.Column("rotating_to", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("previous", sa.String(length=32), nullable=True))
    op.create_table(
        "key_rotation_progress",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_key_rotation_progress")),
    )
    op.create_table(
        "key_rotation_map",
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("old", sa.LargeBinary(length=16), nullable=False),
        sa.Column("new", sa.LargeBinary(length=16), nullable=False),
        sa.PrimaryKeyConstraint("purpose", "old", name=op.f("pk_key_rotation_map")),
    )


def downgrade() -> None:
    op.drop_table("key_rotation_map")
    op.drop_table("key_rotation_progress")
    with op.batch_alter_table("key_state") as batch:
        batch.drop_column("previous")
        batch.drop_column("rotating_to")
