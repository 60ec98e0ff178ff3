"""Which master key the database is written under: its fingerprint, set when the schema
is created or upgraded. A process started with another key — the old one after a
rotation, a typo, another installation's — would read nothing and write data nobody
can read back: it refuses to start instead, saying so.

During a rotation (``xueji keys rotate``) the row also names the new key
(``rotating_to``). Processes then run with both keys; each transaction they begin reads
this row first, so it indexes and links under the key the database is indexed with at
that moment: the rotation's last transaction, which re-indexes everything and switches
the fingerprint, locks the row. On PostgreSQL every transaction of such a process holds
an advisory lock (``SWITCH_LOCK``) shared until it ends, which the switch takes
exclusively: the switch waits for the transactions that began before it and no
transaction spans it. On SQLite writers are serialised anyway; a read that
began before the switch keeps its snapshot, and the key it began with
(``RotatingKeyring.seen``: per context), to its end."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Engine,
    Index,
    Integer,
    LargeBinary,
    String,
    event,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime
from xueji.db.crypto import Keyring, RotatingKeyring
from xueji.domain.errors import XuejiError

#: the PostgreSQL advisory lock a rotation's switch takes exclusively and every
#: transaction of a process with both keys shares: lock requests queue in order, so the
#: switch is not starved by a stream of transactions, and nothing is written to a table
SWITCH_LOCK = 0x78756A69


class KeyState(Base):
    __tablename__ = "key_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: the new key's fingerprint while a rotation is under way
    rotating_to: Mapped[str | None] = mapped_column(String(32))
    #: the key before the last rotation (to tell someone starting with it what happened)
    previous: Mapped[str | None] = mapped_column(String(32))


def check_key(engine: Engine, ring: Keyring) -> None:
    """Raise ``KEY_MISMATCH`` if the database names another key, or ``KEY_ROTATING`` if a
    rotation is under way and this process lacks the new key (a database without a
    fingerprint yet — before its first upgrade — is not checked)."""
    with engine.connect() as connection:
        schema = inspect(connection)
        if not schema.has_table(KeyState.__tablename__):
            return
        # before its upgrade a database may not have the rotation's columns yet
        present = {column["name"] for column in schema.get_columns(KeyState.__tablename__)}
        wanted = [KeyState.fingerprint, KeyState.rotating_to, KeyState.previous]
        row = connection.execute(
            select(*(c for c in wanted if c.key in present)).where(KeyState.id == 1)
        ).first()
    if row is None:
        return
    found = dict(row._mapping)
    expected = found["fingerprint"]
    rotating_to, previous = found.get("rotating_to"), found.get("previous")
    if isinstance(ring, RotatingKeyring):
        _check_pair(ring, expected, rotating_to)
        if expected == ring.old.fingerprint and rotating_to is None and "rotating_to" in found:
            _announce(engine, ring)
        return
    if expected == ring.fingerprint:
        if rotating_to is not None:
            raise XuejiError(
                f"主密钥正在轮换（新密钥指纹 {rotating_to}）：轮换完成前，每个进程都要同时设置"
                " XUEJI_SECRET_KEY（旧密钥）和 XUEJI_NEW_SECRET_KEY（新密钥）才能启动"
                "（docs/operations.md）",
                code="KEY_ROTATING",
            )
        return
    if previous is not None and previous == ring.fingerprint:
        raise XuejiError(
            f"这是轮换前的旧主密钥（指纹 {ring.fingerprint}）：数据库已改用指纹 {expected} 的新密钥"
            "，请把 XUEJI_SECRET_KEY 设为新密钥再启动（docs/operations.md）",
            code="KEY_MISMATCH",
        )
    raise XuejiError(
        f"主密钥与数据库不符：数据库要求指纹 {expected} 的密钥，当前 XUEJI_SECRET_KEY"
        f"（或 var/secret.key）的指纹是 {ring.fingerprint}。若刚轮换过密钥，请用新密钥启动；"
        "否则请找回这个数据库的密钥（docs/operations.md）",
        code="KEY_MISMATCH",
    )


def _announce(engine: Engine, ring: RotatingKeyring) -> None:
    """The first process started with both keys names the new key in ``key_state``: it
    writes under that key from now on, so from now on a process with the old key alone
    is refused, and so is one with another new key (each would write what the others
    cannot read)."""
    with engine.begin() as connection:
        connection.execute(
            update(KeyState)
            .where(KeyState.id == 1, KeyState.rotating_to.is_(None))
            .values(rotating_to=ring.new.fingerprint)
        )
        named = connection.execute(select(KeyState.rotating_to).where(KeyState.id == 1)).scalar()
    if named != ring.new.fingerprint:  # another process named another key meanwhile
        _check_pair(ring, ring.old.fingerprint, named)


def _check_pair(ring: RotatingKeyring, expected: str, rotating_to: str | None) -> None:
    if expected == ring.new.fingerprint:
        ring.rotated()
        return
    if expected != ring.old.fingerprint:
        raise XuejiError(
            f"主密钥与数据库不符：数据库要求指纹 {expected} 的密钥，XUEJI_SECRET_KEY 的指纹是 "
            f"{ring.old.fingerprint}，XUEJI_NEW_SECRET_KEY 的是 {ring.new.fingerprint}"
            "（docs/operations.md）",
            code="KEY_MISMATCH",
        )
    if rotating_to is not None and rotating_to != ring.new.fingerprint:
        raise XuejiError(
            f"另一把新密钥（指纹 {rotating_to}）的轮换尚未完成，XUEJI_NEW_SECRET_KEY 的指纹却是 "
            f"{ring.new.fingerprint}：请用那把新密钥把轮换做完（docs/operations.md）",
            code="KEY_ROTATING",
        )


def follow_rotation(engine: Engine, ring: Keyring) -> None:
    """With both keys, read ``key_state`` at the start of every transaction (see the
    module's docstring); with one key there is nothing to follow."""
    if not isinstance(ring, RotatingKeyring):
        return
    with engine.connect() as connection:
        if not inspect(connection).has_table(KeyState.__tablename__):
            return  # a database before its first upgrade: nothing to rotate yet
    statement = "SELECT fingerprint FROM key_state WHERE id = 1"
    postgres = engine.dialect.name == "postgresql"

    def read_epoch(connection: Any) -> None:
        if ring.is_rotated:  # for good: no transaction is left to begin under the old key
            ring.seen(True)
            return
        if postgres:  # shared: the switch takes it exclusively, and waits for these
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock_shared({SWITCH_LOCK})")
        fingerprint = connection.exec_driver_sql(statement).scalar()
        ring.seen(fingerprint == ring.new.fingerprint)

    def forget_epoch(_connection: Any) -> None:
        ring.ended()

    event.listen(engine, "begin", read_epoch)
    for ended in ("commit", "rollback"):
        event.listen(engine, ended, forget_epoch)


class RotationProgress(Base):
    """The key of the last row re-encrypted under the new key, per column (``name`` is
    ``table.column``), so that a rotation that was stopped resumes there."""

    __tablename__ = "key_rotation_progress"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_key: Mapped[str] = mapped_column(String(64))


class RotationMapEntry(Base):
    """A blind index under the old key and the same value's under the new one, collected
    while a rotation re-encrypts, so that its last transaction re-indexes every table
    with one joined ``UPDATE`` per column instead of decrypting everything again.
    Emptied when the rotation ends."""

    __tablename__ = "key_rotation_map"
    #: the sweep after the switch looks indexes up by their new value
    __table_args__ = (Index("ix_key_rotation_map_new", "purpose", "new"),)

    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    old: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    new: Mapped[bytes] = mapped_column(LargeBinary(16))
