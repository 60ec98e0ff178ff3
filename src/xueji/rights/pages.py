"""The page where a student, or a parent for each bound child, downloads a copy of the
child's data and asks for (or withdraws) the erasure of the child's platform accounts.
Asking needs a ticked confirmation: the page works without scripts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from xueji.auth.deps import SIGNED_IN_PAGES, CurrentPrincipal
from xueji.auth.service import Principal
from xueji.domain.errors import Forbidden, ValidationFailed, XuejiError
from xueji.domain.roles import Role
from xueji.parents import children
from xueji.rights import erasure
from xueji.web import forms
from xueji.web.deps import ClockDep, DbSession, get_container
from xueji.web.templating import render

router = APIRouter(tags=["rights pages"], include_in_schema=False, dependencies=SIGNED_IN_PAGES)
CONFIRMED = "yes"


def _sections(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """One section per child the caller speaks for (a student: themself)."""
    if principal.role is Role.STUDENT:
        return [{"student_id": None, "name": principal.display_name, "query": ""}]
    if principal.role is Role.PARENT:
        return [
            {
                "student_id": child["student_id"],
                "name": child["name"],
                "query": f"?student_id={child['student_id']}",
            }
            for child in children.children_of(session, principal)
        ]
    raise Forbidden("只有学生本人或已绑定孩子的家长可以查看此页")


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    error: XuejiError | None = None,
    status_code: int = 200,
) -> Response:
    sections = _sections(session, principal)
    for section in sections:
        section["requests"] = [
            {**erasure.view(r), "requested": r.requested_at, "due": r.due_at}
            for r in erasure.requests_of(session, principal, student_id=section["student_id"])
        ]
    days = get_container(request).settings.erasure_cooling_days
    return render(
        request,
        "my_data.html",
        {"sections": sections, "error": error, "cooling_days": days},
        status_code=status_code,
    )


@router.get("/my-data")
def my_data(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _page(request, session, principal)


@router.post("/my-data/erasure")
def ask_erasure(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    student_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    days = get_container(request).settings.erasure_cooling_days

    def ask() -> object:
        if confirm != CONFIRMED:
            raise ValidationFailed("请先勾选“我已了解”再提交注销申请", code="ERASURE_NOT_CONFIRMED")
        return erasure.request(session, clock, principal, cooling_days=days, student_id=student_id)

    outcome = forms.attempt(session, ask)
    if isinstance(outcome, XuejiError):
        return _page(request, session, principal, outcome, 422)
    return RedirectResponse("/my-data", status_code=303)


@router.post("/my-data/erasure/{request_id}/withdraw")
def withdraw(
    request: Request,
    request_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> Response:
    outcome = forms.attempt(session, lambda: erasure.cancel(session, clock, principal, request_id))
    if isinstance(outcome, XuejiError):
        return _page(request, session, principal, outcome, 422)
    return RedirectResponse("/my-data", status_code=303)
