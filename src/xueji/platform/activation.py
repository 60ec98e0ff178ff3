"""How a student account's state follows the five fields and a guardian's consent.

    pending ──(five fields match)──▶ awaiting_guardian ──(guardian consents)──▶ active
       ▲                                   │                                    │
       └───────(a field differs)───────────┘         a verified account ────────┘
                                                     reclaims the number: the
                                                     other active one is revoked

A guardian's consent (``consent``) marks the account verified: a verified account whose
fields match is active at once, on registration, on correcting its own details, or when
the school's correction makes the registry match. A verified account whose number is
held by another active account reclaims it: that account is revoked (its sessions end,
and it is told why at its next sign-in); the learning records it made while linked stay
in the student's archive, keyed by the registry number.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth import service as auth
from xueji.db.crypto import registry_no_index
from xueji.domain.clock import Clock
from xueji.domain.errors import Conflict
from xueji.domain.five_fields import compare
from xueji.domain.statuses import AccountStatus
from xueji.platform.archive import land
from xueji.platform.models import StudentAccount
from xueji.platform.projection import project
from xueji.platform.repository import PlatformRepository
from xueji.registry.lookup import RegistryRecord

RECLAIMED = (
    "该学籍号已由经监护人确认的学生账号重新激活，本账号与学籍的关联已解除。如有疑问，请联系学校。"
)


def settle(
    session: Session, clock: Clock, account: StudentAccount, record: RegistryRecord | None
) -> bool:
    """Put the account in the state its fields and consent call for; True if it matches."""
    if record is None or compare(account.five_fields(), record.five_fields()):
        account.status = AccountStatus.PENDING
        return False
    if account.verified_at is None:
        account.status = AccountStatus.AWAITING_GUARDIAN
        return True
    activate(session, clock, account, record)
    return True


def activate(
    session: Session, clock: Clock, account: StudentAccount, record: RegistryRecord
) -> None:
    """Link the account, revoking any other account linked to the number; the database
    refuses a second active account for one number (two workers at once)."""
    repository = PlatformRepository(session)
    holder = repository.active_for(account.registry_index)
    if holder is not None and holder.id != account.id:
        revoke(session, clock, holder, reclaimed_by=account)
    try:
        with session.begin_nested():
            account.status, account.student_id = AccountStatus.ACTIVE, record.student_id
            account.active_registry_index = account.registry_index
            account.activated_at = clock.now()
            session.flush()
    except IntegrityError:
        raise Conflict("该学籍号已有激活的账号", code="ACCOUNT_ALREADY_ACTIVE") from None
    if repository.projection(record.student_id) is None:
        project(session, clock, record, sequence=0)
    land(session, clock, account)


def revoke(
    session: Session, clock: Clock, account: StudentAccount, *, reclaimed_by: StudentAccount
) -> None:
    """End the account's link to its number: it keeps its sign-in, loses the student's
    data and permissions, and its sessions end now."""
    account.status = AccountStatus.REVOKED
    account.active_registry_index, account.student_id = None, None
    account.revoked_at, account.revoked_reason = clock.now(), RECLAIMED
    session.flush()
    auth.end_sessions(session, account.account_id)
    for subject, other, action in (
        (account, reclaimed_by, "student_account.revoked"),
        (reclaimed_by, account, "student_account.reclaimed"),
    ):
        audit.record(
            session,
            clock,
            audit.SYSTEM,
            action=action,
            subject=f"student_account:{subject.id}",
            payload={"other_account": other.id, "reason": "guardian_verified_registration"},
        )


def relink(session: Session, clock: Clock, record: RegistryRecord) -> int:
    """After a registry change: every waiting account for the number takes the state its
    fields now call for; at most one verified account is activated. Returns how many."""
    repository = PlatformRepository(session)
    activated = 0
    for account in repository.waiting_for(registry_no_index(record.registry_no)):
        if activated and account.verified_at is not None:
            continue  # the number is taken by the one just activated
        try:
            matched = settle(session, clock, account, record)
        except Conflict:  # another worker linked an account for this number first
            return activated
        activated += matched and account.status == AccountStatus.ACTIVE
    return activated
