"""What one running service holds: settings, engine, session factory, clock, keyring."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from xueji.config import Settings
from xueji.db.async_reads import AsyncReads
from xueji.db.crypto import Keyring, install_keyring
from xueji.db.engine import make_engine, make_session_factory
from xueji.db.keys import load_master_key
from xueji.db.private_files import private_directory
from xueji.domain.clock import Clock, SystemClock
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
        install_keyring(
            Keyring(load_master_key(secret_key=settings.secret_key, var_dir=settings.var_dir))
        )
        engine = engine or make_engine(settings.database_url)
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
