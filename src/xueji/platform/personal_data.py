"""What the platform holds about a child's accounts, for the family's own copy (PIPL
art. 45), and their erasure (art. 47): an erased account goes with its sessions,
learning records, archive entries, notices and consents (foreign keys cascade from the
sign-in account); the registry record is the school's legal record and stays."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from xueji.auth import service as auth
from xueji.db.crypto import registry_no_index
from xueji.domain.enrollment import LEFT
from xueji.domain.statuses import AccountStatus
from xueji.platform.models import (
    AccountNotice,
    GuardianConsent,
    LearningRecord,
    Resource,
    StudentAccount,
    StudentProjection,
)
from xueji.registry.lookup import lookup


def accounts_of_child(session: Session, student_id: int) -> list[int]:
    """The child's student accounts: those linked to the record now; those a guardian
    confirmed as the child's (consent given, the fields not matching yet); and those
    linked to it before a revocation (reclaimed by a registration a guardian verified: a
    child who forgot a password and registered again). An account that only typed the
    child's number is someone's claim, not the child's data: staff deal with it through
    the unmatched-accounts queue."""
    consented = select(GuardianConsent.student_account_id).where(
        GuardianConsent.student_id == student_id
    )
    record = lookup(session, student_id=student_id)
    revoked: ColumnElement[bool] = false()
    if record is not None:
        revoked = and_(
            StudentAccount.status == AccountStatus.REVOKED,
            StudentAccount.registry_index == registry_no_index(record.registry_no),
        )
    return list(
        session.scalars(
            select(StudentAccount.id)
            .where(
                or_(
                    StudentAccount.student_id == student_id,
                    StudentAccount.id.in_(consented),
                    revoked,
                )
            )
            .order_by(StudentAccount.id)
        )
    )


def export_accounts(session: Session, account_ids: list[int]) -> list[dict[str, Any]]:
    """Each account as its owner entered it, with everything done under it."""
    found = []
    for account in session.scalars(
        select(StudentAccount).where(StudentAccount.id.in_(account_ids)).order_by(StudentAccount.id)
    ):
        found.append(
            {
                "student_no": account.student_no,
                "registry_no": account.registry_no,
                "name": account.name,
                "gender": account.gender,
                "birth_date": account.birth_date.isoformat(),
                "school_name": account.school_name,
                "status": AccountStatus(account.status).label,
                "created_at": account.created_at.isoformat(),
                "activated_at": _iso(account.activated_at),
                "learning_records": _records(session, account.id),
                "notices": [
                    {"message": n.message, "at": n.created_at.isoformat()}
                    for n in session.scalars(
                        select(AccountNotice).where(AccountNotice.student_account_id == account.id)
                    )
                ],
                "consents": [
                    {"method": c.method, "guardian": c.guardian, "at": c.at.isoformat()}
                    for c in session.scalars(
                        select(GuardianConsent).where(
                            GuardianConsent.student_account_id == account.id
                        )
                    )
                ],
            }
        )
    return found


def _records(session: Session, account_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(LearningRecord, Resource.title)
        .join(Resource, Resource.id == LearningRecord.resource_id)
        .where(LearningRecord.student_account_id == account_id)
        .order_by(LearningRecord.at, LearningRecord.id)
    )
    return [
        {"resource": title, "action": r.action, "content": r.content, "at": r.at.isoformat()}
        for r, title in rows
    ]


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def sign_in_accounts(session: Session, account_ids: list[int]) -> list[int]:
    """The sign-in accounts (``accounts.id``) behind these student accounts."""
    return list(
        session.scalars(select(StudentAccount.account_id).where(StudentAccount.id.in_(account_ids)))
    )


def erase(session: Session, account_ids: list[int]) -> int:
    """Delete these student accounts and everything under them; returns how many."""
    owners = sign_in_accounts(session, account_ids)
    auth.delete_accounts(session, owners)
    return len(owners)


def accounts_of_children_who_left(session: Session, before: dt.datetime) -> list[int]:
    """Student accounts of children whose record the platform last saw leave (graduated
    or withdrawn) before ``before`` and not come back since."""
    left = select(StudentProjection.student_id).where(
        StudentProjection.status.in_(sorted(LEFT)), StudentProjection.left_at < before
    )
    consented = select(GuardianConsent.student_account_id).where(
        GuardianConsent.student_id.in_(left)
    )
    return list(
        session.scalars(
            select(StudentAccount.id).where(
                or_(StudentAccount.student_id.in_(left), StudentAccount.id.in_(consented))
            )
        )
    )
