"""Index of student accounts by student, so reconciliation reads one batch of students'
accounts without scanning every account.

Revision ID: 3c1f7a9d2e45
Revises: eb73becf71e8
Create Date: 2026-11-29 20:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "3c1f7a9d2e45"
down_revision = "eb73becf71e8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("student_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_student_accounts_student_id", ["student_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("student_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_student_accounts_student_id")
