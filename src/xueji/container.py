"""What one running service holds: settings, engine, session factory, clock, keyring."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from xueji.config import Settings
from xueji.db.async_reads import AsyncReads
from xueji.db.crypto import Keyring, RotatingKeyring, install_keyring
from xueji.db.engine import make_engine, make_session_factory
from xueji.db.key_state import follow_rotation
from xueji.db.keys import load_master_key
from xueji.db.private_files import private_directory
from xueji.domain.clock import Clock, SystemClock
from xueji.domain.errors import XuejiError
from xueji.sms import SmsSender, sender_for


@dataclass
class Container:
    settings: Settings
    engine: Engine
    #: sessions for work that writes (on SQLite they take the write lock when they begin)
    sessions: sessionmaker[Session]
    #: sessions for reading (GET requests, reconciliation): never wait for a writer
    read_sessions: sessionmaker[Session]
    clock: Clock
    sms: SmsSender
    #: the hottest reads awaited on the event loop (PostgreSQL only)
    async_reads: AsyncReads | None

    @classmethod
    def build(
        cls, settings: Settings, *, engine: Engine | None = None, clock: Clock | None = None
    ) -> Container:
        private_directory(settings.var_dir)
        install_keyring(ring := _keyring(settings))
        engine = engine or make_engine(settings.database_url)
        follow_rotation(engine, ring)
        clock = clock or SystemClock()
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            read_sessions=make_session_factory(engine, writes=False),
            clock=clock,
            sms=sender_for(settings, clock),
            async_reads=AsyncReads.for_engine(engine),
        )


def _keyring(settings: Settings) -> Keyring:
    """The master key; with ``XUEJI_NEW_SECRET_KEY`` also the key being rotated to."""
    ring = Keyring(load_master_key(secret_key=settings.secret_key, var_dir=settings.var_dir))
    if not settings.new_secret_key:
        return ring
    new = settings.new_secret_key.encode("utf-8")
    if len(new) < 16:
        raise XuejiError("XUEJI_NEW_SECRET_KEY 太短：新主密钥至少 16 个字节", code="KEY_INVALID")
    try:
        return RotatingKeyring(ring, Keyring(new))
    except ValueError:
        raise XuejiError(
            "XUEJI_NEW_SECRET_KEY 与当前主密钥相同：请生成一把新密钥", code="KEY_INVALID"
        ) from None
