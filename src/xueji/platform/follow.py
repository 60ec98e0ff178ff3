"""How the platform follows a batch of registry changes, set-wise: its projection of every
affected student (status, school, region, class) in one upsert, the linked accounts'
details brought to the registry's in one update, and the few waiting accounts whose
number is among the students' taken through activation one by one (after a school's
correction they may now match).

Every statement reads the registry's current state (``registry.lookup.current_states``),
so applying a batch again, or an older event after a newer one, converges on the same
state; the projection's ``applied_sequence`` never goes back, and a projection a newer
event has written is left as it is.

Events of one student are never handled at the same time (``sync.outbox``), but an import
chunk holds no one back: on PostgreSQL another worker may apply a student's suspension
while the chunk's statements run, each with a snapshot taken before that suspension
committed. The chunk therefore first locks the projections of its students that exist
(``lock_chunk``), in student order, before it reads anything: a worker applying one
student's event waits for the chunk, or the chunk waits for it and then reads what it
committed; and its upsert leaves alone a projection a newer event wrote meanwhile."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import FromClause, and_, case, func, literal, null, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from xueji.db.base import UTCDateTime
from xueji.db.crypto import registry_no_index
from xueji.domain.clock import Clock
from xueji.domain.enrollment import LEFT
from xueji.platform import activation
from xueji.platform.models import ArchiveEntry, StudentAccount, StudentProjection
from xueji.platform.repository import WAITING
from xueji.registry.lookup import current_states, former_indexes, lookup
from xueji.sync.affected import Affected


def follow_registry(session: Session, clock: Clock, affected: Affected) -> None:
    lock_chunk(session, affected)
    states = current_states(affected)
    now = clock.now()
    upsert_projections(session, states, affected, now)
    move_renumbered(session, states)
    refresh_linked(session, states)
    relink_waiting(session, clock, states)


def lock_chunk(session: Session, affected: Affected) -> None:
    """PostgreSQL, a batch with an import chunk: lock the projections of its students
    that exist, in student order (two chunks never wait for each other in a cycle). SQLite
    has one writer at a time and needs no lock."""
    if not affected.ranges or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        select(StudentProjection.student_id)
        .where(affected.condition(StudentProjection.student_id))
        .order_by(StudentProjection.student_id)
        .with_for_update()
    )


def upsert_projections(
    session: Session, states: FromClause, affected: Affected, now: dt.datetime
) -> None:
    """One ``INSERT … SELECT … ON CONFLICT DO UPDATE`` for every affected student."""
    c = states.c
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = select(
        c.student_id,
        c.status,
        c.school_code,
        c.region_code,
        c.class_id,
        affected.sequence(c.student_id),
        literal(now, UTCDateTime()),
        case((c.status.in_(sorted(LEFT)), literal(now, UTCDateTime())), else_=null()),
    ).where(true())  # SQLite: an INSERT … SELECT … ON CONFLICT needs a WHERE to parse
    statement = insert(StudentProjection).from_select(
        [
            "student_id",
            "status",
            "school_code",
            "region_code",
            "class_id",
            "applied_sequence",
            "updated_at",
            "left_at",
        ],
        rows,
    )
    new = statement.excluded
    newest = func.greatest if dialect == "postgresql" else func.max  # SQLite: scalar max
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["student_id"],
            set_={
                "status": new.status,
                "school_code": new.school_code,
                "region_code": new.region_code,
                "class_id": new.class_id,
                "applied_sequence": newest(
                    StudentProjection.applied_sequence, new.applied_sequence
                ),
                "updated_at": new.updated_at,
                # the day the student left stays while they stay out of school
                "left_at": case(
                    (
                        new.status.in_(sorted(LEFT)) & StudentProjection.status.in_(sorted(LEFT)),
                        func.coalesce(StudentProjection.left_at, new.left_at),
                    ),
                    else_=new.left_at,
                ),
            },
            # a newer event's projection (written by another worker meanwhile) stays
            where=StudentProjection.applied_sequence <= new.applied_sequence,
        )
    )


def move_renumbered(session: Session, states: FromClause) -> None:
    """An account linked to a student whose number changed (a J number given up for the
    G number of a resident ID) takes the new number: its link, its own copy and its
    archive. One read, which finds none but on such a change."""
    c = states.c
    moved = session.execute(
        select(StudentAccount, c.registry_index).join(
            states,
            and_(
                StudentAccount.student_id == c.student_id,
                StudentAccount.active_registry_index.is_not(None),
                StudentAccount.active_registry_index != c.registry_index,
            ),
        )
    ).all()
    for account, index in moved:
        record = lookup(session, student_id=account.student_id)
        if record is None:
            continue
        session.execute(
            update(ArchiveEntry)
            .where(ArchiveEntry.registry_index == account.registry_index)
            .values(registry_index=index)
        )
        account.registry_no = record.registry_no
        account.registry_index = account.active_registry_index = index
    if moved:
        session.flush()
    _move_waiting(session, states)


def _move_waiting(session: Session, states: FromClause) -> None:
    """An account not yet linked (waiting for a guardian's consent, or for its number to
    be on record) holds the number it registered with. When the student gave that number
    up for a resident ID, the account takes the new one, so that the consent activates
    it and signing in with the new number finds it. One read, which finds none but on
    such a change."""
    for student_id, former in former_indexes(session, select(states.c.student_id)):
        waiting = session.scalars(
            select(StudentAccount).where(
                StudentAccount.registry_index == former,
                StudentAccount.active_registry_index.is_(None),
            )
        ).all()
        record = lookup(session, student_id=student_id) if waiting else None
        if record is None:
            continue
        index = registry_no_index(record.registry_no)
        session.execute(
            update(ArchiveEntry)
            .where(ArchiveEntry.registry_index == former)
            .values(registry_index=index)
        )
        for account in waiting:
            account.registry_no, account.registry_index = record.registry_no, index
        session.flush()


def refresh_linked(session: Session, states: FromClause) -> None:
    """After a correction the linked account's details follow the registry (the link is
    the registry number; the registry is the authority): one ``UPDATE … FROM``, touching
    only accounts that differ."""
    c = states.c
    account = StudentAccount
    session.execute(
        update(account)
        .where(
            account.active_registry_index == c.registry_index,
            or_(
                account.name != c.name,
                account.gender != c.gender,
                account.birth_date != c.birth_date,
                account.school_name != c.school_name,
                account.student_id.is_(None),
                account.student_id != c.student_id,
            ),
        )
        .values(
            name=c.name,
            gender=c.gender,
            birth_date=c.birth_date,
            school_name=c.school_name,
            student_id=c.student_id,
        )
        .execution_options(synchronize_session=False)
    )


def relink_waiting(session: Session, clock: Clock, states: FromClause) -> int:
    """Waiting accounts whose number is one of the affected students' (one read; at term
    start almost always none) take the state their fields now call for."""
    student_ids = session.scalars(
        select(states.c.student_id)
        .join(
            StudentAccount,
            and_(
                StudentAccount.registry_index == states.c.registry_index,
                StudentAccount.status.in_(WAITING),
            ),
        )
        .distinct()
        .order_by(states.c.student_id)
    ).all()
    activated = 0
    for student_id in student_ids:
        record = lookup(session, student_id=student_id)
        if record is not None:
            activated += activation.relink(session, clock, record)
    return activated
