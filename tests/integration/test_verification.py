"""The verification path at the service level on both databases: which waiting accounts
a school's queue holds, the differences and candidates it shows, the school's notices
(validated, scoped, audited) and the student's own diagnosis."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.integration.test_platform_sync import drain
from tests.registry_world import (
    HAIKOU,
    HUAJING,
    World,
    build_world,
    guardian_consents,
    number,
    register,
)
from xueji.audit import service as audit
from xueji.audit.models import AuditEntry
from xueji.auth import service as auth
from xueji.auth.service import Principal
from xueji.domain.clock import FixedClock
from xueji.domain.errors import Forbidden, NotFound, ValidationFailed
from xueji.domain.five_fields import FIELDS
from xueji.platform import service as accounts
from xueji.platform.models import StudentAccount
from xueji.platform.waiting import Notice
from xueji.registry import service as registry
from xueji.verification import diagnosis, queue

PASSWORD = "a good password 1"
HAIKOU_NAME = "佛山市禅城区海口小学"
HUAJING_NAME = "广州市天河区华景小学"
TYPO_SCHOOL = "佛山市禅成区海口小学"
BIRTH = dt.date(2016, 2, 11)  # 陈小明's, as number() encodes it
LI_HUA = number(birth="20150923", sequence="002")  # a girl of 海口小学
LOOKALIKE = number(birth="20160312", sequence="013")  # 陈小敏, a boy of 海口小学
HUAJING_CHILD = number("440106", "20160415", "046")  # 黄小华, a girl of 华景小学
HUAJING_TWIN = number("440106", "20160211", "001")  # another 陈小明, at 华景小学


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


def waiting(
    session: Session,
    clock: FixedClock,
    student_no: str,
    *,
    registry_no: str = number(),
    name: str = "陈小明",
    gender: str = "1",
    birth_date: dt.date = BIRTH,
    school_name: str = HAIKOU_NAME,
) -> StudentAccount:
    """A student's platform registration with what they typed (pending unless all five
    fields equal the registry's)."""
    return accounts.register(
        session,
        clock,
        student_no=student_no,
        password=PASSWORD,
        client=f"client-{student_no}",
        entered=accounts.Entered(registry_no, name, gender, birth_date, school_name),
    ).account


def masked(registry_no: str) -> str:
    """How a registry number is shown outside the registry: five first, four last."""
    return registry_no[:5] + "*" * 10 + registry_no[-4:]


def student(session: Session, student_no: str) -> Principal:
    principal = auth.principal_by_username(session, student_no)
    assert principal is not None
    return principal


def page(
    session: Session, clock: FixedClock, principal: Principal, school: str = HAIKOU, **kw: Any
) -> queue.QueuePage:
    return queue.unmatched_accounts(session, clock, principal, school, **kw)


def listed(session: Session, clock: FixedClock, principal: Principal, school: str) -> list[str]:
    return [item.account.student_no for item in page(session, clock, principal, school).items]


def the_item(session: Session, clock: FixedClock, world: World) -> dict[str, Any]:
    [item] = page(session, clock, world.haikou_admin).items
    return item.as_json()


def notify(
    session: Session,
    clock: FixedClock,
    principal: Principal,
    account_id: int,
    *,
    fields: list[str] | None = None,
    message: str = "",
    school: str = HAIKOU,
) -> Notice:
    return queue.notify_student(
        session,
        clock,
        principal,
        school_code=school,
        account_id=account_id,
        fields=["name"] if fields is None else fields,
        message=message,
    )


def entries(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def three_children(session: Session, clock: FixedClock, world: World) -> None:
    """陈小明 and 李华 at 海口小学, 黄小华 at 华景小学."""
    register(session, clock, world)
    register(session, clock, world, registry_no=LI_HUA, name="李华")
    register(
        session,
        clock,
        world,
        registry_no=HUAJING_CHILD,
        name="黄小华",
        school=HUAJING,
        admin=world.huajing_admin,
    )


# --- the queue -------------------------------------------------------------------------


def test_a_schools_queue_holds_accounts_with_its_numbers_or_its_full_name(
    session: Session, clock: FixedClock, world: World
) -> None:
    three_children(session, clock, world)
    waiting(session, clock, "misnamed", name="陈晓明")  # 海口's number
    spaced = f" {HAIKOU_NAME}  "
    waiting(session, clock, "nameonly", registry_no=number(sequence="011"), school_name=spaced)
    waiting(
        session,
        clock,
        "theirs",
        registry_no=HUAJING_CHILD,
        name="黄晓华",
        gender="2",
        birth_date=dt.date(2016, 4, 15),
        school_name=HUAJING_NAME,
    )
    waiting(
        session,
        clock,
        "crossing",  # 华景's number, 海口's full name
        registry_no=HUAJING_CHILD,
        name="黄小华",
        gender="2",
        birth_date=dt.date(2016, 4, 15),
    )
    linked = waiting(
        session,
        clock,
        "linked",
        registry_no=LI_HUA,
        name="李华",
        gender="2",
        birth_date=dt.date(2015, 9, 23),
    )
    guardian_consents(session, clock, student(session, "linked"))
    assert linked.status == "active"
    other_school = "佛山市禅城区海口中学"
    waiting(session, clock, "nowhere", registry_no=number(sequence="012"), school_name=other_school)

    haikou = page(session, clock, world.haikou_admin)
    # 华景's child typed 海口's name: the number is on 华景's record, so only 华景 sees it
    assert [item.account.student_no for item in haikou.items] == ["misnamed", "nameonly"]
    assert (haikou.total, haikou.next_after) == (2, None)
    assert listed(session, clock, world.huajing_admin, HUAJING) == ["theirs", "crossing"]
    assert HUAJING_CHILD not in json.dumps([item.as_json() for item in haikou.items])

    misnamed, nameonly = (item.as_json() for item in haikou.items)
    assert misnamed["entered"]["registry_no"] == number()
    assert misnamed["student_id"] is not None and misnamed["registry"] is not None
    assert nameonly["registry"] is None and nameonly["student_id"] is None
    assert nameonly["entered"]["school_name"] == HAIKOU_NAME


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("haikou_admin", None),
        ("foshan", None),
        ("platform", None),
        ("guangzhou", NotFound),
        ("huajing_admin", NotFound),
        ("haikou_teacher", NotFound),
        ("student", Forbidden),
    ],
)
def test_who_sees_a_schools_queue(
    session: Session, clock: FixedClock, world: World, who: str, refusal: type | None
) -> None:
    register(session, clock, world)
    waiting(session, clock, "misnamed", name="陈晓明")
    principal = student(session, "misnamed") if who == "student" else getattr(world, who)
    if refusal is None:
        assert listed(session, clock, principal, HAIKOU) == ["misnamed"]
        return
    with pytest.raises(refusal) as refused:
        page(session, clock, principal)
    if refusal is NotFound:
        with pytest.raises(NotFound) as absent:
            page(session, clock, principal, "1199999999")
        assert refused.value.message == absent.value.message == "没有找到该学校"
    assert entries(session, "unmatched_accounts.viewed") == []


def diff(position: int, expected: str, entered: str, kind: str) -> dict[str, Any]:
    return {"position": position, "expected": expected, "entered": entered, "kind": kind}


@pytest.mark.parametrize(
    ("typed", "differences"),
    [
        ({"name": "陈晓明"}, {"name": [diff(1, "小", "晓", "homophone")]}),
        ({"name": "陈明小"}, {"name": [diff(1, "小明", "明小", "transposed")]}),
        ({"name": "陈明"}, {"name": [diff(1, "小", "", "missing")]}),
        ({"gender": "2"}, {"gender": [diff(0, "男", "女", "other")]}),
        ({"birth_date": dt.date(2016, 2, 12)}, {"birth_date": [diff(9, "1", "2", "other")]}),
        ({"school_name": TYPO_SCHOOL}, {"school_name": [diff(4, "城", "成", "homophone")]}),
        (
            {"name": "陈晓明", "gender": "2", "school_name": TYPO_SCHOOL},
            {
                "name": [diff(1, "小", "晓", "homophone")],
                "gender": [diff(0, "男", "女", "other")],
                "school_name": [diff(4, "城", "成", "homophone")],
            },
        ),
    ],
)
def test_the_queue_shows_each_differing_field_with_positions_beside_the_registry(
    session: Session,
    clock: FixedClock,
    world: World,
    typed: dict[str, Any],
    differences: dict[str, Any],
) -> None:
    located = register(session, clock, world)
    account = waiting(session, clock, "typo", **typed)
    item = the_item(session, clock, world)
    assert item["account_id"] == account.id and item["student_no"] == "typo"
    assert item["registered_at"] == clock.now().isoformat()
    assert item["student_id"] == located.student.id
    assert item["registry"] == {
        "registry_no": number(),
        "name": "陈小明",
        "gender": "男",
        "birth_date": "2016-02-11",
        "school_name": HAIKOU_NAME,
    }
    assert item["entered"]["gender"] == ("女" if typed.get("gender") == "2" else "男")
    assert item["differences"] == differences
    assert list(item["differences"]) == [f for f in FIELDS if f in differences]
    assert item["candidates"] == [], "the number is right: nobody else is suggested"


@pytest.mark.parametrize(
    ("typed_number", "names", "registry_name"),
    [
        (number(sequence="011"), ["陈小明", "陈小敏"], None),  # a number in no registry
        (LOOKALIKE, ["陈小明"], "陈小敏"),  # another child's, whose name and birth differ
    ],
)
def test_a_wrong_number_brings_the_schools_own_students_ranked(
    session: Session,
    clock: FixedClock,
    world: World,
    typed_number: str,
    names: list[str],
    registry_name: str | None,
) -> None:
    three_children(session, clock, world)
    lookalike = register(session, clock, world, registry_no=LOOKALIKE, name="陈小敏")
    twin = register(
        session,
        clock,
        world,
        registry_no=HUAJING_TWIN,
        name="陈小明",
        school=HUAJING,
        admin=world.huajing_admin,
    )
    waiting(session, clock, "wrongno", registry_no=typed_number)
    item = the_item(session, clock, world)
    ranked = item["candidates"]
    assert [c["name"] for c in ranked] == names
    best = ranked[0]
    assert best["registry_no"] == masked(number()) and best["gender"] == "男"
    assert best["birth_date"] == "2016-02-11" and best["score"] >= 80
    assert best["differing_digits"] == sum(
        a != b for a, b in zip(typed_number, number(), strict=True)
    )
    assert [c["score"] for c in ranked] == sorted((c["score"] for c in ranked), reverse=True)
    ids = [c["student_id"] for c in ranked]
    assert twin.student.id not in ids, "only the school's own students"
    if registry_name is None:
        assert item["registry"] is None and item["entered"]["registry_no"] == masked(typed_number)
        assert ids[1] == lookalike.student.id and ranked[1]["score"] >= 60
    else:
        assert item["registry"]["name"] == registry_name
        assert {"name", "birth_date"} <= item["differences"].keys()
        assert lookalike.student.id not in ids, "not the child the number already names"
    assert accounts.own_account(session, student(session, "wrongno")).status == "pending"


def test_the_queue_comes_a_page_at_a_time_oldest_first(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    made = []
    for n in range(5):
        clock.advance(seconds=1)
        made.append(waiting(session, clock, f"wait{n}", registry_no=number(sequence=f"02{n}")).id)
    elsewhere = number(sequence="031")
    waiting(session, clock, "elsewhere", registry_no=elsewhere, school_name=HUAJING_NAME)

    seen, after, pages = [], None, []
    while True:
        found = page(session, clock, world.haikou_admin, after=after, limit=2)
        assert found.total == 5
        pages.append([item.account.id for item in found.items])
        seen += pages[-1]
        if found.next_after is None:
            break
        assert found.next_after == pages[-1][-1]
        after = found.next_after
    assert pages == [made[:2], made[2:4], made[4:]]
    assert seen == made
    whole = page(session, clock, world.haikou_admin)
    assert [i.account.id for i in whole.items] == made and whole.next_after is None
    beyond = page(session, clock, world.haikou_admin, after=made[-1])
    assert (beyond.items, beyond.total, beyond.next_after) == ([], 5, None)
    for limit in (0, 501):
        with pytest.raises(ValidationFailed) as refused:
            page(session, clock, world.haikou_admin, limit=limit)
        assert refused.value.code == "PAGE_SIZE_INVALID"


def test_each_look_at_the_queue_is_audited_with_the_accounts_shown(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    first = waiting(session, clock, "wait0", name="陈晓明")
    second = waiting(session, clock, "wait1", name="陈明")
    page(session, clock, world.haikou_admin, limit=1)
    page(session, clock, world.foshan, after=first.id)
    with pytest.raises(NotFound):
        page(session, clock, world.huajing_admin)
    viewed = entries(session, "unmatched_accounts.viewed")
    assert [(e.actor, e.actor_id, e.subject, e.school_code) for e in viewed] == [
        (f"account:{who.account_id}", who.account_id, f"school:{HAIKOU}", HAIKOU)
        for who in (world.haikou_admin, world.foshan)
    ]
    assert [audit.read_payload(e) for e in viewed] == [
        {"account_ids": [first.id]},
        {"account_ids": [second.id]},
    ]
    assert audit.verify(session).ok


# --- notices ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message", "code"),
    [
        ([], "", "NOTICE_FIELDS_INVALID"),
        (["nickname"], "", "NOTICE_FIELDS_INVALID"),
        (["name", "nickname"], "", "NOTICE_FIELDS_INVALID"),
        (["Name"], "", "NOTICE_FIELDS_INVALID"),
        (["name"], "请" * 501, "NOTICE_TOO_LONG"),
    ],
)
def test_a_notice_must_name_the_five_fields_and_stay_short(
    session: Session,
    clock: FixedClock,
    world: World,
    fields: list[str],
    message: str,
    code: str,
) -> None:
    register(session, clock, world)
    account = waiting(session, clock, "misnamed", name="陈晓明")
    with pytest.raises(ValidationFailed) as refused:
        notify(session, clock, world.haikou_admin, account.id, fields=fields, message=message)
    assert refused.value.code == code
    assert diagnosis.diagnose(session, student(session, "misnamed"))["notices"] == []
    assert entries(session, "unmatched_accounts.notified") == []


@pytest.mark.parametrize(
    ("fields", "message", "stored_fields", "stored_message"),
    [
        (["name"], "", ["name"], ""),
        (["school_name", "name", "school_name"], "", ["school_name", "name"], ""),
        (list(FIELDS), " 请按户口簿填写 ", list(FIELDS), "请按户口簿填写"),
        (["birth_date"], "  " + "请" * 500 + "\n", ["birth_date"], "请" * 500),
    ],
)
def test_a_notice_reaches_the_student_and_is_audited(
    session: Session,
    clock: FixedClock,
    world: World,
    fields: list[str],
    message: str,
    stored_fields: list[str],
    stored_message: str,
) -> None:
    register(session, clock, world)
    account = waiting(session, clock, "misnamed", name="陈晓明")
    notice = notify(session, clock, world.haikou_admin, account.id, fields=fields, message=message)
    assert (notice.fields, notice.message, notice.at) == (
        stored_fields,
        stored_message,
        clock.now(),
    )
    shown = diagnosis.diagnose(session, student(session, "misnamed"))["notices"]
    assert shown == [
        {"fields": stored_fields, "message": stored_message, "at": clock.now().isoformat()}
    ]
    [entry] = entries(session, "unmatched_accounts.notified")
    assert (entry.actor, entry.subject, entry.school_code) == (
        f"account:{world.haikou_admin.account_id}",
        f"student_account:{account.id}",
        HAIKOU,
    )
    assert audit.read_payload(entry) == {"fields": stored_fields}
    assert audit.verify(session).ok


def test_a_notice_goes_only_to_an_account_in_this_schools_queue(
    session: Session, clock: FixedClock, world: World
) -> None:
    three_children(session, clock, world)
    theirs = waiting(
        session,
        clock,
        "theirs",
        registry_no=HUAJING_CHILD,
        name="黄晓华",
        gender="2",
        birth_date=dt.date(2016, 4, 15),
        school_name=HUAJING_NAME,
    )
    linked = waiting(
        session,
        clock,
        "linked",
        registry_no=LI_HUA,
        name="李华",
        gender="2",
        birth_date=dt.date(2015, 9, 23),
    )
    guardian_consents(session, clock, student(session, "linked"))
    fixed = waiting(session, clock, "fixed", name="陈晓明")
    guardian_consents(session, clock, student(session, "fixed"))  # verified while pending
    notify(session, clock, world.haikou_admin, fixed.id)  # in the queue: accepted
    registry.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        changes={"name": "陈晓明"},
        reason="按户口簿更正",
    )
    drain(session, clock)
    assert accounts.own_account(session, student(session, "fixed")).status == "active"
    for account_id in (theirs.id, linked.id, fixed.id, fixed.id + 1000):
        with pytest.raises(NotFound) as refused:
            notify(session, clock, world.haikou_admin, account_id, fields=["nickname"])
        assert refused.value.message == "该未激活账号不在本校待处理列表中"
    notify(session, clock, world.huajing_admin, theirs.id, school=HUAJING)
    assert len(entries(session, "unmatched_accounts.notified")) == 2


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("haikou_admin", None),
        ("foshan", Forbidden),  # sees the queue, does not write to students
        ("platform", Forbidden),
        ("huajing_admin", NotFound),
        ("haikou_teacher", NotFound),
        ("student", Forbidden),
    ],
)
def test_only_the_schools_administrator_sends_notices(
    session: Session, clock: FixedClock, world: World, who: str, refusal: type | None
) -> None:
    register(session, clock, world)
    account = waiting(session, clock, "misnamed", name="陈晓明")
    principal = student(session, "misnamed") if who == "student" else getattr(world, who)
    if refusal is None:
        notify(session, clock, principal, account.id)
        assert len(entries(session, "unmatched_accounts.notified")) == 1
        return
    with pytest.raises(refusal):
        notify(session, clock, principal, account.id)
    assert diagnosis.diagnose(session, student(session, "misnamed"))["notices"] == []
    assert entries(session, "unmatched_accounts.notified") == []


# --- the student's diagnosis --------------------------------------------------------


def test_the_diagnosis_names_fields_positions_and_steps_but_no_registry_character(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    waiting(session, clock, "misnamed", name="陈晓明", school_name=TYPO_SCHOOL)
    guardian_consents(session, clock, student(session, "misnamed"))
    result = diagnosis.diagnose(session, student(session, "misnamed"))
    assert (result["status"], result["linked"], result["verified"]) == ("pending", False, True)
    assert result["fields"] == [
        {"field": "registry_no", "result": "match", "positions": [], "differences": []},
        {
            "field": "name",
            "result": "homophone",
            "positions": [1],
            "differences": [{"kind": "homophone", "positions": [1]}],
        },
        {"field": "gender", "result": "match", "positions": [], "differences": []},
        {"field": "birth_date", "result": "match", "positions": [], "differences": []},
        {
            "field": "school_name",
            "result": "homophone",
            "positions": [4],
            "differences": [{"kind": "homophone", "positions": [4]}],
        },
    ]
    steps = result["next_steps"]
    assert len(steps) == 4 and "核对您填写的姓名、学校全称" in steps[0]
    assert steps[1] == "学校全称必须与学籍登记的完全一致，不能使用简称或旧校名。"
    assert "姓名：户口簿或身份证；学校全称：学生证或学校开具的在读证明" in steps[2]
    assert "学籍基本信息表" in steps[2] and "自动激活" in steps[3]
    assert result["notices"] == []
    text = json.dumps(result, ensure_ascii=False)
    assert "小" not in text and "城" not in text, "the registry's characters must not leak"


def test_the_diagnosis_of_an_unknown_number_checks_nothing_else(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    waiting(session, clock, "unknown", registry_no=number(sequence="011"), name="陈晓明")
    result = diagnosis.diagnose(session, student(session, "unknown"))
    # nobody has verified this account (its number is on no record to verify against):
    # the field is named, not the kind of difference
    assert [(f["field"], f["result"]) for f in result["fields"]] == [
        ("registry_no", "differs"),
        ("name", "unchecked"),
        ("gender", "unchecked"),
        ("birth_date", "unchecked"),
        ("school_name", "unchecked"),
    ]
    assert len(result["next_steps"]) == 2
    assert "G 加本人 18 位身份证号" in result["next_steps"][0]
    assert "未激活账号" in result["next_steps"][1]


def test_the_diagnosis_lists_the_schools_notices_newest_first(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    mine = waiting(session, clock, "misnamed", name="陈晓明", gender="2")
    other = waiting(session, clock, "misborn", birth_date=dt.date(2016, 2, 12))
    notify(session, clock, world.haikou_admin, mine.id, fields=["name"], message="第一次")
    clock.advance(hours=1)
    notify(session, clock, world.haikou_admin, mine.id, fields=["gender"], message="第二次")
    notify(session, clock, world.haikou_admin, mine.id, fields=["name", "gender"], message="同时")
    notify(session, clock, world.haikou_admin, other.id, fields=["birth_date"], message="别人的")
    notices = diagnosis.diagnose(session, student(session, "misnamed"))["notices"]
    assert [(n["message"], n["fields"]) for n in notices] == [
        ("同时", ["name", "gender"]),
        ("第二次", ["gender"]),
        ("第一次", ["name"]),
    ]
    assert notices[-1]["at"] == (clock.now() - dt.timedelta(hours=1)).isoformat()


def test_after_the_school_corrects_the_registry_the_diagnosis_is_clear_and_the_queue_empty(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world, name="陈晓明")  # the school typed the name wrong
    drain(session, clock)
    waiting(session, clock, "chen2016")
    guardian_consents(session, clock, student(session, "chen2016"))
    assert listed(session, clock, world.haikou_admin, HAIKOU) == ["chen2016"]
    registry.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        changes={"name": "陈小明"},
        reason="按户口簿更正",
    )
    mine = student(session, "chen2016")
    assert diagnosis.diagnose(session, mine)["status"] == "pending", "until the event"
    drain(session, clock)
    result = diagnosis.diagnose(session, mine)
    assert (result["status"], result["linked"], result["next_steps"]) == ("active", True, [])
    assert {f["result"] for f in result["fields"]} == {"match"}
    assert page(session, clock, world.haikou_admin).total == 0


def test_only_a_student_has_a_diagnosis(session: Session, clock: FixedClock, world: World) -> None:
    for principal in (world.haikou_admin, world.platform):
        with pytest.raises(Forbidden) as refused:
            diagnosis.diagnose(session, principal)
        assert refused.value.message == "只有学生账号可以这样做"
