"""Counts of student accounts for the administrators' overview: by state, and the
waiting ones by which of the five fields still differs. Only counts leave this module."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from xueji.domain.statuses import AccountStatus
from xueji.platform.models import StudentAccount
from xueji.platform.repository import PlatformRepository
from xueji.platform.service import mismatches_of
from xueji.platform.waiting import Queue

#: the waiting accounts whose differences the overview works out (each is a registry
#: lookup); beyond it the overview says how many were left out
MISMATCH_SAMPLE = 2000


def accounts_by_state(session: Session, queues: Iterable[Queue]) -> Counter[str]:
    """Accounts of the schools of ``queues`` by state: those whose number is one of the
    schools' students', and the pending ones routed to them by the school name."""
    counts: Counter[str] = Counter()
    for queue in queues:
        route = queue.route
        belongs = or_(
            StudentAccount.registry_index.in_(route.registry_indexes),
            and_(
                StudentAccount.status == AccountStatus.PENDING,
                StudentAccount.school_name == route.school_name,
                StudentAccount.area_prefix == route.area_prefix,
                ~route.on_record(StudentAccount.__table__.c.registry_index),
            ),
        )
        rows = session.execute(
            select(StudentAccount.status, func.count())
            .where(belongs)
            .group_by(StudentAccount.status)
        )
        counts.update({status: count for status, count in rows})
    return counts


def waiting_by_mismatch(session: Session, queues: Iterable[Queue]) -> tuple[Counter[str], int]:
    """Pending accounts by the field that differs (``registry_no``: the number is on no
    record; an account with several differing fields counts under each), and how many
    were left out: each is a registry lookup, so at most ``MISMATCH_SAMPLE`` of them in
    all (the oldest of each school first, school by school)."""
    counts: Counter[str] = Counter()
    left_out, budget = 0, MISMATCH_SAMPLE
    repository = PlatformRepository(session)
    for queue in queues:
        waiting = repository.count_waiting(queue.route)
        taken = min(waiting, budget)
        left_out += waiting - taken
        budget -= taken
        if not taken:
            continue
        for account in repository.waiting(queue.route, after=None, limit=taken):
            counts.update({mismatch.field for mismatch in mismatches_of(session, account)})
    return counts, left_out
