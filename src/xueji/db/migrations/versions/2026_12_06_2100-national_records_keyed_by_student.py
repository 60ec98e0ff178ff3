"""A national record is keyed by its student: ``national_records.student_id`` becomes the
primary key, and the surrogate ``id`` and the unique index beside it go. A student has
one record; the second index cost every imported row its own entry (on PostgreSQL about
a fifth of writing the records).

The rows are moved through a plain table, so that the new one is created with the
conventional names of its constraints on both databases. A key rotation stopped half-way
through these records had saved how far it got as an ``id``: it walks them again from the
start (records already under the new key are passed over, ``ops.key_columns.moved``).

Revision ID: 9e4a7c2f5b13
Revises: 8b3f1c6d2e47
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9e4a7c2f5b13"
down_revision = "8b3f1c6d2e47"
branch_labels = None
depends_on = None

MOVE = "national_records_move"
COLUMNS = "student_id, record, sensitive, updated_at"
FORGET_PROGRESS = "DELETE FROM key_rotation_progress WHERE name LIKE 'national_records.%'"


def _record_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("sensitive", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _foreign_key() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["student_id"],
        ["students.id"],
        name=op.f("fk_national_records_student_id_students"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.execute(f"CREATE TABLE {MOVE} AS SELECT {COLUMNS} FROM national_records")
    op.drop_table("national_records")
    op.create_table(
        "national_records",
        sa.Column("student_id", sa.Integer(), autoincrement=False, nullable=False),
        *_record_columns(),
        _foreign_key(),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_national_records")),
    )
    op.execute(f"INSERT INTO national_records ({COLUMNS}) SELECT {COLUMNS} FROM {MOVE}")
    op.drop_table(MOVE)
    op.execute(FORGET_PROGRESS)


def downgrade() -> None:
    op.execute(f"CREATE TABLE {MOVE} AS SELECT {COLUMNS} FROM national_records")
    op.drop_table("national_records")
    op.create_table(
        "national_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        *_record_columns(),
        _foreign_key(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_records")),
        sa.UniqueConstraint("student_id", name=op.f("uq_national_records_student_id")),
    )
    op.execute(
        f"INSERT INTO national_records (id, {COLUMNS}) SELECT student_id, {COLUMNS} FROM {MOVE}"
    )
    op.drop_table(MOVE)
    op.execute(FORGET_PROGRESS)
