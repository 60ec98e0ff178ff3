"""The enrollment history (学籍异动记录) every status change, transfer and admission adds."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.domain.enrollment import ChangeKind, EnrollmentStatus
from xueji.registry.enrollment.models import EnrollmentChange
from xueji.registry.repository import RegistryRepository


def record_history(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    student_id: int,
    kind: ChangeKind,
    before: EnrollmentStatus,
    after: EnrollmentStatus,
    reason: str,
    from_school: str,
    to_school: str,
) -> None:
    RegistryRepository(session).add(
        EnrollmentChange(
            student_id=student_id,
            kind=str(kind),
            from_status=str(before),
            to_status=str(after),
            from_school_code=from_school,
            to_school_code=to_school,
            reason=reason,
            actor_id=principal.account_id,
            at=clock.now(),
        )
    )
