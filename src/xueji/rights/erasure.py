"""Erasure of a child's platform accounts (PIPL art. 47).

A student, or a parent bound to the child, asks; the accounts are erased after a
cooling-off period (``XUEJI_ERASURE_COOLING_DAYS``, 15 days by default) during which
the request can be withdrawn — a child's learning records are not lost to one click or
to someone who borrowed a phone. The daily job then deletes every platform account of
the child (found again at that moment: one registered since goes too) with its
sessions, learning records, archive entries, notices and consents. The registry record
is the school's legal record (学籍) and stays. The same job purges the platform
accounts of children who left (graduated, withdrew) more than
``XUEJI_RETENTION_DAYS_AFTER_LEAVING`` days ago. Every step is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth import service as auth
from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.domain.errors import Conflict, NotFound, ValidationFailed, XuejiError
from xueji.platform import personal_data
from xueji.registry.events import actor_of
from xueji.rights.models import ErasureRequest
from xueji.rights.subject import Subject, subject_of


def request(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    cooling_days: int,
    student_id: int | None = None,
) -> ErasureRequest:
    subject = subject_of(session, principal, student_id)
    if _open_for(session, subject) is not None:
        raise Conflict("已有一份注销申请在冷静期中", code="ERASURE_PENDING")
    now = clock.now()
    wanted = ErasureRequest(
        requested_by=principal.account_id,
        student_id=subject.student_id,
        student_account_id=subject.account_ids[0] if subject.student_id is None else None,
        requested_at=now,
        due_at=now + dt.timedelta(days=cooling_days),
    )
    session.add(wanted)
    session.flush()
    _audit(session, clock, principal, subject, "rights.erasure_requested", wanted)
    return wanted


def cancel(session: Session, clock: Clock, principal: Principal, request_id: int) -> ErasureRequest:
    """Anyone who could have asked for the same child withdraws it, until it is done.
    Another child's request, or none, answers the same 404."""
    wanted = session.get(ErasureRequest, request_id, with_for_update=True)
    gone = NotFound("没有找到该注销申请")
    if wanted is None:
        raise gone
    try:
        subject = subject_of(session, principal, wanted.student_id)
    except (NotFound, ValidationFailed):
        raise gone from None
    if not _concerns(wanted, subject) or wanted.cancelled_at is not None:
        raise gone
    if wanted.done_at is not None:
        raise Conflict("该注销申请已执行，无法撤回", code="ERASURE_DONE")
    wanted.cancelled_at = clock.now()
    _audit(session, clock, principal, subject, "rights.erasure_cancelled", wanted)
    return wanted


def requests_of(
    session: Session, principal: Principal, *, student_id: int | None = None
) -> list[ErasureRequest]:
    subject = subject_of(session, principal, student_id)
    return list(session.scalars(_concerning(subject).order_by(ErasureRequest.id.desc())))


STATE_LABELS = {
    "cancelled": "已撤回",
    "lapsed": "已失效（申请人已无权代为申请）",
    "done": "已注销",
    "waiting": "冷静期中",
}


def view(wanted: ErasureRequest) -> dict[str, Any]:
    state = "cancelled" if wanted.cancelled_at else "done" if wanted.done_at else "waiting"
    if state == "cancelled" and wanted.lapsed_at is not None:
        state = "lapsed"
    return {
        "id": wanted.id,
        "state": state,
        "state_label": STATE_LABELS[state],
        "requested_at": wanted.requested_at.isoformat(),
        "due_at": wanted.due_at.isoformat(),
        "student_id": wanted.student_id,
    }


def run_due(session: Session, clock: Clock) -> int:
    """Erase what is due; returns how many requests were carried out."""
    now, done = clock.now(), 0
    due = session.scalars(
        select(ErasureRequest)
        .where(
            ErasureRequest.due_at <= now,
            ErasureRequest.cancelled_at.is_(None),
            ErasureRequest.done_at.is_(None),
        )
        .order_by(ErasureRequest.id)
        .with_for_update()
    )
    for wanted in list(due):
        subject = _standing_subject(session, wanted)
        if subject is None:  # the requester may no longer ask for this child
            wanted.cancelled_at = wanted.lapsed_at = now
            audit.record(
                session, clock, audit.SYSTEM, action="rights.erasure_lapsed",
                subject=_audit_subject(wanted), payload={"request_id": wanted.id},
            )  # fmt: skip
            continue
        wanted.erased = personal_data.erase(session, _accounts_now(subject, wanted))
        wanted.done_at = now
        audit.record(
            session, clock, audit.SYSTEM, action="rights.erased", subject=_audit_subject(wanted),
            payload={"request_id": wanted.id, "accounts": wanted.erased},
        )  # fmt: skip
        done += 1
    return done


def _standing_subject(session: Session, wanted: ErasureRequest) -> Subject | None:
    """What the requester may still ask about now (a parent still bound to the child, a
    student still linked to it or still holding the account), or None."""
    requester = auth.principal_by_id(session, wanted.requested_by)
    if requester is None:
        return None
    try:
        subject = subject_of(session, requester, wanted.student_id)
    except XuejiError:
        return None
    return subject if _concerns(wanted, subject) else None


def _audit_subject(wanted: ErasureRequest) -> str:
    if wanted.student_id is not None:
        return f"student:{wanted.student_id}"
    return f"student_account:{wanted.student_account_id}"


def purge_left(session: Session, clock: Clock, *, retention_days: int) -> int:
    """Erase the platform accounts of children who left long enough ago; returns how
    many accounts."""
    before = clock.now() - dt.timedelta(days=retention_days)
    accounts = personal_data.accounts_of_children_who_left(session, before)
    if not accounts:
        return 0
    erased = personal_data.erase(session, accounts)
    audit.record(
        session, clock, audit.SYSTEM, action="rights.purged", subject="platform",
        payload={"accounts": erased, "left_before": before.isoformat()},
    )  # fmt: skip
    return erased


def _accounts_now(subject: Subject, wanted: ErasureRequest) -> list[int]:
    """The child's accounts as they are now (one registered since goes too)."""
    if wanted.student_id is None:
        return [wanted.student_account_id] if wanted.student_account_id is not None else []
    return subject.account_ids


def _concerning(subject: Subject) -> Any:
    """The requests about the subject: about the child, or about one of its accounts
    (asked by a student before the account was linked: it still stands once linked)."""
    own = ErasureRequest.student_account_id.in_(subject.account_ids)
    if subject.student_id is not None:
        return select(ErasureRequest).where(
            or_(ErasureRequest.student_id == subject.student_id, own)
        )
    return select(ErasureRequest).where(own)


def _concerns(wanted: ErasureRequest, subject: Subject) -> bool:
    if wanted.student_account_id is not None and wanted.student_account_id in subject.account_ids:
        return True
    return subject.student_id is not None and wanted.student_id == subject.student_id


def _open_for(session: Session, subject: Subject) -> ErasureRequest | None:
    found: ErasureRequest | None = session.scalar(
        _concerning(subject).where(
            ErasureRequest.cancelled_at.is_(None), ErasureRequest.done_at.is_(None)
        )
    )
    return found


def _audit(
    session: Session,
    clock: Clock,
    principal: Principal,
    subject: Subject,
    action: str,
    wanted: ErasureRequest,
) -> None:
    audit.record(
        session, clock, actor_of(principal), action=action, subject=subject.audit_subject,
        payload={"request_id": wanted.id, "due_at": wanted.due_at.isoformat()},
    )  # fmt: skip
