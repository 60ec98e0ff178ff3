"""The family's copy of a child's data (PIPL art. 45): the registry record, every
platform account of the child with what was done under it, the parents bound to the
child and their applications, and which audited acts touched the record. Other people's
phones in it are masked; the child's own numbers are not. Every export is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.parents import children
from xueji.platform import personal_data
from xueji.registry import personal_data as registry_data
from xueji.registry.events import actor_of
from xueji.rights.subject import subject_of

FORMAT_VERSION = 1


def export(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    student_id: int | None = None,
    form: str = "json",
) -> dict[str, Any]:
    subject = subject_of(session, principal, student_id)
    copy: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "generated_at": clock.now().isoformat(),
        "requested_by": principal.role.label,
        "registry": (
            registry_data.record_of(session, subject.student_id)
            if subject.student_id is not None
            else None
        ),
        "accounts": personal_data.export_accounts(session, subject.account_ids),
        "family": (
            children.family_of(session, subject.student_id)
            if subject.student_id is not None
            else None
        ),
    }
    audit.record(
        session,
        clock,
        actor_of(principal),
        action="rights.exported",
        subject=subject.audit_subject,
        payload={"form": form, "accounts": len(subject.account_ids)},
    )
    return copy
