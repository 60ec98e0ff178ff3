"""JSON API of the family's rights: a copy of the child's data (JSON or PDF), and
erasure requests (ask, list, withdraw). A parent names the child (``student_id``, as
``/api/v1/parents/me/children`` lists it); a student speaks for themself."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from xueji.auth.deps import CurrentPrincipal
from xueji.rights import erasure, export, export_pdf
from xueji.web.deps import ClockDep, DbSession, get_container
from xueji.web.errors import error_answers

router = APIRouter(prefix="/api/v1", tags=["rights"], responses=error_answers(401, 403, 404, 422))
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "个人信息副本（PDF）"}
}


class ErasureIn(BaseModel):
    #: the child, for a parent (a student speaks for themself)
    student_id: int | None = None


@router.get("/me/export")
def export_json(
    session: DbSession, clock: ClockDep, principal: CurrentPrincipal, student_id: int | None = None
) -> dict[str, Any]:
    """Everything the service holds about the child (PIPL art. 45); audited."""
    return export.export(session, clock, principal, student_id=student_id)


@router.get("/me/export.pdf", response_class=Response, responses=PDF)
def export_pdf_file(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    student_id: int | None = None,
) -> Response:
    copy = export.export(session, clock, principal, student_id=student_id, form="pdf")
    content = export_pdf.render(copy, font=get_container(request).settings.pdf_font)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="personal-data.pdf"'},
    )


@router.get("/me/erasure")
def erasure_requests(
    session: DbSession, principal: CurrentPrincipal, student_id: int | None = None
) -> list[dict[str, Any]]:
    return [erasure.view(r) for r in erasure.requests_of(session, principal, student_id=student_id)]


@router.post("/me/erasure", status_code=202, responses=error_answers(400, 409, 413))
def request_erasure(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    body: ErasureIn | None = None,
) -> dict[str, Any]:
    """The child's platform accounts are erased after the cooling-off period
    (``due_at``), unless withdrawn before; the registry record stays."""
    days = get_container(request).settings.erasure_cooling_days
    wanted = erasure.request(
        session,
        clock,
        principal,
        cooling_days=days,
        student_id=body.student_id if body else None,
    )
    return erasure.view(wanted)


@router.delete("/me/erasure/{request_id}", responses=error_answers(409, 413))
def withdraw_erasure(
    request_id: int, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    return erasure.view(erasure.cancel(session, clock, principal, request_id))
