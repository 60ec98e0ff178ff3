"""How an entry's link is computed: HMAC-SHA256, under a key derived from the master key
for the audit chain alone, over the previous entry's link and a canonical JSON of the
entry's stored columns (the payload as stored, i.e. its ciphertext). Whoever can write
the database but has not the key cannot forge a link, so cannot rewrite, drop or
renumber entries and recompute the chain. Used both when appending and when verifying,
so the two can never disagree on what is covered."""

from __future__ import annotations

import datetime as dt
import json
from typing import Protocol

from xueji.db.crypto import Keyring, keyring

GENESIS = "0" * 64


class Hashable(Protocol):
    """The stored columns of an entry, whether an ORM row or a raw database row."""

    @property
    def id(self) -> int: ...
    @property
    def at(self) -> dt.datetime: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def school_code(self) -> str | None: ...
    @property
    def subject(self) -> str: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def prev_hash(self) -> str: ...


def canonical(entry: Hashable) -> str:
    """The stored columns an entry's link covers, as one canonical JSON text."""
    return json.dumps(
        [
            entry.id,
            entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            entry.actor_id,
            entry.actor,
            entry.action,
            entry.school_code,
            entry.subject,
            bytes(entry.payload).hex(),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def entry_hash(entry: Hashable, ring: Keyring | None = None) -> str:
    """The entry's link; ``ring`` another keyring than the service's (key rotation)."""
    return (ring or keyring()).audit_link(entry.prev_hash, canonical(entry))
