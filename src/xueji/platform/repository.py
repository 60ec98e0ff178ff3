"""All SQL of student accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    String,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
)

from xueji.auth import service as auth
from xueji.db.base import UTCDateTime
from xueji.db.repository import Repository
from xueji.domain.statuses import AccountStatus
from xueji.platform.models import (
    AccountNotice,
    ArchiveEntry,
    LearningRecord,
    Resource,
    StudentAccount,
    StudentProjection,
)

WAITING = (AccountStatus.PENDING, AccountStatus.AWAITING_GUARDIAN)


@dataclass(frozen=True, slots=True)
class QueueRoute:
    """Which waiting accounts reach one school's queue (see ``_waiting_for``)."""

    #: the blind indexes of the school's students' numbers (a registry subquery)
    registry_indexes: Select[bytes]
    #: the school's full name, normalised as entered names are
    school_name: str
    #: the city of the school (first four digits of its region code)
    area_prefix: str
    #: whether a number (an index column) is on any record (a registry condition)
    on_record: Callable[[ColumnElement[str]], ColumnElement[bool]]


class PlatformRepository(Repository):
    def by_student_no(self, student_no: str) -> StudentAccount | None:
        return self.session.scalar(
            select(StudentAccount).where(StudentAccount.student_no == student_no)
        )

    def by_account(self, account_id: int) -> StudentAccount | None:
        return self.session.scalar(
            select(StudentAccount).where(StudentAccount.account_id == account_id)
        )

    def active_for(self, registry_index: bytes) -> StudentAccount | None:
        return self.session.scalar(
            select(StudentAccount).where(StudentAccount.active_registry_index == registry_index)
        )

    def linked_to(self, student_id: int) -> StudentAccount | None:
        """The account linked (active) to a registry student."""
        return self.session.scalar(
            select(StudentAccount).where(
                StudentAccount.student_id == student_id,
                StudentAccount.active_registry_index.is_not(None),
            )
        )

    def student_no_for(self, registry_index: bytes) -> str | None:
        """The student number to sign in with for a registry number: the active account's,
        else that of the only account waiting for it (None when several wait). One read
        of one column: sign-in is hot."""
        rows = self.session.execute(
            select(StudentAccount.student_no, StudentAccount.active_registry_index)
            .where(
                StudentAccount.registry_index == registry_index,
                StudentAccount.status != AccountStatus.REVOKED,
            )
            .order_by(StudentAccount.active_registry_index.is_(None))
            .limit(2)
        ).all()
        if not rows:
            return None
        if rows[0].active_registry_index is not None or len(rows) == 1:
            return str(rows[0].student_no)
        return None

    def projection(self, student_id: int) -> StudentProjection | None:
        return self.session.get(StudentProjection, student_id)

    def waiting_for(self, registry_index: bytes) -> list[StudentAccount]:
        """Accounts for the number not linked yet (pending or awaiting a guardian), the
        verified first, then the oldest."""
        return list(
            self.session.scalars(
                select(StudentAccount)
                .where(
                    StudentAccount.registry_index == registry_index,
                    StudentAccount.status.in_(WAITING),
                )
                .order_by(StudentAccount.verified_at.is_(None), StudentAccount.id)
            )
        )

    def resource(self, resource_id: int) -> Resource | None:
        return self.session.get(Resource, resource_id)

    def visible_resources(self, region_code: str | None, class_id: int | None) -> list[Resource]:
        """National resources, the pools covering ``region_code``, the class's own."""
        pools = [region_code[:n] for n in (2, 4, 6)] if region_code else []
        condition = or_(
            and_(Resource.pool_region.is_(None), Resource.class_id.is_(None)),
            Resource.pool_region.in_(pools) if pools else false(),
            Resource.class_id == class_id if class_id is not None else false(),
        )
        return list(self.session.scalars(select(Resource).where(condition).order_by(Resource.id)))

    def has_record(self, account_id: int, resource_id: int, action: str) -> bool:
        return (
            self.session.scalar(
                select(LearningRecord.id)
                .where(
                    LearningRecord.student_account_id == account_id,
                    LearningRecord.resource_id == resource_id,
                    LearningRecord.action == action,
                )
                .limit(1)
            )
            is not None
        )

    def records_for(self, account_id: int, resource_id: int) -> list[LearningRecord]:
        return list(
            self.session.scalars(
                select(LearningRecord)
                .where(
                    LearningRecord.student_account_id == account_id,
                    LearningRecord.resource_id == resource_id,
                )
                .order_by(LearningRecord.at.desc(), LearningRecord.id.desc())
            )
        )

    def unarchived_records(self, account_id: int) -> list[LearningRecord]:
        landed = select(ArchiveEntry.learning_record_id)
        return list(
            self.session.scalars(
                select(LearningRecord)
                .where(
                    LearningRecord.student_account_id == account_id,
                    LearningRecord.id.not_in(landed),
                )
                .order_by(LearningRecord.id)
            )
        )

    def archive(self, registry_index: bytes) -> list[tuple[ArchiveEntry, LearningRecord, Resource]]:
        rows = self.session.execute(
            select(ArchiveEntry, LearningRecord, Resource)
            .join(LearningRecord, LearningRecord.id == ArchiveEntry.learning_record_id)
            .join(Resource, Resource.id == LearningRecord.resource_id)
            .where(ArchiveEntry.registry_index == registry_index)
            .order_by(LearningRecord.at, LearningRecord.id)
        )
        return [(entry, record, resource) for entry, record, resource in rows]

    def waiting(
        self, route: QueueRoute, *, after: int | None = None, limit: int
    ) -> list[StudentAccount]:
        """One page of waiting accounts, oldest first (after account ``after`` if given)."""
        statement = (
            select(StudentAccount)
            .where(_waiting_for(route))
            .order_by(StudentAccount.id)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(StudentAccount.id > after)
        return list(self.session.scalars(statement))

    def count_waiting(self, route: QueueRoute) -> int:
        statement = select(func.count()).where(_waiting_for(route))
        return int(self.session.scalar(statement.select_from(StudentAccount)) or 0)

    def waiting_account(self, route: QueueRoute, account_id: int) -> StudentAccount | None:
        return self.session.scalar(
            select(StudentAccount).where(StudentAccount.id == account_id, _waiting_for(route))
        )

    def notices_for(self, account_id: int) -> list[AccountNotice]:
        return list(
            self.session.scalars(
                select(AccountNotice)
                .where(AccountNotice.student_account_id == account_id)
                .order_by(AccountNotice.created_at.desc(), AccountNotice.id.desc())
            )
        )


def _waiting_for(queue: QueueRoute) -> ColumnElement[bool]:
    """Pending accounts routed to one school: those whose registry number belongs to one
    of its students — and those whose number is on no record that typed its full name
    (stored normalised), if the number's city is the school's. An account whose number is
    on record goes to that record's school only, whatever name it typed."""
    return and_(
        StudentAccount.status == AccountStatus.PENDING,
        or_(
            StudentAccount.registry_index.in_(queue.registry_indexes),
            and_(
                StudentAccount.school_name == queue.school_name,
                StudentAccount.area_prefix == queue.area_prefix,
                ~queue.on_record(StudentAccount.__table__.c.registry_index),
            ),
        ),
    )


CapabilityRow = Row[str, bool, str, int | None, str, str]


def capability_row(
    connection: Connection, token_hash: str, now: dt.datetime
) -> CapabilityRow | None:
    return connection.execute(CAPABILITY_QUERY, capability_parameters(token_hash, now)).first()


def capability_parameters(token_hash: str, now: dt.datetime) -> dict[str, object]:
    return {"token_hash": token_hash, "now": now}


def _capability_statement() -> Select[str, bool, str, int | None, str, str]:
    """Everything the capabilities answer needs, for a live session, in one round trip.
    Built once (``CAPABILITY_QUERY``) with bound parameters: building and hashing a
    statement cost far more than the indexed read itself, on the platform's hottest
    request."""
    live = auth.live_session_accounts(
        bindparam("token_hash", type_=String()), bindparam("now", type_=UTCDateTime())
    )
    return (
        select(
            live.c.role,
            live.c.is_active,
            StudentAccount.status.label("account_status"),
            StudentAccount.student_id,
            StudentProjection.status,
            StudentProjection.region_code,
        )
        .select_from(live)
        .outerjoin(StudentAccount, StudentAccount.account_id == live.c.account_id)
        .outerjoin(StudentProjection, StudentProjection.student_id == StudentAccount.student_id)
    )


CAPABILITY_QUERY = _capability_statement()
