"""Rotating the master key (``xueji keys rotate``): every ciphertext, blind index and
audit link moves from the key in ``XUEJI_SECRET_KEY`` to the one in
``XUEJI_NEW_SECRET_KEY`` while the service keeps serving.

Meanwhile every process runs with both keys (``RotatingKeyring``):

1. ``key_state.rotating_to`` names the new key. From then on a process holding only the
   old key refuses to start, so none writes under it unseen.
2. Ciphertexts are re-encrypted column by column, in id order, in short transactions of
   ``batch`` rows; the last id done is kept per column (``key_rotation_progress``), so a
   rotation that was stopped resumes there. Both keys decrypt meanwhile, and the service
   writes new ciphertexts under the new key, so nothing is left behind. Each value seen
   also enters ``key_rotation_map``: its blind index under the old key and the new.
3. One last transaction switches over. It maps the values written since their batch
   (rows whose index is not in the map: an anti-join), re-indexes every table with one
   joined ``UPDATE`` per column — through the map, so that a phone indexed in two tables
   still joins — re-encrypts and re-links the audit log, deletes what cannot be carried
   over (one-time codes and throttle counters, whose values exist only as keyed hashes)
   and makes the new key's fingerprint the database's. It locks ``key_state``, which
   processes read at the start of each transaction (on PostgreSQL under a share lock),
   so that a transaction runs wholly before or wholly after the switch.

The service is then restarted with ``XUEJI_SECRET_KEY`` set to the new key alone; the
old key is refused from then on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from xueji.audit import service as audit
from xueji.db.crypto import (
    RotatingKeyring,
)
from xueji.db.key_state import SWITCH_LOCK, KeyState, RotationProgress
from xueji.db.scope import transaction
from xueji.domain.clock import Clock
from xueji.domain.errors import XuejiError
from xueji.ops import key_index_map
from xueji.ops.key_columns import DISCARDED, INDEXED, SEALED, SOURCES, Sealed, moved, store

#: how long after the switch the sweep waits (``rotate``): requests in flight then finish
SWEEP_AFTER_SECONDS = 5.0


@dataclass(slots=True)
class Rotation:
    """What a rotation did. ``rows``: values re-encrypted, index entries recomputed and
    audit entries re-linked."""

    rows: int = 0
    audit_entries: int = 0
    discarded: dict[str, int] = field(default_factory=dict)
    #: index entries no stored value leads to (left as they were)
    unmatched: dict[str, int] = field(default_factory=dict)
    anchor: audit.Anchor | None = None
    already_done: bool = False


def rotate(
    sessions: sessionmaker[Session],
    clock: Clock,
    ring: RotatingKeyring,
    *,
    batch: int = 1000,
    after_batch: Callable[[], None] | None = None,
    grace: float = SWEEP_AFTER_SECONDS,
) -> Rotation:
    """Run (or resume) the rotation to ``ring.new``; ``after_batch`` is called after each
    committed batch of re-encryption (progress, or a test's interleaved work). ``grace``
    seconds after the switch, a sweep re-indexes what a request that had computed an
    index under the old key just before the switch wrote just after it."""
    result = Rotation()
    if _start(sessions, ring):
        for sealed in SEALED:
            result.rows += _reseal(sessions, ring, sealed, batch, after_batch)
        key_index_map.map_usernames(sessions, ring, batch)
        with transaction(sessions) as session:
            _switch(session, clock, ring, batch, result)
        ring.rotated()
        time.sleep(grace)
    else:
        result.already_done = True
    with transaction(sessions) as session:
        result.rows += key_index_map.sweep(session, ring, batch)
    return result


def _start(sessions: sessionmaker[Session], ring: RotatingKeyring) -> bool:
    """Name the new key in ``key_state``; False if the database is already under it."""
    with transaction(sessions) as session:
        state = _locked_state(session)
        if state.fingerprint == ring.new.fingerprint:
            return False
        state.rotating_to = ring.new.fingerprint
        return True


def _locked_state(session: Session) -> KeyState:
    """``key_state``, locked; on PostgreSQL after the switch's advisory lock, which waits
    for every transaction of a process with both keys that began before it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({SWITCH_LOCK})"))
    state = session.scalar(select(KeyState).where(KeyState.id == 1).with_for_update())
    if state is None:
        raise XuejiError("数据库还没有主密钥记录：请先运行 xueji db upgrade", code="DB_OUTDATED")
    return state


def _reseal(
    sessions: sessionmaker[Session],
    ring: RotatingKeyring,
    sealed: Sealed,
    batch: int,
    after_batch: Callable[[], None] | None,
) -> int:
    """Re-encrypt one column under the new key, resuming after the last id done, one
    short transaction per batch."""
    done = 0
    while True:
        with transaction(sessions) as session:
            changed, more = _reseal_batch(session, ring, sealed, batch)
        done += changed
        if not more:
            return done
        if after_batch is not None:
            after_batch()


def _reseal_batch(
    session: Session, ring: RotatingKeyring, sealed: Sealed, batch: int
) -> tuple[int, bool]:
    """The next ``batch`` rows of the column after the saved progress: re-encrypted,
    mapped, the progress moved on. Returns how many changed, and whether any row was
    left to read."""
    key, column, table = sealed.key, sealed.column, sealed.table  # from SEALED, not input
    progress = session.get(RotationProgress, sealed.name)
    if progress is None:
        progress = RotationProgress(name=sealed.name, last_key="")
        session.add(progress)
    rows = session.execute(
        text(
            f"SELECT {key}, {column} FROM {table} WHERE {key} > :after ORDER BY {key} LIMIT :limit"
        ),
        {"after": sealed.after(progress.last_key), "limit": batch},
    ).all()
    if not rows:
        return 0, False
    changes, values = [], []
    for row_id, blob in rows:
        if blob is None:
            continue
        plain, resealed = moved(ring, bytes(blob), sealed, row_id)
        values.append(plain)
        if resealed is not None:
            changes.append({"id": row_id, "old": blob, "new": resealed})
    store(session, sealed, changes)
    source = SOURCES.get(sealed.name)
    if source is not None:
        key_index_map.map_values(session, ring, source, values)
    progress.last_key = str(rows[-1][0])
    return len(changes), True


def _switch(
    session: Session, clock: Clock, ring: RotatingKeyring, batch: int, result: Rotation
) -> None:
    state = _locked_state(session)
    if state.fingerprint == ring.new.fingerprint:  # another run switched meanwhile
        result.already_done = True
        return
    for sealed in SEALED:  # rows added since their column was done (an import, say)
        while True:
            changed, more = _reseal_batch(session, ring, sealed, batch)
            result.rows += changed
            if not more:
                break
    key_index_map.map_latecomers(session, ring, batch)
    for table, column, purpose in INDEXED:
        left = session.scalar(
            text(
                f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM key_rotation_map m WHERE m.purpose = :purpose "
                f"AND m.old = t.{column})"
            ),
            {"purpose": purpose},
        )
        if left:
            result.unmatched[f"{table}.{column}"] = int(left)
        result.rows += key_index_map.reindex(session, table, column, purpose)
    for table in DISCARDED:
        deleted = session.execute(text(f"DELETE FROM {table}"))
        result.discarded[table] = int(getattr(deleted, "rowcount", 0) or 0)
    result.audit_entries = audit.rekey(session, ring, ring.new, batch=batch)
    result.rows += result.audit_entries
    session.execute(text("DELETE FROM key_rotation_progress"))
    state.previous, state.fingerprint = ring.old.fingerprint, ring.new.fingerprint
    state.rotating_to, state.set_at = None, clock.now()
    result.anchor = audit.take_anchor(session, clock)
