"""What an import tells its uploader about children of other schools, audited and
bounded.

Classifying a file looks every number up in the whole registry: a row is rejected as
``STUDENT_AT_OTHER_SCHOOL`` (enrolled there now) or admitted as having left another
school. A dry run answers that for any list of numbers — so a school administrator could
probe whether any child is enrolled anywhere. Therefore every import, dry run or not,
is audited with the blind indexes of the numbers found at another school, and a school
may look up at most ``FOREIGN_ENROLLED_PER_DAY`` numbers enrolled elsewhere per day
(Beijing time). A file that would pass that is refused before anything about its rows
is said, the rest of the day's budget is spent by the refusal and the refusal audited;
once the budget is spent, every file is refused before it is read. So the refusal can
answer "this file holds more numbers enrolled elsewhere than are left" at most once a
day, and never for free. A clerk's real files meet a handful (a transfer not yet made);
the command-line operator, who holds the key, is not counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth.service import Principal
from xueji.db.repository import Repository
from xueji.domain.clock import CHINA, Clock, china_today
from xueji.domain.errors import Throttled
from xueji.registry.events import actor_of
from xueji.registry.imports.models import ForeignLookups, ImportRow

#: numbers enrolled at another school one school's imports may look up per day
FOREIGN_ENROLLED_PER_DAY = 50
R = ImportRow


@dataclass(frozen=True, slots=True)
class Disclosed:
    """The blind indexes of the file's numbers found at another school."""

    enrolled_elsewhere: list[bytes]
    left_elsewhere: list[bytes]

    def audit_payload(self) -> dict[str, Any]:
        return {
            "enrolled_elsewhere": [index.hex() for index in self.enrolled_elsewhere],
            "left_elsewhere": [index.hex() for index in self.left_elsewhere],
        }


def disclosed(session: Session, import_id: int) -> Disclosed:
    """Read from the classified staging rows (before a dry run rolls them back)."""

    def indexes(*condition: Any) -> list[bytes]:
        statement = select(R.registry_index).where(R.import_id == import_id, *condition)
        return sorted({bytes(index) for index in session.scalars(statement)})

    return Disclosed(
        indexes(R.code == "STUDENT_AT_OTHER_SCHOOL"),
        indexes(R.code.is_(None), R.kind == "admitted"),
    )


class BudgetSpent(Throttled):
    """The school's daily budget is spent (or this file would spend it): nothing about
    the file's rows is said. Returned, not raised, by ``import_upload``, so that the
    spent budget and the audit entry of a refused file are kept."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(
            f"本校今天查询其他学校在读学生学籍号的额度（每天 {FOREIGN_ENROLLED_PER_DAY} 个）"
            "已用完或将被这个文件用完，文件未作检查也未导入。请核对名单后明天再试，"
            "或请区县管理员协助",
            retry_after=_seconds_to_midnight(clock),
            code="IMPORT_LOOKUP_LIMIT",
        )


def refuse_if_spent(session: Session, clock: Clock, principal: Principal, school_code: str) -> None:
    """Before the file is read: once the budget is spent every import is refused,
    whatever its file holds — a refusal that depended on the file would itself answer
    whether a number is enrolled elsewhere."""
    if principal.account_id is None:
        return
    used = _row(session, clock, school_code)
    if used is not None and used.numbers >= FOREIGN_ENROLLED_PER_DAY:
        raise BudgetSpent(clock)


def spend(
    session: Session, clock: Clock, principal: Principal, school_code: str, seen: Disclosed
) -> bool:
    """Count the file's numbers enrolled elsewhere against today's budget; True when
    that passes it (the caller then refuses through ``refusal``). One upsert that
    returns the new total: two imports at once on PostgreSQL queue on the row's lock
    instead of both reading the old count."""
    if principal.account_id is None or not seen.enrolled_elsewhere:
        return False
    return _add(session, clock, school_code, len(seen.enrolled_elsewhere)) > (
        FOREIGN_ENROLLED_PER_DAY
    )


def refusal(
    session: Session,
    clock: Clock,
    principal: Principal,
    school_code: str,
    seen: Disclosed,
    *,
    filename: str,
    digest: str,
) -> BudgetSpent:
    """After the import's own work is rolled back: the day's budget is spent (so the next
    file is refused before it is read) and the refused file is audited with what it
    looked up."""
    _add(session, clock, school_code, FOREIGN_ENROLLED_PER_DAY)
    audit.record(
        session,
        clock,
        actor_of(principal),
        action="registry.import_refused",
        subject=f"school:{school_code}",
        school_code=school_code,
        payload={"file": filename[:255], "sha256": digest, **seen.audit_payload()},
    )
    return BudgetSpent(clock)


def _add(session: Session, clock: Clock, school_code: str, added: int) -> int:
    table = ForeignLookups.__table__
    statement = (
        Repository(session)
        .insert(table)
        .values(school_code=school_code, day=china_today(clock), numbers=added)
    )
    total = session.scalar(
        statement.on_conflict_do_update(
            index_elements=[table.c.school_code, table.c.day],
            set_={"numbers": table.c.numbers + added},
        ).returning(table.c.numbers)
    )
    return int(total or added)


def _row(session: Session, clock: Clock, school_code: str) -> ForeignLookups | None:
    return session.scalar(
        select(ForeignLookups).where(
            ForeignLookups.school_code == school_code, ForeignLookups.day == china_today(clock)
        )
    )


def _seconds_to_midnight(clock: Clock) -> int:
    now = clock.now().astimezone(CHINA)
    tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=CHINA)
    return max(1, int((tomorrow - now).total_seconds()))
