"""How an entry's hash is computed: SHA-256 over the previous hash and a canonical JSON of
the entry's stored columns (the payload as stored, i.e. its ciphertext)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

GENESIS = "0" * 64


def entry_hash(
    *,
    prev_hash: str,
    entry_id: int,
    at: dt.datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    school_code: str | None,
    subject: str,
    payload_ciphertext: bytes,
) -> str:
    canonical = json.dumps(
        [
            entry_id,
            at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            actor_id,
            actor,
            action,
            school_code,
            subject,
            payload_ciphertext.hex(),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()
