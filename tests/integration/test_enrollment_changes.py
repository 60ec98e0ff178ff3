"""学籍异动 on both databases: the state table enforced, transfers in two steps."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.registry_world import HAIKOU, HUAJING, World, build_world, number, register
from xueji.audit.repository import AuditRepository
from xueji.audit.service import read_payload
from xueji.domain.clock import FixedClock
from xueji.domain.enrollment import ChangeKind
from xueji.domain.errors import Conflict, Forbidden, IllegalTransition, NotFound
from xueji.registry import service
from xueji.registry.enrollment import service as enrollment
from xueji.registry.repository import RegistryRepository
from xueji.sync import outbox


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


def change(session: Session, clock: FixedClock, world: World, kind: ChangeKind) -> str:
    located = enrollment.change_enrollment(
        session, clock, world.haikou_admin, registry_no=number(), kind=kind, reason="家长申请"
    )
    return located.student.status


def test_suspend_and_resume(session: Session, clock: FixedClock, world: World) -> None:
    located = register(session, clock, world)
    assert change(session, clock, world, ChangeKind.SUSPEND) == "suspended"
    assert change(session, clock, world, ChangeKind.RESUME) == "enrolled"
    events = outbox.events_of(session, located.student.id)
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[-1].payload == {
        "kind": "resume",
        "from_status": "suspended",
        "to_status": "enrolled",
    }
    history = RegistryRepository(session).changes_of(located.student.id)
    assert [h.kind for h in history] == ["resume", "suspend"]


def test_illegal_change_is_refused_and_changes_nothing(
    session: Session, clock: FixedClock, world: World
) -> None:
    located = register(session, clock, world)
    with pytest.raises(IllegalTransition):
        change(session, clock, world, ChangeKind.RESUME)
    assert located.student.status == "enrolled"
    assert len(outbox.events_of(session, located.student.id)) == 1


def test_only_the_students_school_admin_changes_status(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    with pytest.raises(Forbidden):
        enrollment.change_enrollment(
            session, clock, world.foshan, registry_no=number(), kind=ChangeKind.SUSPEND, reason="x"
        )
    with pytest.raises(NotFound):
        enrollment.change_enrollment(
            session,
            clock,
            world.huajing_admin,
            registry_no=number(),
            kind=ChangeKind.SUSPEND,
            reason="x",
        )


def test_cross_region_transfer_needs_the_origin_schools_confirmation(
    session: Session, clock: FixedClock, world: World
) -> None:
    located = register(session, clock, world)
    transfer = enrollment.request_transfer(
        session,
        clock,
        world.huajing_admin,
        registry_no=number(),
        to_school_code=HUAJING,
        reason="随父母迁居广州",
    )
    assert located.student.school_code == HAIKOU
    with pytest.raises(NotFound):
        enrollment.confirm_transfer(session, clock, world.huajing_admin, transfer_id=transfer.id)
    with pytest.raises(Conflict):
        change(session, clock, world, ChangeKind.SUSPEND)
    enrollment.confirm_transfer(session, clock, world.haikou_admin, transfer_id=transfer.id)
    student = located.student
    assert (student.school_code, student.class_id, student.status) == (HUAJING, None, "enrolled")
    last = outbox.events_of(session, student.id)[-1]
    assert last.event_type == "student.transferred"
    assert last.payload == {
        "from_school_code": HAIKOU,
        "to_school_code": HUAJING,
        "from_region_code": "440604",
        "to_region_code": "440106",
    }
    # the audit entry keeps the class the student left (the record no longer says it)
    [handed_over] = [
        entry
        for entry in AuditRepository(session).entries_for(f"student:{student.id}")
        if entry.action == "student.transferred"
    ]
    assert read_payload(handed_over)["before"]["class_id"] == world.class_id
    assert service.locate(session, clock, world.huajing_admin, number()).school.code == HUAJING
    with pytest.raises(NotFound):
        service.locate(session, clock, world.haikou_admin, number())
    with pytest.raises(Conflict):
        enrollment.confirm_transfer(session, clock, world.haikou_admin, transfer_id=transfer.id)


def test_rejected_transfer_leaves_the_student(
    session: Session, clock: FixedClock, world: World
) -> None:
    located = register(session, clock, world)
    transfer = enrollment.request_transfer(
        session,
        clock,
        world.huajing_admin,
        registry_no=number(),
        to_school_code=HUAJING,
        reason="迁居",
    )
    enrollment.reject_transfer(
        session, clock, world.haikou_admin, transfer_id=transfer.id, reason="学生仍在本校就读"
    )
    assert transfer.status == "rejected" and located.student.school_code == HAIKOU
    assert [t.id for t in enrollment.transfers_for(session, world.haikou_admin)] == [transfer.id]


def test_transfer_request_reveals_nothing_about_unknown_students(
    session: Session, clock: FixedClock, world: World
) -> None:
    with pytest.raises(NotFound) as caught:
        enrollment.request_transfer(
            session,
            clock,
            world.huajing_admin,
            registry_no=number(),
            to_school_code=HUAJING,
            reason="迁居",
        )
    assert caught.value.code == "TRANSFER_NOT_POSSIBLE"
    with pytest.raises(Forbidden):
        enrollment.request_transfer(
            session,
            clock,
            world.huajing_admin,
            registry_no=number(),
            to_school_code=HAIKOU,
            reason="迁居",
        )


@pytest.mark.parametrize("left", [ChangeKind.GRADUATE, ChangeKind.WITHDRAW])
def test_a_student_who_left_is_admitted_by_the_next_school(
    session: Session, clock: FixedClock, world: World, left: ChangeKind
) -> None:
    located = register(session, clock, world)
    change(session, clock, world, left)
    admitted = register(session, clock, world, school=HUAJING, admin=world.huajing_admin)
    student = admitted.student
    assert student.id == located.student.id, "the same record moves on"
    assert (student.school_code, student.status, student.class_id) == (HUAJING, "enrolled", None)
    last = outbox.events_of(session, student.id)[-1]
    assert (last.event_type, last.sequence) == ("student.admitted", 3)
    assert last.payload == {
        "from_school_code": HAIKOU,
        "to_school_code": HUAJING,
        "from_region_code": "440604",
        "to_region_code": "440106",
        "from_status": {ChangeKind.GRADUATE: "graduated", ChangeKind.WITHDRAW: "withdrawn"}[left],
        "to_status": "enrolled",
    }
    history = RegistryRepository(session).changes_of(student.id)
    assert (history[0].kind, history[0].from_school_code, history[0].to_school_code) == (
        "admit",
        HAIKOU,
        HUAJING,
    )
    with pytest.raises(NotFound):
        service.locate(session, clock, world.haikou_admin, number())


def test_an_admission_needs_the_registrys_name_and_changes_nothing_otherwise(
    session: Session, clock: FixedClock, world: World
) -> None:
    located = register(session, clock, world)
    change(session, clock, world, ChangeKind.GRADUATE)
    with pytest.raises(Conflict) as caught:
        register(session, clock, world, name="陈晓明", school=HUAJING, admin=world.huajing_admin)
    assert caught.value.code == "STUDENT_DETAILS_MISMATCH"
    assert (located.student.school_code, located.student.status) == (HAIKOU, "graduated")
    assert len(outbox.events_of(session, located.student.id)) == 2


def test_an_enrolled_student_still_needs_a_transfer(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    with pytest.raises(Conflict) as caught:
        register(session, clock, world, school=HUAJING, admin=world.huajing_admin)
    assert caught.value.code == "STUDENT_AT_OTHER_SCHOOL"


def test_a_student_who_withdrew_is_reenrolled_by_the_same_school(
    session: Session, clock: FixedClock, world: World
) -> None:
    located = register(session, clock, world)
    with pytest.raises(IllegalTransition):  # only a student who withdrew comes back
        change(session, clock, world, ChangeKind.REENROLL)
    assert change(session, clock, world, ChangeKind.WITHDRAW) == "withdrawn"
    with pytest.raises(NotFound):  # another school admits instead; it cannot re-enroll
        enrollment.change_enrollment(
            session,
            clock,
            world.huajing_admin,
            registry_no=number(),
            kind=ChangeKind.REENROLL,
            reason="回来了",
        )
    assert change(session, clock, world, ChangeKind.REENROLL) == "enrolled"
    assert located.student.school_code == HAIKOU
    events = outbox.events_of(session, located.student.id)
    assert events[-1].payload == {
        "kind": "reenroll",
        "from_status": "withdrawn",
        "to_status": "enrolled",
    }
    history = RegistryRepository(session).changes_of(located.student.id)
    assert [h.kind for h in history][:2] == ["reenroll", "withdraw"]
