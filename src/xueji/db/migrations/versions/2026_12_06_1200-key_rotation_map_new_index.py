"""The sweep after a key rotation's switch looks the old→new map up by its new values:
an index on them, so that it reads only the rows written around the switch.

Revision ID: 5c1d8e3f7a92
Revises: 4a9c2e7d1b58
Create Date: 2026-12-06 12:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "5c1d8e3f7a92"
down_revision = "4a9c2e7d1b58"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_key_rotation_map_new", "key_rotation_map", ["purpose", "new"])


def downgrade() -> None:
    op.drop_index("ix_key_rotation_map_new", table_name="key_rotation_map")
