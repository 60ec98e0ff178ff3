"""Writing to and verifying the audit log. The caller owns the transaction, so an entry
commits or rolls back together with the change it records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from xueji.audit.chain import GENESIS, entry_hash
from xueji.audit.models import AuditEntry
from xueji.audit.repository import AuditRepository
from xueji.db.crypto import keyring
from xueji.domain.clock import Clock

PURPOSE = "audit.payload"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: an account, or the system itself (``id`` None)."""

    id: int | None
    name: str


SYSTEM = Actor(None, "system")


def record(
    session: Session,
    clock: Clock,
    actor: Actor,
    *,
    action: str,
    subject: str,
    school_code: str | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry, chained to the previous one."""
    repository = AuditRepository(session)
    head = repository.lock_head()
    at = clock.now()
    sealed = keyring().encrypt(
        json.dumps(payload or {}, ensure_ascii=False, sort_keys=True, default=str),
        purpose=PURPOSE,
    )
    entry = AuditEntry(
        id=head.last_id + 1,
        at=at,
        actor_id=actor.id,
        actor=actor.name,
        action=action,
        school_code=school_code,
        subject=subject,
        payload=sealed,
        prev_hash=head.last_hash,
    )
    entry.entry_hash = entry_hash(entry)
    repository.add(entry)
    head.last_id, head.last_hash = entry.id, entry.entry_hash
    session.flush()  # the head with the entry: nothing may see one without the other
    return entry


def read_payload(entry: AuditEntry) -> dict[str, Any]:
    """The decrypted before/after/reason of one entry (for an authorised reader)."""
    loaded: dict[str, Any] = json.loads(keyring().decrypt(entry.payload, purpose=PURPOSE))
    return loaded


@dataclass(frozen=True, slots=True)
class Verification:
    checked: int
    first_bad_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None and self.problem is None


def verify(session: Session) -> Verification:
    """Walk the chain; report the first entry altered, missing or out of order."""
    repository = AuditRepository(session)
    previous, expected_id, checked = GENESIS, 1, 0
    for row in repository.raw_entries():
        if row.id != expected_id:
            return Verification(checked, row.id, f"缺少第 {expected_id} 条或顺序被改动")
        if row.prev_hash != previous:
            return Verification(checked, row.id, "与前一条的链接不符（前一条被删除或改动）")
        recomputed = entry_hash(row)
        if recomputed != row.entry_hash:
            return Verification(checked, row.id, "内容被改动（哈希不符）")
        previous, expected_id, checked = recomputed, expected_id + 1, checked + 1
    head = repository.head()
    if head is not None and (head.last_id != checked or head.last_hash != previous):
        return Verification(checked, checked + 1, "日志末尾的记录被删除")
    return Verification(checked)
