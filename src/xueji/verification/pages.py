"""The school's page of unactivated accounts (未激活账号)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from xueji.auth.deps import SIGNED_IN_PAGES, CurrentPrincipal
from xueji.domain.errors import NotFound, XuejiError
from xueji.domain.five_fields import FIELD_LABELS
from xueji.domain.names import KIND_LABELS, DifferenceKind
from xueji.verification import queue
from xueji.web import forms
from xueji.web.deps import ClockDep, DbSession
from xueji.web.templating import render

router = APIRouter(
    tags=["verification pages"], include_in_schema=False, dependencies=SIGNED_IN_PAGES
)
KINDS = {str(kind): label for kind, label in KIND_LABELS.items()} | {
    str(DifferenceKind.OTHER): "不同"
}


@router.get("/schools/{school_code}/unmatched")
def unmatched_page(
    request: Request,
    school_code: str,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    after: int | None = None,
) -> Response:
    return _queue_page(request, school_code, session, clock, principal, after=after)


def _queue_page(
    request: Request,
    school_code: str,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    after: int | None = None,
    error: XuejiError | None = None,
) -> Response:
    page = queue.unmatched_accounts(session, clock, principal, school_code, after=after)
    return render(
        request,
        "unmatched.html",
        {
            "school_code": school_code,
            "items": [item.as_json() for item in page.items],
            "total": page.total,
            "after": after,
            "next_after": page.next_after,
            "labels": FIELD_LABELS,
            "kinds": KINDS,
            "error": error,
        },
        status_code=422 if error else 200,
    )


@router.post("/schools/{school_code}/unmatched/{account_id}/notices")
def notify_page(
    request: Request,
    school_code: str,
    account_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    fields: Annotated[list[str] | None, Form()] = None,
    message: Annotated[str, Form(max_length=2000)] = "",
    after: Annotated[int | None, Form()] = None,
) -> Response:
    """Back to the same page of the queue, at the account just notified."""
    outcome = forms.attempt(
        session,
        lambda: queue.notify_student(
            session,
            clock,
            principal,
            school_code=school_code,
            account_id=account_id,
            fields=fields or [],
            message=message,
        ),
        propagate=(NotFound,),
    )
    if isinstance(outcome, XuejiError):
        return _queue_page(
            request, school_code, session, clock, principal, after=after, error=outcome
        )
    page = f"&after={after}" if after is not None else ""
    return RedirectResponse(
        f"/schools/{school_code}/unmatched?notified={account_id}{page}#account-{account_id}", 303
    )
