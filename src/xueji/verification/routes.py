"""JSON API of the verification path."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from xueji.auth.deps import CurrentPrincipal
from xueji.verification import diagnosis, queue
from xueji.web.deps import ClockDep, DbSession
from xueji.web.errors import error_answers

router = APIRouter(prefix="/api/v1", tags=["verification"], responses=error_answers(401, 403))


class NoticeIn(BaseModel):
    fields: list[str] = Field(max_length=5)
    message: str = Field(default="", max_length=2000)


@router.get("/me/diagnosis")
def my_diagnosis(session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    return diagnosis.diagnose(session, principal)


@router.get("/schools/{school_code}/unmatched-accounts", responses=error_answers(404, 422))
def unmatched_accounts(
    school_code: str,
    request: Request,
    response: Response,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    after: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Oldest first, ``limit`` (default 100, at most 500) per page. ``X-Total-Count``
    counts the whole queue; while more remain, ``Link: <…>; rel="next"`` gives the next
    page (``?after=`` the last account id)."""
    page = queue.unmatched_accounts(
        session, clock, principal, school_code, after=after, limit=limit
    )
    response.headers["X-Total-Count"] = str(page.total)
    if page.next_after is not None:
        query = {"after": page.next_after} | ({"limit": limit} if limit is not None else {})
        following = request.url.include_query_params(**query)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return [item.as_json() for item in page.items]


@router.post(
    "/schools/{school_code}/unmatched-accounts/{account_id}/notices",
    status_code=201,
    responses=error_answers(400, 404, 413, 422),
)
def notify(
    school_code: str,
    account_id: int,
    body: NoticeIn,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    notice = queue.notify_student(
        session,
        clock,
        principal,
        school_code=school_code,
        account_id=account_id,
        fields=body.fields,
        message=body.message,
    )
    return {"id": notice.id, "fields": notice.fields, "message": notice.message}
