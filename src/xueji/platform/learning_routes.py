"""JSON API of learning: publishing resources, the student's actions, the archive."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from xueji.auth.deps import CurrentPrincipal
from xueji.domain.statuses import LearningAction
from xueji.platform import learning
from xueji.platform.models import Resource
from xueji.web.deps import ClockDep, DbSession
from xueji.web.errors import error_answers

router = APIRouter(prefix="/api/v1", tags=["learning"], responses=error_answers(401, 403))
#: what the other operations may answer besides the router's answers
ACT = error_answers(404, 422)
WRITE = error_answers(404, 413, 422)
WRITE_BODY = error_answers(400, 404, 413, 422)


class CourseIn(BaseModel):
    title: str = Field(max_length=400)
    national: bool = False


class TitleIn(BaseModel):
    title: str = Field(max_length=400)


class SubmissionIn(BaseModel):
    content: str = Field(default="", max_length=4000)


def _resource(resource: Resource) -> dict[str, Any]:
    return {
        "id": resource.id,
        "kind": resource.kind,
        "title": resource.title,
        "pool": resource.pool_region or "national",
        "class_id": resource.class_id,
    }


@router.post("/courses", status_code=201, responses=error_answers(400, 413, 422))
def publish_course(
    body: CourseIn, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    return _resource(
        learning.publish(
            session,
            clock,
            principal,
            kind=learning.COURSE,
            title=body.title,
            national=body.national,
        )
    )


@router.post("/classes/{class_id}/homework", status_code=201, responses=WRITE_BODY)
def set_homework(
    class_id: int, body: TitleIn, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    return _resource(
        learning.publish(
            session, clock, principal, kind=learning.HOMEWORK, title=body.title, class_id=class_id
        )
    )


@router.post("/classes/{class_id}/live-classes", status_code=201, responses=WRITE_BODY)
def set_live_class(
    class_id: int, body: TitleIn, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    return _resource(
        learning.publish(
            session, clock, principal, kind=learning.LIVE, title=body.title, class_id=class_id
        )
    )


@router.get("/resources")
def resources(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return [_resource(r) for r in learning.visible(session, principal)]


def _did(
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    resource_id: int,
    action: LearningAction,
    content: str | None = None,
) -> dict[str, Any]:
    record = learning.act(
        session, clock, principal, resource_id=resource_id, action=action, content=content
    )
    return {
        "id": record.id,
        "action": record.action,
        "resource_id": record.resource_id,
        "at": record.at.isoformat(),
    }


@router.post("/courses/{resource_id}/open", responses=WRITE)
def open_course(
    resource_id: int, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    return _did(session, clock, principal, resource_id, LearningAction.OPEN)


@router.get("/courses/{resource_id}/replay", responses=ACT)
def replay_course(
    resource_id: int, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    return _did(session, clock, principal, resource_id, LearningAction.REPLAY)


@router.post("/homework/{resource_id}/submissions", status_code=201, responses=WRITE_BODY)
def submit_homework(
    resource_id: int,
    body: SubmissionIn,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    return _did(session, clock, principal, resource_id, LearningAction.SUBMIT, body.content)


@router.post("/live-classes/{resource_id}/join", responses=WRITE)
def join_live_class(
    resource_id: int, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    return _did(session, clock, principal, resource_id, LearningAction.JOIN)


@router.get("/me/archive")
def my_archive(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return [
        {
            "action": record.action,
            "resource": resource.title,
            "kind": resource.kind,
            "at": record.at.isoformat(),
            "landed_at": entry.landed_at.isoformat(),
        }
        for entry, record, resource in learning.archive(session, principal)
    ]
