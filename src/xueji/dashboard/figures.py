"""The overview's tables, for the schools an administrator sees (or one of them). Each
table is a title, a header and rows of counts, with the values its chart draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.domain.enrollment import EnrollmentStatus
from xueji.domain.errors import Forbidden, NotFound
from xueji.domain.five_fields import FIELD_LABELS
from xueji.domain.roles import Role
from xueji.domain.statuses import AccountStatus
from xueji.parents import applications
from xueji.platform import statistics as accounts
from xueji.registry import schools, statistics
from xueji.sync import ops
from xueji.verification.queue import queue_of

VIEWERS = (Role.PLATFORM_ADMIN, Role.REGION_ADMIN, Role.SCHOOL_ADMIN)
GRADE_NAMES = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]
STATUSES = list(EnrollmentStatus)
IN_SCHOOL = (EnrollmentStatus.ENROLLED, EnrollmentStatus.SUSPENDED)


class School(Protocol):
    """What the overview shows of a school (the registry's record)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def region_code(self) -> str: ...


def grade_label(grade: int | None) -> str:
    return "未分班" if grade is None else f"{GRADE_NAMES[grade - 1]}年级"


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list[str | int]]
    #: (label, value) the chart draws; empty for a table without one
    chart: list[tuple[str, int]] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True, slots=True)
class Todo:
    label: str
    count: int
    href: str | None


@dataclass(frozen=True, slots=True)
class Overview:
    schools: Sequence[School]
    #: the one school chosen, if any
    school: School | None
    todos: list[Todo]
    tables: list[Table]

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise NotFound("没有这张表")


def in_view(session: Session, principal: Principal, school_code: str = "") -> Sequence[School]:
    """The schools the overview counts: all the caller sees, or the one chosen."""
    if principal.role not in VIEWERS:
        raise Forbidden("只有学校和教育行政部门的管理员可以查看概览")
    if school_code:
        return [schools.visible_school(session, principal, school_code)]
    return schools.visible_schools(session, principal)


def overview(
    session: Session, clock: Clock, principal: Principal, school_code: str = ""
) -> Overview:
    chosen = in_view(session, principal, school_code)
    codes = [school.code for school in chosen]
    queues = [queue_of(s.code, s.name, s.region_code) for s in chosen]
    students = statistics.students_by_grade(session, codes)
    waiting = accounts.accounts_by_state(session, queues)
    mismatches, left_out = accounts.waiting_by_mismatch(session, queues)
    backlog = ops.backlog(session, clock, statistics.student_ids_of(codes))
    one = chosen[0] if school_code else None
    return Overview(
        schools=schools.visible_schools(session, principal),
        school=one,
        todos=_todos(session, principal, codes, waiting),
        tables=[
            _students_table(students),
            _accounts_table(waiting),
            _mismatch_table(mismatches, left_out),
            _events_table(backlog),
        ],
    )


def _todos(
    session: Session, principal: Principal, codes: list[str], waiting: dict[str, int]
) -> list[Todo]:
    """What waits for the administrators of these schools; links only where the caller
    acts on it (a school administrator)."""
    own = principal.role is Role.SCHOOL_ADMIN
    unmatched = f"/schools/{principal.school_code}/unmatched" if own else None
    return [
        Todo(
            "家长联系方式变更申请待审核",
            applications.open_count(session, codes),
            "/phone-change-applications" if own else None,
        ),
        Todo("未激活的学生账号（待匹配）", waiting.get(AccountStatus.PENDING, 0), unmatched),
        Todo(
            "待本校确认的转出（学籍调档）",
            statistics.transfers_to_confirm(session, codes),
            "/transfers" if own else None,
        ),
    ]


def _students_table(counts: statistics.GradeCounts) -> Table:
    grades = sorted({grade for _, grade, _ in counts}, key=lambda g: (g is None, g or 0))
    rows: list[list[str | int]] = []
    chart = []
    for grade in grades:
        by_status = [
            sum(n for (_, g, s), n in counts.items() if g == grade and s == status)
            for status in STATUSES
        ]
        rows.append([grade_label(grade), *by_status, sum(by_status)])
        in_school = sum(
            n for status, n in zip(STATUSES, by_status, strict=True) if status in IN_SCHOOL
        )
        chart.append((grade_label(grade), in_school))
    totals = [sum(row[i] for row in rows) for i in range(1, len(STATUSES) + 2)]  # type: ignore[misc]
    rows.append(["合计", *totals])
    return Table(
        "students",
        "学生（按年级和学籍状态）",
        ["年级", *(status.label for status in STATUSES), "合计"],
        rows,
        chart,
        "图：在校学生（在籍在校与休学）按年级",
    )


ACCOUNT_STATES = [
    (AccountStatus.ACTIVE, "已激活"),
    (AccountStatus.AWAITING_GUARDIAN, "待监护人确认"),
    (AccountStatus.PENDING, "待匹配（未激活）"),
    (AccountStatus.REVOKED, "已解除关联"),
]


def _accounts_table(counts: dict[str, int]) -> Table:
    rows: list[list[str | int]] = [[label, counts.get(state, 0)] for state, label in ACCOUNT_STATES]
    chart = [(str(label), int(count)) for label, count in rows]
    return Table("accounts", "学生账号（按状态）", ["状态", "账号数"], rows, chart)


def _mismatch_table(counts: dict[str, int], left_out: int) -> Table:
    labels = {**FIELD_LABELS, "registry_no": "学籍号没有对应的学生"}
    rows: list[list[str | int]] = [[label, counts.get(key, 0)] for key, label in labels.items()]
    note = "一个账号有几项不一致，就计入几项。"
    if left_out:
        most = accounts.MISMATCH_SAMPLE
        note += f"另有 {left_out} 个账号未计入（一次最多核对 {most} 个，逐校取最早的）。"
    chart = [(str(label), int(count)) for label, count in rows]
    return Table(
        "mismatches", "未激活账号（按不一致的项目）", ["不一致的项目", "账号数"], rows, chart, note
    )


def _events_table(backlog: ops.Backlog) -> Table:
    minutes = round(backlog.oldest_age_s / 60)
    rows: list[list[str | int]] = [
        ["异动、更正、转学等（优先处理）", backlog.interactive],
        ["批量导入、学年升级", backlog.bulk],
        ["多次处理失败（死信，需运维处理）", backlog.dead_letters],
        ["最早的待同步事件已等待（分钟）", minutes],
    ]
    return Table("events", "待同步到平台的学籍变更事件", ["类别", "数量"], rows)
