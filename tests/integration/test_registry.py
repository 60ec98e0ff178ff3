"""Registry use cases on both databases: records, scope, corrections, audit and events."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.registry_world import (
    HAIKOU,
    HUAJING,
    World,
    build_world,
    drop_append_only_triggers,
    number,
    register,
)
from xueji.audit import service as audit
from xueji.audit.models import AuditEntry
from xueji.db.crypto import phone_index
from xueji.domain.clock import FixedClock
from xueji.domain.codes import Gender
from xueji.domain.errors import Conflict, Forbidden, IdentityError, NotFound, ValidationFailed
from xueji.domain.masking import mask
from xueji.registry import schools, service
from xueji.registry.lookup import lookup
from xueji.registry.models import Guardian, Student
from xueji.registry.validation import GuardianFacts, check_guardian
from xueji.sync import outbox
from xueji.sync.models import OutboxEvent


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


def counts(session: Session) -> tuple[int, int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Student, Guardian, OutboxEvent, AuditEntry)
    )


def test_registration_stores_encrypted_audits_and_publishes(
    session: Session, clock: FixedClock, world: World
) -> None:
    located = register(session, clock, world, name="阿卜杜•艾力")
    student = located.student
    assert student.name == "阿卜杜·艾力"
    assert student.status == "enrolled"
    raw = session.execute(text("SELECT registry_no FROM students")).scalar_one()
    assert number()[1:].encode() not in bytes(raw)
    raw_phone = session.execute(text("SELECT phone FROM guardians")).scalar_one()
    assert b"13800138001" not in bytes(raw_phone)
    [event] = outbox.events_of(session, student.id)
    assert (event.event_type, event.sequence, event.payload) == ("student.registered", 1, {})
    record = lookup(session, student_id=event.student_id)
    assert record is not None and record.registry_no == number()
    assert record.school_name == "佛山市禅城区海口小学"
    assert record.guardian_phone_indexes == (phone_index("13800138001"),)
    assert lookup(session, registry_no=number()) == record
    assert lookup(session, registry_no=number(sequence="999")) is None
    assert audit.verify(session).ok


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"registry_no": "G445222202508211234"}, "ID_CHECKSUM"),
        ({"name": "陈3明"}, "NAME_INVALID"),
        ({"name": "  "}, "NAME_INVALID"),
        ({"gender": Gender.FEMALE}, "GENDER_MISMATCH"),
        ({"birth_date": dt.date(2016, 2, 12)}, "BIRTH_DATE_MISMATCH"),
        ({"guardians": []}, "GUARDIAN_REQUIRED"),
        ({"class_id": 99999}, "CLASS_INVALID"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    session: Session, clock: FixedClock, world: World, changes: dict[str, object], code: str
) -> None:
    before = counts(session)
    fields: dict[str, object] = {
        "registry_no": number(),
        "name": "陈小明",
        "gender": Gender.MALE,
        "birth_date": dt.date(2016, 2, 11),
        "school_code": HAIKOU,
        "class_id": None,
        "guardians": [GuardianFacts("陈大明", "51", "13800138001")],
    }
    fields.update(changes)
    with pytest.raises((ValidationFailed, IdentityError)) as caught:
        service.register_student(session, clock, world.haikou_admin, **fields)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert counts(session) == before


@pytest.mark.parametrize(
    ("name", "relation", "phone", "code"),
    [
        ("陈大明", "51", "1380013800", "PHONE_INVALID"),
        ("陈大明", "51", "12800138000", "PHONE_INVALID"),
        ("陈大明", "表哥", "13800138000", "RELATION_INVALID"),
        ("", "母亲", "13800138000", "GUARDIAN_NAME_INVALID"),
    ],
)
def test_guardian_checks(name: str, relation: str, phone: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_guardian(name, relation, phone)
    assert caught.value.code == code


def test_guardian_input_as_people_type_it() -> None:
    assert check_guardian("林秀英", "母亲", "+86 138-0013-8002") == GuardianFacts(
        "林秀英", "52", "13800138002"
    )
    assert check_guardian("林秀英", "其他监护人", "１３８００１３８００２").relation == "97"


def test_a_number_is_registered_once_nationwide(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    with pytest.raises(Conflict) as same:
        register(session, clock, world)
    assert same.value.code == "STUDENT_EXISTS"
    with pytest.raises(Conflict) as other:
        register(session, clock, world, school=HUAJING, admin=world.huajing_admin)
    assert other.value.code == "STUDENT_AT_OTHER_SCHOOL"
    assert "海口" not in other.value.message


def test_scope_of_each_role(session: Session, clock: FixedClock, world: World) -> None:
    register(session, clock, world)
    for principal in (world.platform, world.foshan, world.haikou_admin, world.haikou_teacher):
        assert service.locate(session, clock, principal, number()).student.name == "陈小明"
    for principal in (world.guangzhou, world.huajing_admin, world.other_teacher):
        with pytest.raises(NotFound) as caught:
            service.locate(session, clock, principal, number())
        assert caught.value.message == "没有找到该学生"
    with pytest.raises(NotFound) as absent:
        service.locate(session, clock, world.haikou_admin, number(sequence="999"))
    assert absent.value.message == "没有找到该学生"


def test_search_is_scoped(session: Session, clock: FixedClock, world: World) -> None:
    register(session, clock, world)
    register(
        session,
        clock,
        world,
        registry_no=number("440106", "20160415", "046"),
        name="黄𠮷",
        school=HUAJING,
        admin=world.huajing_admin,
    )
    names = lambda p: sorted(s.name for s in service.search(session, clock, p)[0])  # noqa: E731
    assert names(world.platform) == ["陈小明", "黄𠮷"]
    assert names(world.foshan) == ["陈小明"]
    assert names(world.huajing_admin) == ["黄𠮷"]
    assert names(world.other_teacher) == []
    found, total = service.search(session, clock, world.platform, query="𠮷")
    assert total == 1 and found[0].name == "黄𠮷"
    by_number, _ = service.search(session, clock, world.platform, query=number().lower())
    assert [s.name for s in by_number] == ["陈小明"]


def test_a_number_is_found_by_the_end_a_page_shows_of_it(
    session: Session, clock: FixedClock, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = register(session, clock, world)
    other = number(sequence="028")
    register(session, clock, world, registry_no=other, name="李华", phone="13800138009")
    register(
        session,
        clock,
        world,
        registry_no=number("440106", "20160415", "046"),
        name="黄𠮷",
        school=HUAJING,
        admin=world.huajing_admin,
    )
    tail = other[-4:]
    shown = mask(other)  # as the student list shows it
    for query in (tail, shown, tail.translate(str.maketrans("0123456789", "０１２３４５６７８９"))):
        found, total = service.search(session, clock, world.haikou_admin, query=query)
        assert (total, [s.name for s in found]) == (1, ["李华"]), query
    assert (
        service.search(session, clock, world.haikou_admin, query=mine.student.registry_no[-4:])[1]
        == 1
    )
    # another school's child is not found by its end either
    elsewhere = number("440106", "20160415", "046")[-4:]
    assert service.search(session, clock, world.platform, query=elsewhere)[1] == 1
    assert service.search(session, clock, world.haikou_admin, query=elsewhere)[1] == 0
    assert service.search(session, clock, world.huajing_admin, query=tail)[1] == 0
    monkeypatch.setattr(service, "SHOWN_NUMBER_SCAN", 1)
    with pytest.raises(ValidationFailed) as broad:
        service.search(session, clock, world.platform, query=tail)
    assert broad.value.code == "SEARCH_TOO_BROAD"


def test_head_teacher_reads_but_cannot_write_or_reveal(
    session: Session, clock: FixedClock, world: World
) -> None:
    located = register(session, clock, world)
    with pytest.raises(Forbidden):
        service.correct_student(
            session,
            clock,
            world.haikou_teacher,
            registry_no=number(),
            changes={"name": "陈晓明"},
            reason="更正",
        )
    with pytest.raises(Forbidden):
        service.reveal(session, clock, world.haikou_teacher, located)


def test_correction_is_audited_with_before_after_and_reason(
    session: Session, clock: FixedClock, world: World
) -> None:
    located = register(session, clock, world, name="陈晓明")
    clock.advance(minutes=5)
    service.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        changes={"name": "陈小明"},
        reason="按户口簿更正",
    )
    student = located.student
    assert student.name == "陈小明"
    [_, corrected] = outbox.events_of(session, student.id)
    assert (corrected.event_type, corrected.sequence) == ("student.corrected", 2)
    assert corrected.payload == {"changed": ["name"]}
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.action == "student.corrected"
    assert audit.read_payload(entry) == {
        "before": {"name": "陈晓明"},
        "after": {"name": "陈小明"},
        "reason": "按户口簿更正",
    }
    assert entry.actor == f"account:{world.haikou_admin.account_id}"


def test_guardian_change_and_no_op_correction(
    session: Session, clock: FixedClock, world: World
) -> None:
    located = register(session, clock, world)
    service.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        reason="家长换号",
        changes={"guardians": [GuardianFacts("陈大明", "51", "13900139000")]},
    )
    service.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        changes={"name": "陈小明"},
        reason="无变化",
    )
    events = outbox.events_of(session, located.student.id)
    assert [e.event_type for e in events] == ["student.registered", "student.guardians_changed"]
    with pytest.raises(ValidationFailed) as caught:
        service.correct_student(
            session,
            clock,
            world.haikou_admin,
            registry_no=number(),
            changes={"name": "陈晓明"},
            reason=" ",
        )
    assert caught.value.code == "REASON_REQUIRED"


def test_school_rename_republishes_every_student(
    session: Session, clock: FixedClock, world: World
) -> None:
    first = register(session, clock, world)
    second = register(session, clock, world, registry_no=number(sequence="002"), name="李华")
    with pytest.raises(Forbidden):
        schools.rename_school(
            session,
            clock,
            world.haikou_admin,
            school_code=HAIKOU,
            name="佛山市禅城区海口实验小学",
            reason="更名",
        )
    schools.rename_school(
        session,
        clock,
        world.foshan,
        school_code=HAIKOU,
        name="佛山市禅城区海口实验小学",
        reason="更名",
    )
    for located in (first, second):
        last = outbox.events_of(session, located.student.id)[-1]
        assert (last.event_type, last.payload) == (
            "student.corrected",
            {"changed": ["school_name"]},
        )
        record = lookup(session, student_id=located.student.id)
        assert record is not None and record.school_name == "佛山市禅城区海口实验小学"


def test_audit_log_is_append_only_and_verifiable(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    assert audit.verify(session).ok
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 2"))
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM audit_log WHERE id = 2"))
    drop_append_only_triggers(session)
    session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 3"))
    result = audit.verify(session)
    assert not result.ok and result.first_bad_id == 3 and result.checked == 2


def test_removing_the_last_audit_entry_is_detected(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    drop_append_only_triggers(session)
    last = session.scalar(select(func.max(AuditEntry.id)))
    session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": last})
    result = audit.verify(session)
    assert not result.ok and result.first_bad_id == last
