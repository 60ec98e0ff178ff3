"""The old→new map of blind indexes a master key rotation keeps (``key_rotation_map``):
filled as the rotation re-encrypts each value, topped up in the switch with the values
written since (an anti-join on the old indexes), and after the switch swept for indexes
written under the old key by a request that computed one just before it (an anti-join
on the new ones). Every index column is then re-indexed with one joined ``UPDATE``."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from xueji.auth.service import normalise_username
from xueji.db.crypto import SIGN_IN_PURPOSE, RotatingKeyring
from xueji.db.key_state import RotationProgress
from xueji.db.scope import transaction
from xueji.ops.key_columns import INDEXED, SEALED, SOURCES, Source, moved, store

USERNAMES = "accounts.username"


def map_values(
    session: Session, ring: RotatingKeyring, source: Source, values: list[bytes]
) -> None:
    texts = [value.decode("utf-8") for value in values]
    for purpose in source.purposes:
        names = [normalise_username(v) for v in texts] if purpose == SIGN_IN_PURPOSE else texts
        map_pairs(session, purpose, ring, names)


def map_usernames(sessions: sessionmaker[Session], ring: RotatingKeyring, batch: int) -> None:
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
            map_pairs(session, SIGN_IN_PURPOSE, ring, [normalise_username(n) for _, n in rows])
            progress.last_key = str(rows[-1][0])


def map_latecomers(session: Session, ring: RotatingKeyring, batch: int) -> None:
    """In the switch: map the values written or changed since their batch was done —
    rows whose own index is no old-key index of the map (an anti-join: few rows, however
    large the tables)."""
    _map_unknown(session, ring, batch, side="old")


def _map_unknown(
    session: Session, ring: RotatingKeyring, batch: int, *, side: Literal["old", "new"]
) -> None:
    """Map the value of every row whose index is not on ``side`` of the map, and store
    under the new key a ciphertext a process wrote under the old one meanwhile."""
    for source in SOURCES.values():
        sealed = source.sealed
        rows = session.execute(
            text(
                f"SELECT t.id, t.{sealed.column} FROM {sealed.table} t WHERE NOT EXISTS "
                "(SELECT 1 FROM key_rotation_map m WHERE m.purpose = :purpose "
                f"AND m.{side} = t.{source.index})"
            ),
            {"purpose": source.purposes[0]},
        ).all()
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            opened = [
                (row_id, blob, moved(ring, bytes(blob), sealed, row_id)) for row_id, blob in chunk
            ]
            map_values(session, ring, source, [plain for _, _, (plain, _) in opened])
            store(
                session,
                sealed,
                [
                    {"id": row_id, "old": blob, "new": new}
                    for row_id, blob, (_, new) in opened
                    if new is not None
                ],
            )
    unmapped = (
        "NOT EXISTS (SELECT 1 FROM key_rotation_map m WHERE m.purpose = :purpose "
        f"AND m.{side} = a.sign_in_index)"
    )
    sign_in = {"purpose": SIGN_IN_PURPOSE}
    usernames = session.execute(
        text(f"SELECT a.username FROM accounts a WHERE a.username IS NOT NULL AND {unmapped}"),
        sign_in,
    ).scalars()
    map_pairs(session, SIGN_IN_PURPOSE, ring, [normalise_username(name) for name in usernames])
    # a parent whose phone is mapped already as a guardian's, but not as a sign-in name
    parents = session.execute(
        text(
            "SELECT p.id, p.phone FROM parent_accounts p JOIN accounts a ON a.id = p.account_id "
            f"WHERE {unmapped}"
        ),
        sign_in,
    ).all()
    phones = [moved(ring, bytes(blob), SEALED[3], row_id)[0].decode() for row_id, blob in parents]
    map_pairs(session, SIGN_IN_PURPOSE, ring, [normalise_username(phone) for phone in phones])


def sweep(session: Session, ring: RotatingKeyring, batch: int) -> int:
    """After the switch: every index that is no known new-key index (an anti-join on the
    map's new values) is looked at again — one written under the old key by a request
    that computed it before the switch and wrote it after, or one of a value first seen
    since — and re-indexed through the map; then the map is emptied. Returns the rows
    re-indexed."""
    _map_unknown(session, ring, batch, side="new")
    swept = 0
    for table, column, purpose in INDEXED:
        swept += reindex(session, table, column, purpose)
    session.execute(text("DELETE FROM key_rotation_map"))
    return swept


def reindex(session: Session, table: str, column: str, purpose: str) -> int:
    """Every index of the column that is an old-key one in the map, to its new one. On
    PostgreSQL a joined ``UPDATE … FROM``; on SQLite the correlated form, which SQLite
    before 3.33 (still shipped by some systems) understands too."""
    if session.get_bind().dialect.name == "postgresql":
        statement = (
            f"UPDATE {table} SET {column} = m.new FROM key_rotation_map m "
            f"WHERE m.purpose = :purpose AND m.old = {table}.{column}"
        )
    else:
        mapped = f"FROM key_rotation_map m WHERE m.purpose = :purpose AND m.old = {table}.{column}"
        statement = (
            f"UPDATE {table} SET {column} = (SELECT m.new {mapped}) "
            f"WHERE EXISTS (SELECT 1 {mapped})"
        )
    updated = session.execute(text(statement), {"purpose": purpose})
    return int(getattr(updated, "rowcount", 0) or 0)


def map_pairs(session: Session, purpose: str, ring: RotatingKeyring, values: list[str]) -> None:
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
