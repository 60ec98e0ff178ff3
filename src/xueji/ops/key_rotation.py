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

from cryptography.exceptions import InvalidTag
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from xueji.audit import service as audit
from xueji.auth.service import normalise_username
from xueji.db.crypto import (
    PHONE_PURPOSE,
    REGISTRY_NO_PURPOSE,
    SIGN_IN_PURPOSE,
    RotatingKeyring,
)
from xueji.db.key_state import SWITCH_LOCK, KeyState, RotationProgress
from xueji.db.scope import transaction
from xueji.domain.clock import Clock
from xueji.domain.errors import XuejiError


@dataclass(frozen=True, slots=True)
class Sealed:
    """A column of ciphertexts, and the purpose they were sealed for."""

    table: str
    column: str
    purpose: str
    #: the primary key, which the column is walked in the order of
    key: str = "id"

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"

    def after(self, last_key: str) -> int | str:
        """The stored progress as a value of the key column (``""``: from the start)."""
        if self.key == "id":
            return int(last_key or 0)
        return last_key


#: every column of ciphertexts but the audit log's payloads (re-sealed with the chain)
SEALED = (
    Sealed("students", "registry_no", "student.registry_no"),
    Sealed("guardians", "phone", "guardian.phone"),
    Sealed("student_accounts", "registry_no", "student_account.registry_no"),
    Sealed("parent_accounts", "phone", "parent.phone"),
    Sealed("phone_change_applications", "phone", "application.phone"),
    Sealed("import_reports", "content", "import.report", key="token"),
)

#: every column of blind indexes, by the purpose its values are indexed for
INDEXED = (
    ("students", "registry_no_index", REGISTRY_NO_PURPOSE),
    ("student_accounts", "registry_index", REGISTRY_NO_PURPOSE),
    ("student_accounts", "active_registry_index", REGISTRY_NO_PURPOSE),
    ("archive_entries", "registry_index", REGISTRY_NO_PURPOSE),
    ("guardians", "phone_index", PHONE_PURPOSE),
    ("parent_accounts", "phone_index", PHONE_PURPOSE),
    ("accounts", "sign_in_index", SIGN_IN_PURPOSE),
)


@dataclass(frozen=True, slots=True)
class Source:
    """A column of ciphertexts whose values the indexes of ``purposes`` are computed
    from, beside the row's own index of them (``index``)."""

    sealed: Sealed
    index: str
    purposes: tuple[str, ...]


SOURCES = {
    source.sealed.name: source
    for source in (
        Source(SEALED[0], "registry_no_index", (REGISTRY_NO_PURPOSE,)),
        Source(SEALED[1], "phone_index", (PHONE_PURPOSE,)),
        Source(SEALED[2], "registry_index", (REGISTRY_NO_PURPOSE,)),
        # a parent signs in with the phone; anyone else with a username kept in clear
        Source(SEALED[3], "phone_index", (PHONE_PURPOSE, SIGN_IN_PURPOSE)),
    )
}

#: how long after the switch the sweep waits (``rotate``): requests in flight then finish
SWEEP_AFTER_SECONDS = 5.0

#: tables holding only keyed hashes of values that are stored nowhere (one-time codes,
#: throttle counters): they cannot move to the new key and are emptied
DISCARDED = ("sms_codes", "activation_codes", "auth_throttle")


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
        _map_usernames(sessions, ring, batch)
        with transaction(sessions) as session:
            _switch(session, clock, ring, batch, result)
        ring.rotated()
        time.sleep(grace)
    else:
        result.already_done = True
    with transaction(sessions) as session:
        result.rows += _sweep(session, ring, batch)
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
        plain, moved = _moved(ring, bytes(blob), sealed, row_id)
        values.append(plain)
        if moved is not None:
            changes.append({"id": row_id, "old": blob, "new": moved})
    _store(session, sealed, changes)
    source = SOURCES.get(sealed.name)
    if source is not None:
        _map_values(session, ring, source, values)
    progress.last_key = str(rows[-1][0])
    return len(changes), True


def _store(session: Session, sealed: Sealed, changes: list[dict[str, object]]) -> None:
    """New ciphertexts, each only over the one read: on PostgreSQL a request may have
    rewritten the row meanwhile (under the new key already)."""
    if changes:
        key, column, table = sealed.key, sealed.column, sealed.table
        session.execute(
            text(f"UPDATE {table} SET {column} = :new WHERE {key} = :id AND {column} = :old"),
            changes,
        )


def _moved(
    ring: RotatingKeyring, blob: bytes, sealed: Sealed, row_id: object
) -> tuple[bytes, bytes | None]:
    """The value, and its ciphertext under the new key (None if it already is)."""
    try:
        return ring.new.decrypt_bytes(blob, purpose=sealed.purpose), None
    except InvalidTag:
        pass
    try:
        plain = ring.old.decrypt_bytes(blob, purpose=sealed.purpose)
    except InvalidTag:
        raise XuejiError(
            f"{sealed.name} 第 {row_id} 行的密文两把密钥都解不开（数据已损坏）：轮换已停止，"
            "请从备份恢复这一行后再运行",
            code="KEY_ROTATION_UNREADABLE",
        ) from None
    return plain, ring.new.encrypt_bytes(plain, purpose=sealed.purpose)


def _map_values(
    session: Session, ring: RotatingKeyring, source: Source, values: list[bytes]
) -> None:
    texts = [value.decode("utf-8") for value in values]
    for purpose in source.purposes:
        names = [normalise_username(v) for v in texts] if purpose == SIGN_IN_PURPOSE else texts
        _map(session, purpose, ring, names)


def _map_usernames(sessions: sessionmaker[Session], ring: RotatingKeyring, batch: int) -> None:
    """The old→new sign-in indexes of every username (staff, students), in batches."""
    statement = text(
        "SELECT id, username FROM accounts WHERE username IS NOT NULL AND id > :after "
        "ORDER BY id LIMIT :limit"
    )
    while True:
        with transaction(sessions) as session:
            progress = session.get(RotationProgress, USERNAMES)
            if progress is None:
                progress = RotationProgress(name=USERNAMES, last_key="")
                session.add(progress)
            after = int(progress.last_key or 0)
            rows = session.execute(statement, {"after": after, "limit": batch}).all()
            if not rows:
                return
            _map(session, SIGN_IN_PURPOSE, ring, [normalise_username(n) for _, n in rows])
            progress.last_key = str(rows[-1][0])


USERNAMES = "accounts.username"


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
    _map_latecomers(session, ring, batch)
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
        result.rows += _reindex(session, table, column, purpose)
    for table in DISCARDED:
        deleted = session.execute(text(f"DELETE FROM {table}"))
        result.discarded[table] = int(getattr(deleted, "rowcount", 0) or 0)
    result.audit_entries = audit.rekey(session, ring, ring.new, batch=batch)
    result.rows += result.audit_entries
    session.execute(text("DELETE FROM key_rotation_progress"))
    state.previous, state.fingerprint = ring.old.fingerprint, ring.new.fingerprint
    state.rotating_to, state.set_at = None, clock.now()
    result.anchor = audit.take_anchor(session, clock)


def _map_latecomers(session: Session, ring: RotatingKeyring, batch: int) -> None:
    """Map the values written or changed since their batch was done: rows whose own
    index is not in the map yet (an anti-join: few rows, however large the tables)."""
    for source in SOURCES.values():
        sealed, purpose = source.sealed, source.purposes[0]
        rows = session.execute(
            text(
                f"SELECT t.id, t.{sealed.column} FROM {sealed.table} t WHERE NOT EXISTS "
                "(SELECT 1 FROM key_rotation_map m WHERE m.purpose = :purpose "
                f"AND m.old = t.{source.index})"
            ),
            {"purpose": purpose},
        ).all()
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            moved = [
                (row_id, blob, _moved(ring, bytes(blob), sealed, row_id)) for row_id, blob in chunk
            ]
            _map_values(session, ring, source, [plain for _, _, (plain, _) in moved])
            # changed since its batch by a process that wrote under the old key
            _store(
                session,
                sealed,
                [
                    {"id": row_id, "old": blob, "new": new}
                    for row_id, blob, (_, new) in moved
                    if new is not None
                ],
            )
    unmapped = (
        "NOT EXISTS (SELECT 1 FROM key_rotation_map m WHERE m.purpose = :purpose "
        "AND m.old = a.sign_in_index)"
    )
    sign_in = {"purpose": SIGN_IN_PURPOSE}
    usernames = session.execute(
        text(f"SELECT a.username FROM accounts a WHERE a.username IS NOT NULL AND {unmapped}"),
        sign_in,
    ).scalars()
    _map(session, SIGN_IN_PURPOSE, ring, [normalise_username(name) for name in usernames])
    # a parent whose phone is mapped already as a guardian's, but not as a sign-in name
    parents = session.execute(
        text(
            "SELECT p.id, p.phone FROM parent_accounts p JOIN accounts a ON a.id = p.account_id "
            f"WHERE {unmapped}"
        ),
        sign_in,
    ).all()
    phones = [_moved(ring, bytes(blob), SEALED[3], row_id)[0].decode() for row_id, blob in parents]
    _map(session, SIGN_IN_PURPOSE, ring, [normalise_username(phone) for phone in phones])


def _sweep(session: Session, ring: RotatingKeyring, batch: int) -> int:
    """After the switch: every index that is no known new-key index (an anti-join on the
    map's new values) is looked at again — one written under the old key by a request
    that computed it before the switch and wrote it after, or one of a value first seen
    since — and re-indexed through the map; then the map is emptied. Returns the rows
    re-indexed."""
    for source in SOURCES.values():
        sealed = source.sealed
        rows = session.execute(
            text(
                f"SELECT t.id, t.{sealed.column} FROM {sealed.table} t WHERE NOT EXISTS "
                "(SELECT 1 FROM key_rotation_map m WHERE m.purpose = :purpose "
                f"AND m.new = t.{source.index})"
            ),
            {"purpose": source.purposes[0]},
        ).all()
        for start in range(0, len(rows), batch):
            blobs = [bytes(blob) for _, blob in rows[start : start + batch]]
            values = [ring.decrypt_bytes(blob, purpose=sealed.purpose) for blob in blobs]
            _map_values(session, ring, source, values)
    unmapped = (
        "NOT EXISTS (SELECT 1 FROM key_rotation_map m WHERE m.purpose = :purpose "
        "AND m.new = a.sign_in_index)"
    )
    sign_in = {"purpose": SIGN_IN_PURPOSE}
    names = session.execute(
        text(f"SELECT a.username FROM accounts a WHERE a.username IS NOT NULL AND {unmapped}"),
        sign_in,
    ).scalars()
    _map(session, SIGN_IN_PURPOSE, ring, [normalise_username(name) for name in names])
    parents = session.execute(
        text(
            "SELECT p.phone FROM parent_accounts p JOIN accounts a ON a.id = p.account_id "
            f"WHERE {unmapped}"
        ),
        sign_in,
    ).scalars()
    phones = [ring.decrypt(bytes(blob), purpose="parent.phone") for blob in parents]
    _map(session, SIGN_IN_PURPOSE, ring, [normalise_username(phone) for phone in phones])
    swept = 0
    for table, column, purpose in INDEXED:
        swept += _reindex(session, table, column, purpose)
    session.execute(text("DELETE FROM key_rotation_map"))
    return swept


def _reindex(session: Session, table: str, column: str, purpose: str) -> int:
    """Every index of the column that is an old-key one in the map, to its new one."""
    updated = session.execute(
        text(
            f"UPDATE {table} SET {column} = m.new FROM key_rotation_map m "
            f"WHERE m.purpose = :purpose AND m.old = {table}.{column}"
        ),
        {"purpose": purpose},
    )
    return int(getattr(updated, "rowcount", 0) or 0)


def _map(session: Session, purpose: str, ring: RotatingKeyring, values: list[str]) -> None:
    if not values:
        return
    olds = ring.old.lookup_index_many(values, purpose=purpose)
    news = ring.new.lookup_index_many(values, purpose=purpose)
    session.execute(
        text(
            "INSERT INTO key_rotation_map (purpose, old, new) VALUES (:purpose, :old, :new) "
            "ON CONFLICT DO NOTHING"
        ),
        [{"purpose": purpose, "old": old, "new": new} for old, new in zip(olds, news, strict=True)],
    )
