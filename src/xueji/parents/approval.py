"""Approving a phone-change application: the applicant's phone becomes the child's
guardian phone — replacing the guardian of the same relation, else added; when the child
already has the most guardians the registry keeps, replacing the one the administrator
chose. A phone taken off is told by SMS once the approval is committed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.domain.errors import Conflict, XuejiError
from xueji.parents.applications import APPROVED, deciding, record_decision
from xueji.parents.models import PhoneChangeApplication
from xueji.registry import service as registry
from xueji.registry.validation import MAX_GUARDIANS, GuardianFacts
from xueji.sms import SmsSender

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Approval:
    """An approved application, and the phones it took off the child's guardians: each
    is told by SMS once the approval is committed (``notify``)."""

    application: PhoneChangeApplication
    replaced: tuple[str, ...]

    def notify(self, sender: SmsSender) -> None:
        for phone in self.replaced:
            sender.send(phone, REPLACED_TEXT)


#: what a guardian whose phone an approval replaced is told (no child is named: the
#: phone may have changed hands)
REPLACED_TEXT = (
    "【学迹】学校已根据家长联系方式变更申请，将您的手机号从一名学生的监护人联系电话中移除。"
    "如有疑问，请联系学校。"
)


def approve(
    session: Session,
    clock: Clock,
    principal: Principal,
    application_id: int,
    *,
    reason: str = "",
    replace: int | None = None,
    version: int | None = None,
) -> Approval:
    """The school administrator records the applicant's phone as the child's guardian
    phone: replacing the (first) guardian of the same relation, else adding one — or,
    when the child has the most guardians the registry keeps, replacing the one the
    administrator chose (``replace``: its place in the list, from 1). ``version``: the
    student's as the page showed it; a list changed since is refused, since ``replace``
    would then point at someone else."""
    application = deciding(session, principal, application_id)
    located = registry.locate_by_id(session, principal, application.student_id)
    if version is not None and version != located.student.event_sequence:
        raise Conflict(
            "该学生的信息在你打开此页后已有变化：请核对现有监护人后重新审核", code="RECORD_CHANGED"
        )
    newcomer = GuardianFacts(application.guardian_name, application.relation, application.phone)
    current = sorted(located.guardians, key=lambda g: g.rank)
    same = [g for g in current if g.relation == application.relation][:1]
    kept = [g for g in current if g not in same]
    if len(kept) >= MAX_GUARDIANS:
        if replace is None or not 1 <= replace <= len(current):
            raise Conflict(
                f"该学生已有 {MAX_GUARDIANS} 位监护人：请选择由申请人替换其中哪一位",
                code="GUARDIANS_FULL",
            )
        chosen = current[replace - 1]
        kept = [g for g in kept if g is not chosen]
    why = reason.strip() or f"家长联系方式变更申请 {application.id}"
    registry.correct_student(
        session,
        clock,
        principal,
        registry_no=located.student.registry_no,
        changes={
            "guardians": [*(GuardianFacts(g.name, g.relation, g.phone) for g in kept), newcomer]
        },
        reason=why,
    )
    application.state, application.reason = APPROVED, why
    application.decided_by, application.decided_at = principal.account_id, clock.now()
    record_decision(session, clock, principal, application, APPROVED)
    staying = {g.phone for g in kept} | {application.phone}
    replaced = tuple(dict.fromkeys(g.phone for g in current if g.phone not in staying))
    return Approval(application, replaced)


def notify_replaced(approval: Approval, sender: SmsSender) -> None:
    """Tell the replaced phones, after the approval is committed: a gateway that fails
    leaves the approval standing, and is logged (without the phones)."""
    try:
        approval.notify(sender)
    except XuejiError as failed:
        log.warning(
            "变更申请 %d 已通过，但通知被替换的监护人手机号的短信未能发出：%s",
            approval.application.id,
            failed.code,
        )
