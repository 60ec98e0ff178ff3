"""All SQL of the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import NamedTuple

from sqlalchemy import select, text

from xueji.audit.models import AuditAnchor, AuditEntry, AuditHead
from xueji.db.repository import Repository


class RawEntry(NamedTuple):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor: str
    action: str
    school_code: str | None
    subject: str
    payload: bytes
    prev_hash: str
    entry_hash: str


class AuditRepository(Repository):
    def lock_head(self) -> AuditHead:
        """The head row, locked for this transaction (created by the migration)."""
        head = self.session.scalar(select(AuditHead).where(AuditHead.id == 1).with_for_update())
        if head is None:
            raise RuntimeError("audit_head row missing: run `xueji db upgrade`")
        return head

    def raw_entries(self, batch: int = 1000) -> Iterator[RawEntry]:
        """Stored columns in id order, exactly as stored, streamed in batches."""
        statement = text(
            "SELECT id, at, actor_id, actor, action, school_code, subject, payload, "
            "prev_hash, entry_hash FROM audit_log ORDER BY id"
        ).columns(at=AuditEntry.__table__.c.at.type)
        for row in self.session.execute(statement).yield_per(batch):
            yield RawEntry(*row)

    def head(self) -> AuditHead | None:
        return self.session.get(AuditHead, 1)

    def latest_anchor(self) -> AuditAnchor | None:
        return self.session.scalar(select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(1))

    def entries_for(self, subject: str, limit: int = 50) -> list[AuditEntry]:
        return list(
            self.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.subject == subject)
                .order_by(AuditEntry.id.desc())
                .limit(limit)
            )
        )
