"""What every registry change writes besides itself: an audit entry and an outbox event,
in the caller's transaction. Event types and fields: ``docs/events.md``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.registry.models import Guardian, School, Student
from xueji.registry.repository import RegistryRepository
from xueji.sync import outbox

STUDENT_REGISTERED = "student.registered"
STUDENT_CORRECTED = "student.corrected"
STATUS_CHANGED = "student.status_changed"
STUDENT_TRANSFERRED = "student.transferred"
STUDENT_ADMITTED = "student.admitted"
GUARDIANS_CHANGED = "student.guardians_changed"


def actor_of(principal: Principal | None) -> audit.Actor:
    if principal is None:
        return audit.SYSTEM
    return audit.Actor(principal.account_id, principal.username)


def snapshot(student: Student, school: School, guardians: list[Guardian]) -> dict[str, Any]:
    """The student's full record, for audit entries (encrypted) and the registry lookup."""
    return {
        "registry_no": student.registry_no,
        "name": student.name,
        "gender": student.gender,
        "birth_date": student.birth_date.isoformat(),
        "school_code": school.code,
        "school_name": school.name,
        "region_code": school.region_code,
        "class_id": student.class_id,
        "status": student.status,
        "guardians": [
            {"name": g.name, "relation": g.relation, "phone": g.phone} for g in guardians
        ],
    }


def audit_student(
    session: Session,
    clock: Clock,
    principal: Principal | None,
    *,
    student_id: int,
    school_code: str,
    action: str,
    payload: dict[str, Any],
) -> None:
    """One audit entry about one student, filed under the student's school."""
    _audit(session, clock, principal, f"student:{student_id}", school_code, action, payload)


def audit_school(
    session: Session,
    clock: Clock,
    principal: Principal | None,
    *,
    school_code: str,
    action: str,
    payload: dict[str, Any],
) -> None:
    """One audit entry about a school as a whole (a year-end promotion)."""
    _audit(session, clock, principal, f"school:{school_code}", school_code, action, payload)


def _audit(
    session: Session,
    clock: Clock,
    principal: Principal | None,
    subject: str,
    school_code: str,
    action: str,
    payload: dict[str, Any],
) -> None:
    audit.record(
        session,
        clock,
        actor_of(principal),
        action=action,
        subject=subject,
        school_code=school_code,
        payload=payload,
    )


def record_student_change(
    session: Session,
    clock: Clock,
    principal: Principal | None,
    *,
    event_type: str,
    student: Student,
    audit_payload: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
    bulk: bool = False,
) -> None:
    """Audit the change and publish the next event of this student's sequence. The event
    says what changed (``extra``: field names, statuses, school and region codes), never
    the personal data itself. ``audit_payload`` None: already audited by the caller.
    ``bulk``: a change made by an import, which the platform takes after interactive
    ones."""
    if audit_payload is not None:
        audit_student(
            session,
            clock,
            principal,
            student_id=student.id,
            school_code=student.school_code,
            action=event_type,
            payload=audit_payload,
        )
    student.event_sequence += 1
    outbox.publish(
        session,
        clock,
        event_type=event_type,
        student_id=student.id,
        sequence=student.event_sequence,
        payload=dict(extra or {}),
        bulk=bulk,
    )


RESYNC = "student.resync"


def publish_resync(
    session: Session, clock: Clock, principal: Principal | None, student_ids: list[int]
) -> int:
    """Ask the platform to read these students again, through the normal event path (the
    reconciliation's repair). One audit entry names the students; each gets the next
    event of its sequence. Returns how many events were published."""
    repository = RegistryRepository(session)
    published = 0
    for student_id in sorted(set(student_ids)):
        student = repository.student_by_id(student_id, lock=True)
        if student is None:
            continue
        record_student_change(
            session,
            clock,
            principal,
            event_type=RESYNC,
            student=student,
            audit_payload=None,
            extra={"reason": "reconcile"},
            bulk=True,  # background work: a clerk's change never waits behind a repair
        )
        published += 1
    if published:
        audit.record(
            session,
            clock,
            actor_of(principal),
            action="sync.resync_requested",
            subject="reconcile",
            payload={"first_student_ids": sorted(set(student_ids))[:100], "published": published},
        )
    return published
