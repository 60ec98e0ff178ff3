"""Writing to and verifying the audit log. The caller owns the transaction, so an entry
commits or rolls back together with the change it records."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from xueji.audit.chain import GENESIS, canonical, entry_hash
from xueji.audit.models import AuditAnchor, AuditEntry
from xueji.audit.repository import AuditRepository
from xueji.db.crypto import Keyring, keyring
from xueji.domain.clock import Clock
from xueji.domain.errors import Conflict, ValidationFailed

PURPOSE = "audit.payload"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: an account, or the system or an operator at the command line (``id``
    None, then ``name`` says who)."""

    id: int | None
    name: str

    @property
    def stored(self) -> str:
        """What ``audit_log.actor`` keeps: an account by its id only (a name could be a
        parent's phone)."""
        return f"account:{self.id}" if self.id is not None else self.name


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
        actor=actor.stored,
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


def acts_on(session: Session, subject: str) -> list[dict[str, str]]:
    """Which audited acts touched ``subject``, when — without who or what (the payloads
    hold other people's data): the processing a data subject may ask to know about."""
    return [
        {"action": entry.action, "at": entry.at.isoformat()}
        for entry in AuditRepository(session).entries_for(subject, limit=1000)
    ]


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


@dataclass(frozen=True, slots=True)
class Anchor:
    """The log's length and last link at one moment (``xueji audit anchor``)."""

    entries: int
    head: str

    def as_json(self) -> dict[str, Any]:
        return {"entries": self.entries, "head": self.head}


def take_anchor(session: Session, clock: Clock) -> Anchor:
    """The anchor of the log as it is now, also kept for the operators' page (the copy
    that counts is the one printed and stored elsewhere)."""
    repository = AuditRepository(session)
    head = repository.head()
    anchor = Anchor(head.last_id, head.last_hash) if head is not None else Anchor(0, GENESIS)
    repository.add(AuditAnchor(entries=anchor.entries, head=anchor.head, created_at=clock.now()))
    return anchor


def rekey(session: Session, reader: Keyring, new: Keyring, *, batch: int = 1000) -> int:
    """Re-encrypt every payload and re-link the whole chain under ``new`` (key
    rotation), in the caller's transaction, which must hold the head (``lock_head``)
    so that nothing is appended meanwhile; ``reader`` decrypts the payloads as stored
    (during a rotation some are already under the new key). The chain is verified first:
    re-linking an altered log would hide the alteration, so that stops the rotation."""
    repository = AuditRepository(session)
    repository.lock_head()
    checked = verify(session)
    if not checked.ok:
        raise Conflict(
            f"审计日志第 {checked.first_bad_id} 条校验不符（{checked.problem}）：按新密钥重新链接会"
            "掩盖这一改动，轮换已停止。请先用 xueji audit verify 核查",
            code="AUDIT_ALTERED",
        )
    previous, last_id, done = GENESIS, 0, 0
    while entries := repository.entries_after(last_id, batch):
        rewritten = []
        for entry in entries:
            payload = reader.decrypt_bytes(entry.payload, purpose=PURPOSE)
            moved = entry._replace(
                payload=new.encrypt_bytes(payload, purpose=PURPOSE), prev_hash=previous
            )
            previous = new.audit_link(previous, canonical(moved))
            rewritten.append(moved._replace(entry_hash=previous))
        repository.rewrite(rewritten)
        last_id, done = entries[-1].id, done + len(entries)
    repository.move_head(last_id, previous)
    return done


def latest_anchor(session: Session) -> AuditAnchor | None:
    return AuditRepository(session).latest_anchor()


def parse_anchors(text: str) -> list[Anchor]:
    """The anchors of a file: one JSON line each, as ``xueji audit anchor`` printed them
    (a file appended to with ``>>`` holds several)."""
    anchors: list[Anchor] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchor = Anchor(int(data["entries"]), str(data["head"]))
        except (ValueError, KeyError, TypeError):
            raise ValidationFailed(
                f"锚点文件第 {number} 行不是 xueji audit anchor 打印的 JSON", code="ANCHOR_INVALID"
            ) from None
        if anchor.entries < 0 or not _HEX64.fullmatch(anchor.head):
            raise ValidationFailed(f"锚点文件第 {number} 行的内容无效", code="ANCHOR_INVALID")
        anchors.append(anchor)
    if not anchors:
        raise ValidationFailed("锚点文件是空的", code="ANCHOR_INVALID")
    return anchors


def verify(session: Session, anchors: Sequence[Anchor] = ()) -> Verification:
    """Walk the chain; report the first entry altered, missing or out of order, then the
    first anchor the log no longer extends (entries removed at the end, or the log
    rewritten or renumbered up to it by someone holding the key)."""
    repository = AuditRepository(session)
    expected = {anchor.entries: anchor for anchor in sorted(anchors, key=lambda a: a.entries)}
    previous, expected_id, checked = GENESIS, 1, 0
    if 0 in expected and expected[0].head != GENESIS:
        return _anchor_broken(expected[0], 0)
    for row in repository.raw_entries():
        if row.id != expected_id:
            return Verification(checked, row.id, f"缺少第 {expected_id} 条或顺序被改动")
        if row.prev_hash != previous:
            return Verification(checked, row.id, "与前一条的链接不符（前一条被删除或改动）")
        recomputed = entry_hash(row)
        if recomputed != row.entry_hash:
            hint = "；或 XUEJI_SECRET_KEY 不是写入日志时的密钥" if checked == 0 else ""
            return Verification(checked, row.id, f"内容被改动（链接校验不符{hint}）")
        previous, expected_id, checked = recomputed, expected_id + 1, checked + 1
        anchor = expected.get(checked)
        if anchor is not None and anchor.head != previous:
            return _anchor_broken(anchor, checked)
    head = repository.head()
    if head is not None and (head.last_id != checked or head.last_hash != previous):
        return Verification(checked, checked + 1, "日志末尾的记录被删除")
    beyond = [anchor for anchor in expected.values() if anchor.entries > checked]
    if beyond:
        return Verification(
            checked,
            checked + 1,
            f"锚点记录了 {beyond[0].entries} 条，日志现只有 {checked} 条：末尾的记录被删除",
        )
    return Verification(checked)


def _anchor_broken(anchor: Anchor, checked: int) -> Verification:
    return Verification(
        checked,
        anchor.entries,
        f"第 {anchor.entries} 条的链接与锚点（{anchor.entries} 条，{anchor.head[:12]}…）不符："
        "此前的记录被改写、删除或重新编号",
    )
