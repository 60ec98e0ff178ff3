"""Learning on both databases: pools by region, permissions by status, records kept for
unlinked accounts and landed in the archive exactly once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.integration.test_platform_sync import drain, sign_up
from tests.registry_world import HUAJING, World, build_world, number, register
from xueji.auth.service import Principal
from xueji.domain.clock import FixedClock
from xueji.domain.enrollment import ChangeKind
from xueji.domain.errors import Forbidden
from xueji.platform import learning
from xueji.platform.models import ArchiveEntry
from xueji.registry import service
from xueji.registry.enrollment import service as enrollment


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


def titles(session: Session, student: Principal) -> list[str]:
    return [r.title for r in learning.visible(session, student)]


def refused(
    session: Session, clock: FixedClock, student: Principal, resource_id: int, action: str
) -> str:
    with pytest.raises(Forbidden) as caught:
        learning.act(session, clock, student, resource_id=resource_id, action=action)
    return caught.value.code


def test_pools_permissions_and_the_archive(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    student = sign_up(session, clock)
    drain(session, clock)
    national = learning.publish(
        session, clock, world.platform, kind="course", title="国家·数学", national=True
    )
    foshan = learning.publish(session, clock, world.foshan, kind="course", title="佛山·科学")
    guangzhou = learning.publish(session, clock, world.guangzhou, kind="course", title="广州·英语")
    homework = learning.publish(
        session,
        clock,
        world.haikou_teacher,
        kind="homework",
        title="口算练习",
        class_id=world.class_id,
    )
    live = learning.publish(
        session, clock, world.haikou_teacher, kind="live", title="班会", class_id=world.class_id
    )
    assert titles(session, student) == ["国家·数学", "佛山·科学", "口算练习", "班会"]
    learning.act(session, clock, student, resource_id=foshan.id, action="open")
    assert refused(session, clock, student, guangzhou.id, "open") == "OUT_OF_REGION"

    enrollment.change_enrollment(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        kind=ChangeKind.SUSPEND,
        reason="病休",
    )
    drain(session, clock)
    assert refused(session, clock, student, national.id, "open") == "SUSPENDED"
    assert refused(session, clock, student, homework.id, "submit") == "SUSPENDED"
    assert refused(session, clock, student, live.id, "join") == "SUSPENDED"
    assert refused(session, clock, student, national.id, "replay") == "NOT_OPENED"
    learning.act(session, clock, student, resource_id=foshan.id, action="replay")

    enrollment.change_enrollment(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        kind=ChangeKind.RESUME,
        reason="康复",
    )
    drain(session, clock)
    learning.act(session, clock, student, resource_id=homework.id, action="submit", content="答案")
    learning.act(session, clock, student, resource_id=live.id, action="join")
    assert [(r.action, t.title) for _, r, t in learning.archive(session, student)] == [
        ("open", "佛山·科学"),
        ("replay", "佛山·科学"),
        ("submit", "口算练习"),
        ("join", "班会"),
    ]

    transfer = enrollment.request_transfer(
        session,
        clock,
        world.huajing_admin,
        registry_no=number(),
        to_school_code=HUAJING,
        reason="迁居",
    )
    enrollment.confirm_transfer(session, clock, world.haikou_admin, transfer_id=transfer.id)
    drain(session, clock)
    assert titles(session, student) == ["国家·数学", "广州·英语"]
    assert refused(session, clock, student, foshan.id, "open") == "OUT_OF_REGION"
    assert refused(session, clock, student, homework.id, "submit") == "NOT_YOUR_CLASS"
    assert len(learning.archive(session, student)) == 4


def test_unlinked_records_are_kept_and_land_once_on_activation(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world, name="陈晓明")
    student = sign_up(session, clock, name="陈小明")
    drain(session, clock)
    national = learning.publish(
        session, clock, world.platform, kind="course", title="国家·语文", national=True
    )
    regional = learning.publish(session, clock, world.foshan, kind="course", title="佛山·科学")
    assert titles(session, student) == ["国家·语文"]
    learning.act(session, clock, student, resource_id=national.id, action="open")
    learning.act(session, clock, student, resource_id=national.id, action="replay")
    assert refused(session, clock, student, regional.id, "open") == "NOT_ACTIVATED"
    with pytest.raises(Forbidden) as caught:
        learning.archive(session, student)
    assert caught.value.code == "NOT_ACTIVATED"
    service.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        changes={"name": "陈小明"},
        reason="按户口簿更正",
    )
    drain(session, clock)
    drain(session, clock)
    archive = learning.archive(session, student)
    assert [(r.action, t.title) for _, r, t in archive] == [
        ("open", "国家·语文"),
        ("replay", "国家·语文"),
    ]
    assert session.scalar(select(func.count()).select_from(ArchiveEntry)) == 2


def test_only_the_classs_head_teacher_sets_homework(
    session: Session, clock: FixedClock, world: World
) -> None:
    with pytest.raises(Exception) as caught:
        learning.publish(
            session, clock, world.other_teacher, kind="homework", title="x", class_id=world.class_id
        )
    assert getattr(caught.value, "code", None) == "NOT_FOUND"
    with pytest.raises(Forbidden):
        learning.publish(session, clock, world.haikou_admin, kind="course", title="x")
