"""The national record of a student (学生基本信息表 beyond the match's fields), the
sequence of J numbers per area code and birth date, and the numbers students gave up
for a resident ID.

Revision ID: 8b3f1c6d2e47
Revises: 5c1d8e3f7a92
Create Date: 2026-12-06 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8b3f1c6d2e47"
down_revision = "5c1d8e3f7a92"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "national_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("sensitive", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_national_records_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_records")),
        sa.UniqueConstraint("student_id", name=op.f("uq_national_records_student_id")),
    )
    op.create_table(
        "j_sequences",
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region_code", "birth_date", name=op.f("pk_j_sequences")),
    )

    op.create_table(
        "registry_no_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("old_registry_no", sa.LargeBinary(), nullable=False),
        sa.Column("old_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_registry_no_changes_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_no_changes")),
        sa.UniqueConstraint("old_index", name=op.f("uq_registry_no_changes_old_index")),
    )


def downgrade() -> None:
    op.drop_table("registry_no_changes")
    op.drop_table("j_sequences")
    op.drop_table("national_records")
