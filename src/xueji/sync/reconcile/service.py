"""Running a reconciliation: on the committed state (operators, the daily job) or inside
the caller's transaction (tests, and a caller that must see its own work)."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session, sessionmaker

from xueji.db.engine import SQLITE_BEGIN
from xueji.db.scope import transaction
from xueji.domain.clock import Clock
from xueji.sync.reconcile.compare import compare
from xueji.sync.reconcile.read_postgres import load_batch, load_once
from xueji.sync.reconcile.read_sqlite import sqlite_snapshot
from xueji.sync.reconcile.report import Report


def reconcile_committed(sessions: sessionmaker[Session], clock: Clock) -> Report:
    """The reconciliation operators and the daily job run, on the committed state in one
    snapshot: PostgreSQL in a repeatable-read transaction, SQLite through ADBC readers
    (see ``read_sqlite.sqlite_snapshot``)."""
    started = time.perf_counter()
    with transaction(sessions) as session:
        if session.get_bind().dialect.name == "sqlite":
            # a long read: it must not hold the write lock
            session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
            with sqlite_snapshot(session) as (once, frames):
                return compare(once, frames, clock, started)
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return _reconcile_in(session, clock, started)


def reconcile(session: Session, clock: Clock) -> Report:
    """The reconciliation inside the caller's transaction (sees its uncommitted work)."""
    return _reconcile_in(session, clock, time.perf_counter())


def _reconcile_in(session: Session, clock: Clock, started: float) -> Report:
    once, batch_list = load_once(session)
    connection = session.connection()
    frames = (load_batch(connection, batch) for batch in batch_list)
    return compare(once, frames, clock, started)
