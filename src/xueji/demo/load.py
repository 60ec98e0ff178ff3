"""Demo data for ``make run``: accounts, two regions, schools, a class with its head
teacher, students in several statuses and their guardians. Loaded through the normal
services (so it is audited and published like real work) and idempotent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from xueji.auth import service as auth
from xueji.auth.service import Principal
from xueji.demo import national
from xueji.domain.clock import Clock
from xueji.domain.codes import Gender
from xueji.domain.enrollment import ChangeKind
from xueji.domain.errors import XuejiError
from xueji.domain.identity import check_character
from xueji.domain.roles import Role
from xueji.domain.statuses import AccountStatus, LearningAction
from xueji.parents import applications
from xueji.parents import service as parents
from xueji.platform import consent, learning
from xueji.platform import service as accounts
from xueji.registry import activation as sheet_codes
from xueji.registry import schools, service
from xueji.registry.enrollment import service as enrollment
from xueji.registry.lookup import lookup
from xueji.registry.validation import GuardianFacts

DEMO_PASSWORD = "xueji-demo-2026"
HAIKOU_SCHOOL_CODE = "1144060401"
HUAJING_SCHOOL_CODE = "1144010601"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    display_name: str
    region_code: str | None = None
    school_code: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("admin", Role.PLATFORM_ADMIN, "平台运维"),
    DemoAccount("foshan", Role.REGION_ADMIN, "佛山市教育局", region_code="4406"),
    DemoAccount("guangzhou", Role.REGION_ADMIN, "广州市教育局", region_code="4401"),
    DemoAccount(
        "haikou-admin", Role.SCHOOL_ADMIN, "海口小学信息管理员", school_code=HAIKOU_SCHOOL_CODE
    ),
    DemoAccount("haikou-teacher", Role.HEAD_TEACHER, "王𬱖老师", school_code=HAIKOU_SCHOOL_CODE),
    DemoAccount(
        "huajing-admin", Role.SCHOOL_ADMIN, "华景小学信息管理员", school_code=HUAJING_SCHOOL_CODE
    ),
)

SCHOOLS = (
    ("foshan", HAIKOU_SCHOOL_CODE, "佛山市禅城区海口小学", "440604"),
    ("guangzhou", HUAJING_SCHOOL_CODE, "广州市天河区华景小学", "440106"),
)


def demo_number(region: str, birth: str, sequence: str) -> str:
    body = region + birth + sequence
    return "G" + body + check_character(body)


@dataclass(frozen=True)
class DemoStudent:
    school_code: str
    registry_no: str
    name: str
    gender: Gender
    guardians: tuple[GuardianFacts, ...]
    change: ChangeKind | None = None


STUDENTS = (
    DemoStudent(
        HAIKOU_SCHOOL_CODE,
        demo_number("440604", "20160211", "001"),
        "陈小明",
        Gender.MALE,
        (
            GuardianFacts("陈大明", "51", "13800138001"),
            GuardianFacts("林秀英", "52", "13800138002"),
        ),
    ),
    DemoStudent(
        HAIKOU_SCHOOL_CODE,
        demo_number("440604", "20160503", "002"),
        "李华",
        Gender.FEMALE,
        (GuardianFacts("李建国", "51", "13800138003"),),
    ),
    DemoStudent(
        HAIKOU_SCHOOL_CODE,
        demo_number("650102", "20160921", "013"),
        "阿卜杜·艾力",
        Gender.MALE,
        (GuardianFacts("阿依古丽·买买提", "52", "13800138004"),),
    ),
    DemoStudent(
        HAIKOU_SCHOOL_CODE,
        demo_number("440604", "20151130", "024"),
        "张丽",
        Gender.FEMALE,
        (GuardianFacts("张伟", "51", "13800138005"),),
        ChangeKind.SUSPEND,
    ),
    DemoStudent(
        HAIKOU_SCHOOL_CODE,
        demo_number("440604", "20100708", "035"),
        "刘洋",
        Gender.MALE,
        (GuardianFacts("刘强", "51", "13800138006"),),
        ChangeKind.GRADUATE,
    ),
    DemoStudent(
        HUAJING_SCHOOL_CODE,
        demo_number("440106", "20160415", "046"),
        "黄𠮷",
        Gender.FEMALE,
        (GuardianFacts("黄志强", "51", "13800138001"),),
    ),
)


def load_demo(session: Session, clock: Clock) -> list[str]:
    """Create what is missing; leave what exists alone. Returns what was created."""
    created = _accounts(session, clock)
    people = {a.username: auth.principal_by_username(session, a.username) for a in DEMO_ACCOUNTS}
    for owner, code, name, region in SCHOOLS:
        if not schools.school_exists(session, code):
            schools.create_school(
                session,
                clock,
                _must(people[owner]),
                school_code=code,
                name=name,
                region_code=region,
            )
            created.append(f"学校 {name}")
    haikou_admin = _must(people["haikou-admin"])
    class_id = _demo_class(session, clock, haikou_admin)
    admins = {HAIKOU_SCHOOL_CODE: haikou_admin, HUAJING_SCHOOL_CODE: _must(people["huajing-admin"])}
    for demo in STUDENTS:
        if lookup(session, registry_no=demo.registry_no) is not None:
            continue
        admin = admins[demo.school_code]
        service.register_student(
            session,
            clock,
            admin,
            registry_no=demo.registry_no,
            name=demo.name,
            gender=demo.gender,
            birth_date=_birth(demo.registry_no),
            school_code=demo.school_code,
            class_id=class_id if demo.school_code == HAIKOU_SCHOOL_CODE else None,
            guardians=list(demo.guardians),
        )
        created.append(f"学生 {demo.name}")
    new_students = set(created)
    registered = {d.name: d.registry_no for d in STUDENTS if f"学生 {d.name}" in new_students}
    created += national.fill(session, clock, haikou_admin, registered)
    created += _student_accounts(session, clock)
    created += _learning(session, clock, class_id)
    created += _parents(session, clock)
    for demo in STUDENTS:  # after the learning records, so 张丽 has a course to replay
        if demo.change is not None and f"学生 {demo.name}" in new_students:
            enrollment.change_enrollment(
                session,
                clock,
                admins[demo.school_code],
                registry_no=demo.registry_no,
                kind=demo.change,
                reason="演示数据",
            )
    return created


def _learning(session: Session, clock: Clock, class_id: int) -> list[str]:
    """National and Foshan courses, homework and a live class for 三年级(1)班, and some
    learning records: 陈小明's land in the archive, 李华's wait for activation."""
    people = {
        name: _must(auth.principal_by_username(session, name))
        for name in ("admin", "foshan", "haikou-teacher", "chenxm2016", "lihua2016", "zhangli2015")
    }
    if learning.visible(session, people["chenxm2016"]):
        return []
    national = learning.publish(
        session,
        clock,
        people["admin"],
        kind=learning.COURSE,
        title="国家中小学智慧教育平台·三年级数学",
        national=True,
    )
    regional = learning.publish(
        session, clock, people["foshan"], kind=learning.COURSE, title="佛山市·岭南文化"
    )
    learning.publish(
        session,
        clock,
        people["haikou-teacher"],
        kind=learning.HOMEWORK,
        title="口算练习（第一周）",
        class_id=class_id,
    )
    learning.publish(
        session,
        clock,
        people["haikou-teacher"],
        kind=learning.LIVE,
        title="主题班会：我爱禅城",
        class_id=class_id,
    )
    for student in ("chenxm2016", "zhangli2015"):
        learning.act(
            session, clock, people[student], resource_id=national.id, action=LearningAction.OPEN
        )
    learning.act(
        session, clock, people["chenxm2016"], resource_id=regional.id, action=LearningAction.OPEN
    )
    learning.act(
        session, clock, people["lihua2016"], resource_id=national.id, action=LearningAction.OPEN
    )
    return ["学习资源 4 项与学习记录"]


#: (student number, registry number, name, gender, school name as entered, consented):
#: 陈小明 and 张丽 typed everything right and a guardian typed the code of their
#: 学籍基本信息表: active. 李华 typed 禅成 for 禅城: pending. 黄𠮷 typed everything right
#: and waits for a guardian's consent (a code to her guardian's phone, the sheet's code,
#: or her parent 13800138001 from the parent's page).
STUDENT_ACCOUNTS = (
    ("chenxm2016", STUDENTS[0].registry_no, "陈小明", "1", "佛山市禅城区海口小学", True),
    ("lihua2016", STUDENTS[1].registry_no, "李华", "2", "佛山市禅成区海口小学", False),
    ("zhangli2015", STUDENTS[3].registry_no, "张丽", "2", "佛山市禅城区海口小学", True),
    ("huangji2016", STUDENTS[5].registry_no, "黄𠮷", "2", "广州市天河区华景小学", False),
)
STUDENT_NOTES = {
    "chenxm2016": "已激活（监护人已确认）",
    "lihua2016": "未激活：学校全称填错一字",
    "zhangli2015": "已激活（休学中）",
    "huangji2016": "五项一致，待监护人确认（家长 13800138001 可在“我的孩子”中确认）",
}


def _student_accounts(session: Session, clock: Clock) -> list[str]:
    created = []
    for student_no, registry_no, name, gender, school_name, consented in STUDENT_ACCOUNTS:
        if auth.principal_by_username(session, student_no) is not None:
            continue
        registration = accounts.register(
            session,
            clock,
            student_no=student_no,
            password=DEMO_PASSWORD,
            entered=accounts.Entered(
                registry_no=registry_no,
                name=name,
                gender=gender,
                birth_date=_birth(registry_no),
                school_name=school_name,
            ),
            client="demo",
        )
        if isinstance(registration, XuejiError):
            raise registration
        account = registration.account
        if consented:
            student = _must(auth.principal_by_username(session, student_no))
            record = lookup(session, registry_no=registry_no)
            assert record is not None  # registered above
            code = sheet_codes.issue(session, clock, student_id=record.student_id, issued_by=None)
            verified = consent.verify(session, clock, student, code=code)
            if isinstance(verified, XuejiError):
                raise verified
        label = AccountStatus(account.status).label
        created.append(f"学生账号 {student_no}（{label}）")
    return created


#: (phone, name): 李建国 has one child; 13800138001 is the guardian phone of 陈小明 at
#: 海口小学 and of 黄𠮷 at 华景小学; 13900139000 is on no record (没有该用户) and has
#: applied to be recorded as 陈小明's grandfather.
PARENTS = (
    ("13800138003", "李建国"),
    ("13800138001", "陈大明"),
    ("13900139000", "陈建华"),
)
PARENT_NOTES = {
    "13800138003": "孩子：李华",
    "13800138001": "两个孩子：陈小明（海口小学）、黄𠮷（华景小学）",
    "13900139000": "没有该用户；已提交联系方式变更申请",
}


def _parents(session: Session, clock: Clock) -> list[str]:
    created = []
    for phone, name in PARENTS:
        if auth.principal_by_username(session, phone) is not None:
            continue
        registration = parents.create_parent(
            session, clock, phone=phone, password=DEMO_PASSWORD, name=name
        )
        created.append(f"家长账号 {phone}（{registration.binding()['message']}）")
    applicant = _must(auth.principal_by_username(session, "13900139000"))
    if not applications.for_caller(session, applicant):
        applications.apply(
            session,
            clock,
            applicant,
            registry_no=STUDENTS[0].registry_no,
            student_name="陈小明",
            guardian_name="陈建华",
            relation="祖父",
        )
        created.append("家长联系方式变更申请 1 份（待班主任转交）")
    return created


def _accounts(session: Session, clock: Clock) -> list[str]:
    created = []
    for account in DEMO_ACCOUNTS:
        if auth.principal_by_username(session, account.username) is not None:
            continue
        auth.create_account(
            session,
            clock,
            username=account.username,
            password=DEMO_PASSWORD,
            role=account.role,
            region_code=account.region_code,
            school_code=account.school_code,
            display_name=account.display_name,
        )
        created.append(f"账号 {account.username}")
    return created


def _demo_class(session: Session, clock: Clock, admin: Principal) -> int:
    existing = schools.class_id_named(session, HAIKOU_SCHOOL_CODE, grade=3, name="三年级(1)班")
    if existing is not None:
        return existing
    return schools.create_class(
        session,
        clock,
        admin,
        school_code=HAIKOU_SCHOOL_CODE,
        grade=3,
        name="三年级(1)班",
        head_teacher="haikou-teacher",
    ).id


def _birth(registry_no: str) -> dt.date:
    return dt.date(int(registry_no[7:11]), int(registry_no[11:13]), int(registry_no[13:15]))


def _must(principal: Principal | None) -> Principal:
    assert principal is not None, "demo account missing"
    return principal
