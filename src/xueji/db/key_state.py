"""Which master key the database is written under: its fingerprint, set when the schema
is created or upgraded. A process started with another key — the old one after a
rotation, a typo, another installation's — would read nothing and write data nobody
can read back: it refuses to start instead, saying so."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, Integer, String, inspect, select
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime
from xueji.db.crypto import Keyring
from xueji.domain.errors import XuejiError


class KeyState(Base):
    __tablename__ = "key_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def check_key(engine: Engine, ring: Keyring) -> None:
    """Raise ``KEY_MISMATCH`` if the database names another key (a database without a
    fingerprint yet — before its first upgrade — is not checked)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(KeyState.__tablename__):
            return
        stored = connection.execute(select(KeyState.fingerprint).where(KeyState.id == 1))
        expected = stored.scalar()
    if expected is not None and expected != ring.fingerprint:
        raise XuejiError(
            f"主密钥与数据库不符：数据库要求指纹 {expected} 的密钥，当前 XUEJI_SECRET_KEY"
            f"（或 var/secret.key）的指纹是 {ring.fingerprint}。若刚轮换过密钥，请用新密钥启动；"
            "否则请找回这个数据库的密钥（docs/operations.md）",
            code="KEY_MISMATCH",
        )
