"""The school year: a class that graduated keeps its students' history under a name of
its year (``graduated_in``), and ``promotions`` records each school's 学年升级 once per
school year; a transfer request keeps the name the asking school typed, so that its
own list says which child each request is about.

Revision ID: 4a9c2e7d1b58
Revises: 7d2e4b9a1c36
Create Date: 2026-12-06 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "4a9c2e7d1b58"
down_revision = "7d2e4b9a1c36"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("classes") as batch:
        batch.add_column(sa.Column("graduated_in", sa.Integer(), nullable=True))
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("requested_name", sa.String(length=100), nullable=True))
    op.create_table(
        "promotions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("promoted", sa.Integer(), nullable=False),
        sa.Column("graduated", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_code"], ["schools.code"], name=op.f("fk_promotions_school_code_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions")),
        sa.UniqueConstraint("school_code", "school_year", name=op.f("uq_promotions_school_code")),
    )


def downgrade() -> None:
    op.drop_table("promotions")
    with op.batch_alter_table("transfers") as batch:
        batch.drop_column("requested_name")
    with op.batch_alter_table("classes") as batch:
        batch.drop_column("graduated_in")
