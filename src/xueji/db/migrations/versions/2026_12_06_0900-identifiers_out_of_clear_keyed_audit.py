"""No identifier in clear; a keyed audit chain with anchors.

* ``accounts.sign_in_index``: every account is found at sign-in by the blind index of its
  sign-in name. Parents' usernames (their phones) are emptied. A student number that
  holds eleven or more digits in a row (a registry or ID number, a phone) becomes
  ``s`` + the account id: the student signs in with the registry number as before.
* ``auth_throttle.key``: stored as a keyed hash.
* ``audit_log.actor``: an account actor is kept as ``account:<id>``; every entry is
  re-linked with the keyed link (HMAC under the audit-chain key), and the head follows.
* ``audit_anchors``: the anchors ``xueji audit anchor`` took.
* ``import_foreign_lookups``: each school's daily count of numbers enrolled at another
  school that its imports looked up.
* ``erasure_requests``: the families' requests to erase a child's platform accounts.
* ``key_state``: the fingerprint of the master key the database is written under.

Needs the master key (``xueji db upgrade`` installs it). Irreversible: phones are gone
from ``accounts`` and the old links are replaced; restore the pre-upgrade backup to go
back.

Revision ID: 3c8f1a7b5d24
Revises: 9e4a6c2d8f13
Create Date: 2026-12-06 09:00:00.000000
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "3c8f1a7b5d24"
down_revision = "9e4a6c2d8f13"
branch_labels = None
depends_on = None

#: as ``domain.identifier_shapes`` has it today (a migration keeps its own copy: it must
#: do tomorrow what it does today)
_DIGIT_RUN = re.compile(r"[0-9]{11,}")
log = logging.getLogger("xueji.migrations")
_BATCH = 5_000

ACCOUNTS = sa.table(
    "accounts",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("role", sa.String),
    sa.column("sign_in_index", sa.LargeBinary),
)
STUDENT_ACCOUNTS = sa.table(
    "student_accounts",
    sa.column("account_id", sa.Integer),
    sa.column("student_no", sa.String),
)
THROTTLE = sa.table("auth_throttle", sa.column("key", sa.String))


def _keyring() -> Any:
    from xueji.db.crypto import keyring

    try:
        return keyring()
    except RuntimeError:
        raise RuntimeError(
            "此次迁移需要主密钥（XUEJI_SECRET_KEY 或 var/secret.key）：请用 xueji db upgrade 运行"
        ) from None


def upgrade() -> None:
    ring = _keyring()
    _check_key(ring)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sign_in_index", sa.LargeBinary(length=16), nullable=True))
        batch_op.alter_column("username", existing_type=sa.String(length=64), nullable=True)
    _index_sign_in_names(ring)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.alter_column(
            "sign_in_index", existing_type=sa.LargeBinary(length=16), nullable=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_accounts_sign_in_index"), ["sign_in_index"]
        )
    _hash_throttle_keys(ring)
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchors")),
    )
    op.create_table(
        "import_foreign_lookups",
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("numbers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("school_code", "day", name=op.f("pk_import_foreign_lookups")),
    )
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("student_account_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_requests")),
    )
    with op.batch_alter_table("erasure_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_requests_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_erasure_requests_student_id"), ["student_id"], unique=False
        )
    key_state = op.create_table(
        "key_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_state")),
    )
    op.bulk_insert(
        key_state,
        [{"id": 1, "fingerprint": ring.fingerprint, "set_at": dt.datetime.now(dt.UTC)}],
    )
    _relink_audit_log(ring)


#: (table, column, purpose): one stored ciphertext of any of them proves the key
CIPHERTEXTS = (
    ("audit_log", "payload", "audit.payload"),
    ("students", "registry_no", "student.registry_no"),
    ("guardians", "phone", "guardian.phone"),
    ("parent_accounts", "phone", "parent.phone"),
)


def _check_key(ring: Any) -> None:
    """The fingerprint recorded below names the key this upgrade runs with: it must be
    the key the data is written under, or every index and link computed here would be
    wrong and the right key refused afterwards."""
    connection = op.get_bind()
    for table, column, purpose in CIPHERTEXTS:
        stored = connection.execute(sa.text(f"SELECT {column} FROM {table} LIMIT 1")).scalar()
        if stored is None:
            continue
        try:
            ring.decrypt_bytes(bytes(stored), purpose=purpose)
        except Exception:
            raise RuntimeError(
                "主密钥与数据库不符：用当前的 XUEJI_SECRET_KEY（或 var/secret.key）解不开库中已有的"
                "数据。请用写入这些数据时的密钥运行 xueji db upgrade"
            ) from None
        return


def _index_sign_in_names(ring: Any) -> None:
    """Every account gets its sign-in index; a parent's username (the phone) goes; a
    name that holds eleven or more digits in a row is replaced — a student's by ``s`` +
    the account id (the registry number still signs the student in), anyone else's by
    ``u`` + the account id — and each replacement is logged, so that the operator can
    tell the people concerned."""
    from xueji.db.crypto import SIGN_IN_PURPOSE

    connection = op.get_bind()
    rows = connection.execute(sa.select(ACCOUNTS.c.id, ACCOUNTS.c.username, ACCOUNTS.c.role)).all()
    numbers = connection.execute(sa.select(STUDENT_ACCOUNTS.c.student_no)).scalars()
    taken = {str(number) for number in numbers} | {str(name) for _, name, _ in rows}
    for account_id, username, role in rows:
        name, shown = username, username
        if role == "parent":
            shown = None
        elif _DIGIT_RUN.search(username):
            name = shown = _free_name("s" if role == "student" else "u", account_id, taken)
            if role == "student":
                connection.execute(
                    STUDENT_ACCOUNTS.update()
                    .where(STUDENT_ACCOUNTS.c.account_id == account_id)
                    .values(student_no=name)
                )
            log.warning(
                "账号 %s 的用户名含手机号或证件号（连续 11 位以上数字），已改为 %s，请告知本人",
                account_id,
                name,
            )
        connection.execute(
            ACCOUNTS.update()
            .where(ACCOUNTS.c.id == account_id)
            .values(
                username=shown,
                sign_in_index=ring.lookup_index(name, purpose=SIGN_IN_PURPOSE),
            )
        )


def _free_name(prefix: str, account_id: int, taken: set[str]) -> str:
    """``prefix`` + the account id (``s0042``; ``s0042x1``… if that name is taken)."""
    candidate, tries = f"{prefix}{account_id:04d}", 0
    while candidate in taken:
        tries += 1
        candidate = f"{prefix}{account_id:04d}x{tries}"
    taken.add(candidate)
    return candidate


def _hash_throttle_keys(ring: Any) -> None:
    from xueji.db.crypto import THROTTLE_PURPOSE

    connection = op.get_bind()
    for (key,) in connection.execute(sa.select(THROTTLE.c.key)).all():
        connection.execute(
            THROTTLE.update()
            .where(THROTTLE.c.key == key)
            .values(key=ring.blind_index(key, purpose=THROTTLE_PURPOSE))
        )


GENESIS = "0" * 64


def _canonical(row: Any, actor: str) -> str:
    """An entry's stored columns as the chain covers them (as ``audit.chain`` has it
    today; kept here so that this migration does tomorrow what it does today)."""
    return json.dumps(
        [
            row.id,
            row.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            row.actor_id,
            actor,
            row.action,
            row.school_code,
            row.subject,
            bytes(row.payload).hex(),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _entries(connection: Any) -> Any:
    """The log in id order, a batch at a time (a province's log does not fit in memory)."""
    from xueji.db.base import UTCDateTime

    statement = sa.text(
        "SELECT id, at, actor_id, actor, action, school_code, subject, payload, "
        "prev_hash, entry_hash FROM audit_log WHERE id > :after ORDER BY id LIMIT :batch"
    ).columns(at=UTCDateTime())
    after = 0
    while rows := connection.execute(statement, {"after": after, "batch": _BATCH}).all():
        yield from rows
        after = rows[-1].id


def _check_old_chain(connection: Any) -> None:
    """Before re-linking: the log as it stands must verify under the old, unkeyed link —
    re-linking a log altered before the upgrade would seal the alteration."""
    previous, expected = GENESIS, 1
    for row in _entries(connection):
        link = hashlib.sha256((previous + _canonical(row, row.actor)).encode("utf-8")).hexdigest()
        if row.id != expected or row.prev_hash != previous or row.entry_hash != link:
            raise RuntimeError(
                f"升级前的审计日志已被改动（第 {row.id} 条，xueji audit verify 可复核）：重新链接会"
                "掩盖这一改动，升级已中止。请先核查并恢复未被改动的备份，再升级"
            )
        previous, expected = link, expected + 1
    head = connection.execute(sa.text("SELECT last_id, last_hash FROM audit_head")).one()
    if (head.last_id, head.last_hash) != (expected - 1, previous):
        raise RuntimeError(
            "升级前的审计日志末尾的记录已被删除（与 audit_head 不符）：升级已中止。请先核查并恢复"
            "未被改动的备份，再升级"
        )


def _relink_audit_log(ring: Any) -> None:
    """The old chain checked; then account actors by id, and every link recomputed
    under the audit-chain key in id order, with the append-only triggers lifted for the
    length of this transaction."""
    connection = op.get_bind()
    _check_old_chain(connection)
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER audit_log_no_{event}")
    update = sa.text(
        "UPDATE audit_log SET actor = :actor, prev_hash = :prev, entry_hash = :link "
        "WHERE id = :entry_id"
    )
    previous, last_id, pending = GENESIS, 0, []
    for row in _entries(connection):
        actor = f"account:{row.actor_id}" if row.actor_id is not None else row.actor
        link = ring.audit_link(previous, _canonical(row, actor))
        pending.append({"actor": actor, "prev": previous, "link": link, "entry_id": row.id})
        previous, last_id = link, row.id
        if len(pending) >= _BATCH:
            connection.execute(update, pending)
            pending = []
    if pending:
        connection.execute(update, pending)
    connection.execute(
        sa.text("UPDATE audit_head SET last_id = :last_id, last_hash = :link WHERE id = 1"),
        {"last_id": last_id, "link": previous},
    )
    if postgres:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    raise NotImplementedError(
        "家长手机号已不再以明文保存、审计日志已按新密钥重新链接，无法还原；请恢复升级前的备份"
    )
