"""The school year's calendar and a class's grade: which school year a promotion leads
into, which classes graduate, and how a class is named in the next grade or once it has
graduated (``promotion``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from xueji.registry.models import SchoolClass

#: the length of a class's name (``classes.name``)
NAME_LENGTH = 50
#: how class names start, per grade; a renamed class keeps the form it was written in
GRADE_WORDS: dict[int, tuple[str, ...]] = {
    1: ("一年级",),
    2: ("二年级",),
    3: ("三年级",),
    4: ("四年级",),
    5: ("五年级",),
    6: ("六年级",),
    7: ("七年级", "初一"),
    8: ("八年级", "初二"),
    9: ("九年级", "初三"),
    10: ("十年级", "高一"),
    11: ("十一年级", "高二"),
    12: ("十二年级", "高三"),
}
#: the grades of 初中: a school teaching one of them moves its sixth grade on
MIDDLE_GRADES = frozenset({7, 8, 9})


def school_year(today: dt.date) -> int:
    """The school year a promotion leads into: its September's year (a promotion from
    June on prepares the coming year; one before June belongs to the year under way)."""
    return today.year if today.month >= 6 else today.year - 1


def graduates(grade: int, taught: set[int]) -> bool:
    """Whether a class of ``grade`` graduates at a school teaching the grades ``taught``:
    初中 and 高中 end in an examination and the next stage is a new admission; a primary
    school's sixth grade graduates unless the school goes on to 初中 itself."""
    if grade in (9, 12):
        return True
    return grade == 6 and not taught & MIDDLE_GRADES


def next_name(name: str, grade: int) -> str:
    """The class's name in the next grade: its grade word replaced, in the same form."""
    for form, word in enumerate(GRADE_WORDS.get(grade, ())):
        if name.startswith(word):
            following = GRADE_WORDS.get(grade + 1, (word,))
            return following[min(form, len(following) - 1)] + name[len(word) :]
    return name


def graduated_name(session: Session, school_class: SchoolClass, year: int) -> str:
    """``2027届六年级(1)班``, within the column's 50 characters. A long name cut short
    could meet another class's (two names differing only at the end): then the class's
    number is added, so that each graduated class keeps a name of its own."""
    name = f"{year}届{school_class.name}"
    if len(name) <= NAME_LENGTH:
        return name
    taken = set(
        session.scalars(
            select(SchoolClass.name).where(
                SchoolClass.school_code == school_class.school_code,
                SchoolClass.grade == school_class.grade,
                SchoolClass.id != school_class.id,
            )
        )
    )
    cut = name[:NAME_LENGTH]
    if cut not in taken:
        return cut
    mark = f"#{school_class.id}"
    return name[: NAME_LENGTH - len(mark)] + mark
