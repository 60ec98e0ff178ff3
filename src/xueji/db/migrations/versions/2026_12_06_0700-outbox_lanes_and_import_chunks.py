"""Outbox lanes and import chunks: interactive changes are taken before bulk work, and an
import publishes one ``students.imported`` event per chunk of new students (ids
``student_id`` … ``last_student_id``). The view ``outbox_student_events`` keeps the
per-student feed for readers outside the service: one row per student and event, each
chunk expanded into the ``student.registered`` events it stands for.

Revision ID: 5b7d1e9c3a20
Revises: c4f2e8a1b9d6
Create Date: 2026-12-06 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b7d1e9c3a20"
down_revision = "c4f2e8a1b9d6"
branch_labels = None
depends_on = None

PENDING = sa.text("handled_at IS NULL")

PER_STUDENT_VIEW = """
CREATE VIEW outbox_student_events AS
SELECT e.id AS event_id, e.event_type, e.student_id, e.sequence, e.payload,
       e.created_at, e.handled_at
FROM outbox_events e
WHERE e.last_student_id IS NULL
UNION ALL
SELECT e.id, 'student.registered', s.id, 1, e.payload, e.created_at, e.handled_at
FROM outbox_events e
JOIN students s
  ON s.id BETWEEN e.student_id AND e.last_student_id AND s.created_at = e.created_at
WHERE e.last_student_id IS NOT NULL
"""


def upgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_student_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("lane", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.drop_index(
            "ix_outbox_events_pending", sqlite_where=PENDING, postgresql_where=PENDING
        )
        batch_op.create_index(
            "ix_outbox_events_pending",
            ["lane", "id"],
            unique=False,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
    op.execute(PER_STUDENT_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW outbox_student_events")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_events_pending", sqlite_where=PENDING, postgresql_where=PENDING
        )
        batch_op.create_index(
            "ix_outbox_events_pending",
            ["id"],
            unique=False,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
        batch_op.drop_column("lane")
        batch_op.drop_column("last_student_id")
