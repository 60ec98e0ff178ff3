"""The 学年升级 page: a preview with counts per class, then the promotion itself, confirmed
by a box the administrator ticks after checking the counts (it cannot be undone). The
counts the page showed come back with the form: if the registry changed meanwhile, the
promotion is refused and the page shows the new preview."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from xueji.auth.deps import SIGNED_IN_PAGES, CurrentPrincipal
from xueji.auth.service import Principal
from xueji.domain.clock import china_today
from xueji.domain.errors import Conflict, Forbidden, ValidationFailed, XuejiError
from xueji.domain.roles import Role
from xueji.registry import grades, promotion
from xueji.registry.models import School
from xueji.registry.repository import RegistryRepository
from xueji.web import forms
from xueji.web.deps import ClockDep, DbSession
from xueji.web.errors import status_of
from xueji.web.templating import render

router = APIRouter(tags=["registry pages"], include_in_schema=False, dependencies=SIGNED_IN_PAGES)
PROMOTERS = (Role.PLATFORM_ADMIN, Role.REGION_ADMIN, Role.SCHOOL_ADMIN)


@router.get("/promotion")
def promotion_page(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    school: str = "",
    region: str = "",
    done: str = "",
    promoted: Annotated[int, Query(ge=0)] = 0,
    graduated: Annotated[int, Query(ge=0)] = 0,
    held: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    target = _target(principal, school, region)
    notice = _summary(promoted, graduated, held) if done == "1" else None
    try:
        planned = _plan(session, clock, principal, target)
    except ValidationFailed as refused:  # a platform administrator has not chosen yet
        nothing = promotion.Plan(grades.school_year(china_today(clock)), (), (), ())
        return _render(request, session, principal, target, nothing, error=refused)
    return _render(request, session, principal, target, planned, notice=notice)


@router.post("/promotion")
def promote(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    school: Annotated[str, Form(max_length=10)] = "",
    region: Annotated[str, Form(max_length=6)] = "",
    promoted: Annotated[int, Form()] = -1,
    graduated: Annotated[int, Form()] = -1,
    confirmed: Annotated[bool, Form()] = False,
) -> Response:
    target = _target(principal, school, region)

    def run() -> promotion.Plan:
        if not confirmed:
            raise ValidationFailed("请先核对人数，并勾选确认", code="CONFIRMATION_REQUIRED")
        planned = promotion.plan(session, clock, principal, **target)
        # nothing left to promote (sent twice, or the region did it): ``promote`` says so
        if planned.schools and (planned.promoted, planned.graduated) != (promoted, graduated):
            raise Conflict(
                "预览之后学生名单有变化，人数已更新：请重新核对后再确认", code="PROMOTION_CHANGED"
            )
        return promotion.promote(session, clock, principal, **target)

    outcome = forms.attempt(session, run, refuse=(ValidationFailed, Conflict))
    if isinstance(outcome, XuejiError):
        planned = _plan(session, clock, principal, target)
        return _render(
            request, session, principal, target, planned, error=outcome, status=status_of(outcome)
        )
    query: dict[str, str | int] = {
        "school": target["school_code"] or "",
        "region": target["region_code"] or "",
    }
    query = {key: value for key, value in query.items() if value}
    counts = {"promoted": outcome.promoted, "graduated": outcome.graduated, "held": outcome.held}
    return RedirectResponse(
        f"/promotion?{urlencode({**query, 'done': 1, **counts})}", status_code=303
    )


def _summary(promoted: int, graduated: int, held: int) -> str:
    """The notice after a promotion, from its counts (the link carries numbers only)."""
    summary = f"学年升级完成：升级 {promoted} 人，毕业 {graduated} 人"
    if held:
        summary += f"，休学留下 {held} 人"
    return summary + "。平台将随后刷新毕业学生的账号。"


def _target(principal: Principal, school: str, region: str) -> dict[str, str | None]:
    """What the page promotes: a school administrator, their school; a region
    administrator, their region unless they picked one of its schools."""
    if principal.role not in PROMOTERS:
        raise Forbidden("只有学校信息管理员和教育行政部门管理员可以办理学年升级")
    if principal.role is Role.SCHOOL_ADMIN:
        return {"school_code": principal.school_code, "region_code": None}
    if school:
        return {"school_code": school, "region_code": None}
    return {"school_code": None, "region_code": region or principal.region_code or ""}


def _plan(
    session: DbSession, clock: ClockDep, principal: Principal, target: dict[str, str | None]
) -> promotion.Plan:
    return promotion.plan(session, clock, principal, **target)


def _render(
    request: Request,
    session: DbSession,
    principal: Principal,
    target: dict[str, str | None],
    planned: promotion.Plan,
    *,
    notice: str | None = None,
    error: XuejiError | None = None,
    status: int = 200,
) -> Response:
    choices: list[School] = []
    if principal.role is not Role.SCHOOL_ADMIN:
        region = principal.region_code or ""
        choices = RegistryRepository(session).schools(School.region_code.startswith(region))
    names = {school.code: school.name for school in (*planned.schools, *planned.done)}
    return render(
        request,
        "promotion.html",
        {
            "planned": planned,
            "target": target,
            "names": names,
            "choices": choices,
            "notice": notice,
            "error": error,
        },
        status_code=status,
    )
