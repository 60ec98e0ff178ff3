"""``GET /api/v1/me/diagnosis``: the student's own pending account, field by field (see
``xueji.domain.diagnosis``), with the notices their school sent."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.diagnosis import field_results, next_steps
from xueji.domain.statuses import AccountStatus
from xueji.platform import service, waiting


def diagnose(session: Session, principal: Principal) -> dict[str, Any]:
    account = service.own_account(session, principal)
    results = field_results(service.mismatches_of(session, account))
    notices = waiting.notices_for(session, account.id)
    return {
        "status": account.status,
        "linked": account.status == AccountStatus.ACTIVE,
        "fields": [r.as_json() for r in results],
        "next_steps": next_steps(results),
        "notices": [notice.as_json() for notice in notices],
    }
