"""Registry events reach the platform through the worker, on both databases: the
projection follows the registry, permissions follow status, corrections relink."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.registry_world import HUAJING, World, build_world, guardian_consents, number, register
from xueji.app import apply_registry_events
from xueji.auth import service as auth
from xueji.domain.clock import FixedClock
from xueji.domain.enrollment import ChangeKind
from xueji.platform import capabilities
from xueji.platform import service as accounts
from xueji.registry import service
from xueji.registry.enrollment import service as enrollment
from xueji.sync import worker
from xueji.sync.models import OutboxEvent

PASSWORD = "a good password 1"


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


def drain(session: Session, clock: FixedClock) -> int:
    factory = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    total = 0
    while handled := worker.run_once(factory, clock, apply_registry_events):
        total += handled
    session.expire_all()
    return total


def student_principal(session: Session, student_no: str) -> auth.Principal:
    principal = auth.principal_by_username(session, student_no)
    assert principal is not None
    return principal


def sign_up(
    session: Session, clock: FixedClock, *, name: str = "陈小明", consented: bool = True
) -> auth.Principal:
    """A student account for 陈小明's number; by default its guardian has consented."""
    registered = accounts.register(
        session,
        clock,
        student_no="chen2016",
        password=PASSWORD,
        client="10.0.0.9",
        entered=accounts.Entered(
            registry_no=number(),
            name=name,
            gender="1",
            birth_date=dt.date(2016, 2, 11),
            school_name="佛山市禅城区海口小学",
        ),
    )
    assert isinstance(registered, accounts.Registration), registered
    student = student_principal(session, "chen2016")
    if consented:
        guardian_consents(session, clock, student)
    return student


def test_permissions_follow_suspension_and_resumption(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    student = sign_up(session, clock)
    assert drain(session, clock) == 1
    full = capabilities.capabilities_of(session, student)
    assert full["linked"] is True and full["status"] == "enrolled"
    assert full["region_code"] == "440604" and "homework.submit" in full["capabilities"]
    enrollment.change_enrollment(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        kind=ChangeKind.SUSPEND,
        reason="病休",
    )
    clock.advance(seconds=2)
    assert drain(session, clock) == 1
    suspended = capabilities.capabilities_of(session, student)
    assert suspended["status"] == "suspended"
    assert suspended["capabilities"] == ["course.replay_cached"]
    enrollment.change_enrollment(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        kind=ChangeKind.RESUME,
        reason="康复",
    )
    drain(session, clock)
    assert capabilities.capabilities_of(session, student)["capabilities"] == full["capabilities"]


def test_a_graduate_admitted_by_another_school_regains_its_permissions_there(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    student = sign_up(session, clock)
    enrollment.change_enrollment(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        kind=ChangeKind.GRADUATE,
        reason="小学毕业",
    )
    drain(session, clock)
    graduated = capabilities.capabilities_of(session, student)
    assert graduated["status"] == "graduated" and "homework.submit" not in graduated["capabilities"]
    register(session, clock, world, school=HUAJING, admin=world.huajing_admin)
    drain(session, clock)
    admitted = capabilities.capabilities_of(session, student)
    assert (admitted["status"], admitted["region_code"]) == ("enrolled", "440106")
    assert "homework.submit" in admitted["capabilities"]


def test_events_are_handled_once_with_their_delay(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    clock.advance(seconds=3)
    assert drain(session, clock) == 1
    assert drain(session, clock) == 0
    event = session.scalars(select(OutboxEvent)).one()
    assert event.handled_at == clock.now() and event.lag_ms == 3000


def test_a_registry_correction_activates_the_waiting_account(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world, name="陈晓明")  # the school typed the name wrong
    student = sign_up(session, clock, name="陈小明")
    assert accounts.own_account(session, student).status == "pending"
    assert capabilities.capabilities_of(session, student)["linked"] is False
    service.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        changes={"name": "陈小明"},
        reason="按户口簿更正",
    )
    drain(session, clock)
    assert accounts.own_account(session, student).status == "active"
    assert capabilities.capabilities_of(session, student)["status"] == "enrolled"


def test_unlinked_account_sees_national_courses_only(
    session: Session, clock: FixedClock, world: World
) -> None:
    student = sign_up(session, clock, consented=False)  # the registry has no such number yet
    assert capabilities.capabilities_of(session, student) == {
        "linked": False,
        "status": None,
        "region_code": None,
        "capabilities": ["course.open", "course.replay_cached"],
    }
