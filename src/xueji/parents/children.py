"""A parent's view of their children: status, what the child can use, and the archive —
read-only, and only for children bound through a guardian phone."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.domain.errors import NotFound
from xueji.domain.masking import mask, mask_phone
from xueji.domain.relations import relation_label
from xueji.domain.statuses import ApplicationState
from xueji.parents.repository import ParentRepository
from xueji.parents.service import own_parent_account
from xueji.platform import consent, learning
from xueji.registry.lookup import RegistryRecord, lookup


def children_of(session: Session, principal: Principal) -> list[dict[str, Any]]:
    parent = own_parent_account(session, principal)
    result = []
    for student_id in ParentRepository(session).live_children(parent.id):
        record = lookup(session, student_id=student_id)
        if record is None:
            continue
        overview = learning.overview_of(session, record)
        result.append(
            {
                "student_id": student_id,
                "registry_no": mask(record.registry_no),
                "name": record.name,
                "school_name": record.school_name,
                "status": str(overview.status),
                "status_label": overview.status.label,
                "resources": {str(k): n for k, n in overview.resource_counts.items()},
                "archive": overview.archive,
                "awaiting_consent": [
                    {
                        "account_id": account.id,
                        "student_no": account.student_no,
                        "registered_at": account.created_at.isoformat(),
                    }
                    for account in consent.awaiting_children(session, record.registry_no)
                ],
            }
        )
    return result


def bound_child(session: Session, principal: Principal, student_id: int) -> RegistryRecord:
    """The record of a child the calling parent is bound to; NotFound otherwise."""
    parent = own_parent_account(session, principal)
    record = lookup(session, student_id=student_id)
    if record is None or student_id not in ParentRepository(session).live_children(parent.id):
        raise NotFound("没有找到该孩子")
    return record


def family_of(session: Session, student_id: int) -> dict[str, Any]:
    """What the parents' side holds about a child: the parent accounts bound to it
    (phones masked) and the phone-change applications filed for it."""
    repository = ParentRepository(session)
    return {
        "bound_parents": [
            {"name": parent.name, "phone": mask_phone(parent.phone), "bound_at": at.isoformat()}
            for parent, at in repository.parents_of_child(student_id)
        ],
        "phone_change_applications": [
            {
                "guardian_name": a.guardian_name,
                "relation": relation_label(a.relation),
                "phone": mask_phone(a.phone),
                "state": ApplicationState(a.state).label,
                "at": a.created_at.isoformat(),
            }
            for a in repository.applications_of_child(student_id)
        ],
    }


def consent_for_child(
    session: Session, clock: Clock, principal: Principal, *, student_id: int, account_id: int
) -> dict[str, Any]:
    """A parent bound to the child consents to an account registered for the child: the
    student sees which account it was (its student number) before asking."""
    parent = own_parent_account(session, principal)
    record = lookup(session, student_id=student_id)
    if record is None or student_id not in ParentRepository(session).live_children(parent.id):
        raise NotFound("没有找到该孩子")
    # the binding follows the registry through an event; a phone the school has just
    # removed from the record consents no more, even before that event is applied
    if parent.phone_index not in record.guardian_phone_indexes:
        raise NotFound("没有找到该孩子")
    account = consent.consent_as_parent(
        session,
        clock,
        principal,
        record=record,
        account_id=account_id,
        parent_phone=parent.phone,
    )
    return {"student_no": account.student_no, "status": account.status}
