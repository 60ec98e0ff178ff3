"""Accounts waiting for an exact match, as a school's unmatched-accounts queue reads them
(``xueji.verification``), and the school's notices to them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import Session

from xueji.domain.clock import Clock
from xueji.domain.five_fields import FiveFields
from xueji.platform.models import AccountNotice, StudentAccount
from xueji.platform.repository import PlatformRepository, QueueRoute


@dataclass(frozen=True, slots=True)
class WaitingAccount:
    id: int
    student_no: str
    created_at: dt.datetime
    fields: FiveFields

    @classmethod
    def of(cls, account: StudentAccount) -> WaitingAccount:
        return cls(account.id, account.student_no, account.created_at, account.five_fields())


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    fields: list[str]
    message: str
    at: dt.datetime

    def as_json(self) -> dict[str, object]:
        return {"fields": self.fields, "message": self.message, "at": self.at.isoformat()}


@dataclass(frozen=True, slots=True)
class Queue:
    """A school's queue of waiting accounts (routing: ``PlatformRepository._waiting_for``)."""

    route: QueueRoute

    @classmethod
    def of_school(
        cls,
        *,
        registry_indexes: Select[bytes],
        school_name: str,
        region_code: str,
        on_record: Callable[[ColumnElement[str]], ColumnElement[bool]],
    ) -> Queue:
        return cls(QueueRoute(registry_indexes, school_name, region_code[:4], on_record))

    def page(self, session: Session, *, after: int | None, limit: int) -> list[WaitingAccount]:
        found = PlatformRepository(session).waiting(self.route, after=after, limit=limit)
        return [WaitingAccount.of(account) for account in found]

    def count(self, session: Session) -> int:
        return PlatformRepository(session).count_waiting(self.route)

    def account(self, session: Session, account_id: int) -> WaitingAccount | None:
        found = PlatformRepository(session).waiting_account(self.route, account_id)
        return None if found is None else WaitingAccount.of(found)


def add_notice(
    session: Session,
    clock: Clock,
    *,
    account_id: int,
    school_code: str,
    fields: list[str],
    message: str,
    created_by: int | None,
) -> Notice:
    notice = AccountNotice(
        student_account_id=account_id,
        school_code=school_code,
        fields=",".join(fields),
        message=message,
        created_by=created_by,
        created_at=clock.now(),
    )
    PlatformRepository(session).add(notice)
    return _notice(notice)


def notices_for(session: Session, account_id: int) -> list[Notice]:
    """A student's notices from their school, newest first."""
    return [_notice(n) for n in PlatformRepository(session).notices_for(account_id)]


def _notice(row: AccountNotice) -> Notice:
    fields = row.fields.split(",") if row.fields else []
    return Notice(row.id, fields, row.message, row.created_at)
