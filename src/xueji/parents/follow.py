"""How parent accounts follow a batch of registry changes, set-wise: a parent whose phone
is now a guardian phone of an affected student is bound to the child, a binding whose
phone no longer is one ends, and open phone-change applications follow their student to
a new school — three statements for the whole batch, whatever its size."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, insert, literal, select, true, update
from sqlalchemy.orm import Session

from xueji.db.base import UTCDateTime
from xueji.domain.clock import Clock
from xueji.domain.statuses import OPEN_APPLICATION_STATES
from xueji.parents.models import ParentAccount, ParentBinding, PhoneChangeApplication
from xueji.registry.lookup import current_states, guardian_phone_indexes
from xueji.sync.affected import Affected


def follow_registry(session: Session, clock: Clock, affected: Affected) -> None:
    now = clock.now()
    bind_and_unbind(session, affected, now)
    move_open_applications(session, affected)


def bind_and_unbind(session: Session, affected: Affected, now: dt.datetime) -> None:
    guardians = guardian_phone_indexes(affected)
    wanted = (
        select(ParentAccount.id.label("parent_id"), guardians.c.student_id)
        .join(guardians, guardians.c.phone_index == ParentAccount.phone_index)
        .distinct()
        .subquery("wanted")
    )
    binding = ParentBinding
    live = (
        select(binding.id)
        .where(
            binding.parent_account_id == wanted.c.parent_id,
            binding.student_id == wanted.c.student_id,
            binding.ended_at.is_(None),
        )
        .exists()
    )
    session.execute(
        insert(binding).from_select(
            ["parent_account_id", "student_id", "bound_at"],
            select(wanted.c.parent_id, wanted.c.student_id, literal(now, UTCDateTime()))
            .where(true(), ~live)
            .order_by(wanted.c.student_id, wanted.c.parent_id),
        )
    )
    still_wanted = (
        select(guardians.c.student_id)
        .join(ParentAccount, ParentAccount.phone_index == guardians.c.phone_index)
        .where(
            guardians.c.student_id == binding.student_id,
            ParentAccount.id == binding.parent_account_id,
        )
        .exists()
    )
    session.execute(
        update(binding)
        .where(affected.condition(binding.student_id), binding.ended_at.is_(None), ~still_wanted)
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )


def move_open_applications(session: Session, affected: Affected) -> None:
    """A transfer takes the student's open applications along to the new school."""
    states = current_states(affected)
    application = PhoneChangeApplication
    session.execute(
        update(application)
        .where(
            and_(
                application.student_id == states.c.student_id,
                application.state.in_(OPEN_APPLICATION_STATES),
                application.school_code != states.c.school_code,
            )
        )
        .values(school_code=states.c.school_code)
        .execution_options(synchronize_session=False)
    )
