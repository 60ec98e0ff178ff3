"""``GET /api/v1/me/diagnosis``: the student's own pending account, field by field (see
``xueji.domain.diagnosis``), with the notices their school sent."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.diagnosis import CONSENT_STEPS, field_results, next_steps
from xueji.domain.statuses import AccountStatus
from xueji.platform import service, waiting


def diagnose(session: Session, principal: Principal) -> dict[str, Any]:
    """Field by field. Until a guardian has verified the account, only whether each field
    matches: no kind, no position — whoever typed them may be a stranger with a child's
    ID number (``docs/verification.md``)."""
    account = service.own_account(session, principal)
    results = field_results(service.mismatches_of(session, account))
    notices = waiting.notices_for(session, account.id)
    verified = account.verified_at is not None
    return {
        "status": account.status,
        "linked": account.status == AccountStatus.ACTIVE,
        "verified": verified,
        "fields": [r.as_json() if verified else r.named_only() for r in results],
        "next_steps": (
            CONSENT_STEPS
            if account.status == AccountStatus.AWAITING_GUARDIAN
            else next_steps(results)
        ),
        "notices": [notice.as_json() for notice in notices],
    }
