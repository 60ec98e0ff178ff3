"""The audit link as it was before the chain was keyed: plain SHA-256 over the previous
link and the entry's canonical form, which anyone who can write the database can
compute (for tests of forgery, and of databases written before the change)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any


def unkeyed_link(entry: Any, ring: Any = None) -> str:
    """``entry`` has the stored columns (an ORM row, a raw row, a namespace); ``ring`` is
    ignored (the signature of ``audit.chain.entry_hash``)."""
    canonical = json.dumps(
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
    return hashlib.sha256((entry.prev_hash + canonical).encode("utf-8")).hexdigest()
