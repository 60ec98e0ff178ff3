"""Guardian consent before activation: account states awaiting_guardian and revoked,
verification and revocation stamps, the city of a waiting account's number, consents,
and the activation codes printed on info sheets. Accounts active before stay active.

Revision ID: c4f2e8a1b9d6
Revises: 8d2e4b6f1a37
Create Date: 2026-12-06 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c4f2e8a1b9d6"
down_revision = "8d2e4b6f1a37"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("student_accounts", schema=None) as batch_op:
        batch_op.alter_column(
            "status", existing_type=sa.String(length=10), type_=sa.String(length=20)
        )
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("area_prefix", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_reason", sa.String(length=200), nullable=True))
    _fill_area_prefixes()
    op.create_table(
        "guardian_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_account_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("guardian", sa.String(length=40), nullable=False),
        sa.Column("parent_account_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_account_id"],
            ["student_accounts.id"],
            name=op.f("fk_guardian_consents_student_account_id_student_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian_consents")),
    )
    with op.batch_alter_table("guardian_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guardian_consents_student_account_id"), ["student_account_id"]
        )
        batch_op.create_index(batch_op.f("ix_guardian_consents_student_id"), ["student_id"])
    op.create_table(
        "activation_codes",
        sa.Column("student_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_activation_codes_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_activation_codes")),
    )


def _fill_area_prefixes() -> None:
    """The city of each existing account's number, read with the master key that
    ``xueji db upgrade`` installs (left empty when run without it: such an account then
    reaches a school's queue only by its number)."""
    from xueji.db.crypto import keyring

    try:
        ring = keyring()
    except RuntimeError:
        return
    accounts = sa.table(
        "student_accounts",
        sa.column("id", sa.Integer),
        sa.column("registry_no", sa.LargeBinary),
        sa.column("area_prefix", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(accounts.c.id, accounts.c.registry_no)).all()
    for account_id, cipher in rows:
        number = ring.decrypt(bytes(cipher), purpose="student_account.registry_no")
        connection.execute(
            accounts.update().where(accounts.c.id == account_id).values(area_prefix=number[1:5])
        )


def downgrade() -> None:
    op.drop_table("activation_codes")
    with op.batch_alter_table("guardian_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guardian_consents_student_id"))
        batch_op.drop_index(batch_op.f("ix_guardian_consents_student_account_id"))
    op.drop_table("guardian_consents")
    with op.batch_alter_table("student_accounts", schema=None) as batch_op:
        batch_op.drop_column("revoked_reason")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("area_prefix")
        batch_op.drop_column("verified_at")
        batch_op.alter_column(
            "status", existing_type=sa.String(length=20), type_=sa.String(length=10)
        )
