"""What an import tells its uploader about children of other schools, audited and
bounded.

Classifying a file looks every number up in the whole registry: a row is rejected as
``STUDENT_AT_OTHER_SCHOOL`` (enrolled there now) or admitted as having left another
school. A dry run answers that for any list of numbers — so a school administrator could
probe whether any child is enrolled anywhere. Therefore every import, dry run or not,
is audited with the blind indexes of the numbers found at another school, and a school
may look up at most ``FOREIGN_ENROLLED_PER_DAY`` numbers enrolled elsewhere per day
(Beijing time): a file past that is refused before anything about its rows is said. A
clerk's real files meet a handful (a transfer not yet made); the command-line operator,
who holds the key, is not counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.db.repository import Repository
from xueji.domain.clock import CHINA, Clock, china_today
from xueji.domain.errors import Throttled
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


def check(
    session: Session, clock: Clock, principal: Principal, school_code: str, seen: Disclosed
) -> None:
    """Refuse the import if its numbers enrolled elsewhere would pass today's budget."""
    if principal.account_id is None or not seen.enrolled_elsewhere:
        return
    used = _row(session, clock, school_code)
    spent = used.numbers if used is not None else 0
    if spent + len(seen.enrolled_elsewhere) > FOREIGN_ENROLLED_PER_DAY:
        raise Throttled(
            f"本校今天的导入已查到 {spent} 个在其他学校在读的学籍号，这个文件会超过每天 "
            f"{FOREIGN_ENROLLED_PER_DAY} 个的上限，未作检查也未导入。请核对名单后明天再试，"
            "或请区县管理员协助",
            retry_after=_seconds_to_midnight(clock),
            code="IMPORT_LOOKUP_LIMIT",
        )


def count(
    session: Session, clock: Clock, principal: Principal, school_code: str, seen: Disclosed
) -> None:
    """Spend today's budget (after the import's own savepoint: a dry run counts too)."""
    if principal.account_id is None or not seen.enrolled_elsewhere:
        return
    table = ForeignLookups.__table__
    added = len(seen.enrolled_elsewhere)
    statement = (
        Repository(session)
        .insert(table)
        .values(school_code=school_code, day=china_today(clock), numbers=added)
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.school_code, table.c.day],
            set_={"numbers": table.c.numbers + added},
        )
    )


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
