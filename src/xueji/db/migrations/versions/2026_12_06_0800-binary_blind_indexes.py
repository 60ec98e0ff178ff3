"""Binary blind indexes: every lookup index (registry numbers, phones) becomes the first
16 bytes of its HMAC, stored binary, instead of 64 hex characters. Existing values are
converted, not recomputed: the first 32 hex characters are those 16 bytes.

Irreversible: the other half of each HMAC is gone; restore the backup taken before the
upgrade to go back.

Revision ID: 9e4a6c2d8f13
Revises: 5b7d1e9c3a20
Create Date: 2026-12-06 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9e4a6c2d8f13"
down_revision = "5b7d1e9c3a20"
branch_labels = None
depends_on = None

#: (table, column, nullable)
INDEX_COLUMNS = (
    ("students", "registry_no_index", False),
    ("guardians", "phone_index", False),
    ("student_accounts", "registry_index", False),
    ("student_accounts", "active_registry_index", True),
    ("archive_entries", "registry_index", False),
    ("parent_accounts", "phone_index", False),
    ("sms_codes", "phone_index", False),
)
UNHEX = "xueji_unhex16"

#: the per-student feed reads ``students``; SQLite rebuilds a table it alters, and a view
#: on it would stop the rebuild, so the view is dropped and made again
VIEW = """
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


def _unhex16(value: str | bytes | None) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return bytes.fromhex(value[:32])


def upgrade() -> None:
    bind = op.get_bind()
    op.execute("DROP VIEW outbox_student_events")
    if bind.dialect.name == "sqlite":
        driver = bind.connection.driver_connection
        assert driver is not None
        driver.create_function(UNHEX, 1, _unhex16, deterministic=True)
        for table, column, _ in INDEX_COLUMNS:
            op.execute(f"UPDATE {table} SET {column} = {UNHEX}({column})")
    for table, column, nullable in INDEX_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=64),
                type_=sa.LargeBinary(length=16),
                existing_nullable=nullable,
                postgresql_using=f"decode(substr({column}, 1, 32), 'hex')",
            )
    op.execute(VIEW)


def downgrade() -> None:
    raise NotImplementedError(
        "盲索引已截为 16 字节二进制，无法还原为原来的 64 位十六进制；请恢复升级前的备份"
    )
