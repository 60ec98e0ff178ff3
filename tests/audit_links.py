"""The audit link as it was before the chain was keyed: plain SHA-256 over the previous
link and the entry's canonical form, which anyone who can write the database can
compute (for tests of forgery, and of databases written before the change)."""

from __future__ import annotations

import hashlib
from typing import Any

from xueji.audit.chain import canonical


def unkeyed_link(entry: Any, ring: Any = None) -> str:
    """``entry`` has the stored columns (an ORM row, a raw row, a namespace); ``ring`` is
    ignored (the signature of ``audit.chain.entry_hash``)."""
    return hashlib.sha256((entry.prev_hash + canonical(entry)).encode("utf-8")).hexdigest()
