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

    def entries_after(self, last_id: int, limit: int) -> list[RawEntry]:
        """Up to ``limit`` stored entries after ``last_id``, in id order."""
        statement = text(
            "SELECT id, at, actor_id, actor, action, school_code, subject, payload, "
            "prev_hash, entry_hash FROM audit_log WHERE id > :after ORDER BY id LIMIT :limit"
        ).columns(at=AuditEntry.__table__.c.at.type)
        rows = self.session.execute(statement, {"after": last_id, "limit": limit})
        return [RawEntry(*row) for row in rows]

    def rewrite(self, entries: list[RawEntry]) -> None:
        """Store new payloads and links (key rotation), with the append-only guard
        lifted for this statement only: outside it the log stays append-only."""
        postgres = self.session.get_bind().dialect.name == "postgresql"
        guard = "ALTER TABLE audit_log {} TRIGGER audit_log_append_only"
        if postgres:
            self.session.execute(text(guard.format("DISABLE")))
        else:
            self.session.execute(text("DROP TRIGGER audit_log_no_update"))
        self.session.execute(
            text(
                "UPDATE audit_log SET payload = :payload, prev_hash = :prev_hash, "
                "entry_hash = :entry_hash WHERE id = :id"
            ),
            [entry._asdict() for entry in entries],
        )
        if postgres:
            self.session.execute(text(guard.format("ENABLE")))
        else:
            self.session.execute(
                text(
                    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                )
            )

    def move_head(self, last_id: int, last_hash: str) -> None:
        self.session.execute(
            text("UPDATE audit_head SET last_id = :last_id, last_hash = :last_hash WHERE id = 1"),
            {"last_id": last_id, "last_hash": last_hash},
        )

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
