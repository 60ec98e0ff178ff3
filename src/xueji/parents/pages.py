"""Pages of parents (registration with an SMS code, my children, applications) and of
the staff who handle phone-change applications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from xueji.auth import codes
from xueji.auth.deps import SIGNED_IN_PAGES, CurrentPrincipal, signed_in_redirect
from xueji.domain.errors import NotFound, ValidationFailed, XuejiError
from xueji.domain.relations import RELATIONS
from xueji.parents import applications, approval, children, service
from xueji.platform.learning import ACTION_LABELS
from xueji.registry.scope import REVEALERS
from xueji.registry.validation import MAX_GUARDIANS
from xueji.web import csrf, forms
from xueji.web.deps import ClockDep, DbSession, client_address, get_container
from xueji.web.templating import render

router = APIRouter(tags=["parent pages"], include_in_schema=False)
#: Registration, open to anyone, and the pages of signed-in parents and staff, each router
#: with its dependencies; both are taken into ``router`` at the end of this module.
open_pages = APIRouter(dependencies=[Depends(csrf.check_form)])
signed_in_pages = APIRouter(dependencies=SIGNED_IN_PAGES)


def _register_page(
    request: Request,
    values: dict[str, str],
    error: XuejiError | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "parent_register.html",
        {
            "values": values,
            "error": error,
            "errors": forms.field_messages(error),
            "notice": notice,
        },
        status_code=status_code,
    )


@open_pages.get("/parent/register")
def register_form(request: Request) -> Response:
    return _register_page(request, {})


@open_pages.post("/parent/register")
def register(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    action: Annotated[str, Form(max_length=10)] = "register",
    phone: Annotated[str, Form(max_length=40)] = "",
    code: Annotated[str, Form(max_length=12)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """One form, two buttons: 获取验证码 (``action=code``) and 注册."""
    values = {"phone": phone, "name": name}
    if action == "code":
        refused = _send_code(request, session, clock, phone)
        if refused is not None:
            return _register_page(request, values, refused, status_code=422)
        return _register_page(request, values, notice="验证码已发送，5 分钟内有效")
    outcome = forms.attempt(
        session,
        lambda: service.register_parent(
            session, clock, phone=phone, code=code, password=password, name=name
        ),
    )
    if isinstance(outcome, XuejiError):
        return _register_page(request, values, outcome, status_code=422)
    return signed_in_redirect(
        request, session, clock, username=outcome.account.phone, password=password, to="/parent"
    )


def _send_code(
    request: Request, session: DbSession, clock: ClockDep, phone: str
) -> XuejiError | None:
    """Store a code and send it; the refusal to show, if any (a malformed phone beside
    its field). The code and its count are committed before the gateway is called: a
    failing gateway cannot roll back the count that limits how often it is asked."""
    message = forms.attempt(
        session,
        lambda: codes.request_code(
            session, clock, phone=phone, purpose="parent_register", client=client_address(request)
        ),
    )
    if isinstance(message, ValidationFailed):
        return ValidationFailed(message.message, fields={"phone": message.code})
    if isinstance(message, XuejiError):
        return message
    session.commit()
    try:
        message.send(get_container(request).sms)
    except XuejiError as refused:  # the gateway failed (SmsNotSent)
        return refused
    return None


def _parent_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    error: XuejiError | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "parent_home.html",
        {
            "children": children.children_of(session, principal),
            "applications": applications.views_for(session, principal),
            "relations": RELATIONS,
            "actions": ACTION_LABELS,
            "error": error,
            "values": values or {},
            "no_such_user": service.NO_SUCH_USER["message"],
        },
        status_code=status_code,
    )


@signed_in_pages.get("/parent")
def parent_home(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _parent_page(request, session, principal)


@signed_in_pages.post("/parent/children/{student_id}/consent")
def consent(
    request: Request,
    student_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    account_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    """A guardian confirms that an account registered for the child is the child's."""
    children.consent_for_child(
        session, clock, principal, student_id=student_id, account_id=account_id
    )
    return RedirectResponse(f"/parent#child-{student_id}", status_code=303)


@signed_in_pages.post("/parent/applications")
def apply(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    registry_no: Annotated[str, Form(max_length=40)] = "",
    student_name: Annotated[str, Form(max_length=200)] = "",
    guardian_name: Annotated[str, Form(max_length=200)] = "",
    relation: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    values = {
        "registry_no": registry_no,
        "student_name": student_name,
        "guardian_name": guardian_name,
        "relation": relation,
    }
    outcome = forms.attempt(
        session,
        lambda: applications.apply(
            session,
            clock,
            principal,
            registry_no=registry_no,
            student_name=student_name,
            guardian_name=guardian_name,
            relation=relation,
        ),
    )
    if isinstance(outcome, XuejiError):
        return _parent_page(request, session, principal, outcome, values, 422)
    return RedirectResponse("/parent", status_code=303)


@signed_in_pages.get("/phone-change-applications")
def applications_page(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    before: int | None = None,
    reveal: int | None = None,
) -> Response:
    """``?reveal=ID``: that application's phone in full (administrators, audited)."""
    revealed = applications.reveal(session, clock, principal, reveal) if reveal else None
    return _applications_page(request, session, principal, before=before, revealed=revealed)


def _applications_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    error: XuejiError | None = None,
    status_code: int = 200,
    before: int | None = None,
    revealed: dict[str, Any] | None = None,
) -> Response:
    items, next_before = applications.page_for(session, principal, before=before)
    if revealed is not None:
        items = [revealed if item["id"] == revealed["id"] else item for item in items]
    return render(
        request,
        "phone_change_applications.html",
        {
            "items": items,
            "error": error,
            "before": before,
            "next_before": next_before,
            "may_reveal": principal.role in REVEALERS,
        },
        status_code=status_code,
    )


@signed_in_pages.post("/phone-change-applications/{application_id}/{decision}")
def decide(
    request: Request,
    application_id: int,
    decision: str,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    reason: Annotated[str, Form(max_length=500)] = "",
    replace: Annotated[int | None, Form(ge=1, le=MAX_GUARDIANS)] = None,
    confirmed: Annotated[bool, Form()] = False,
    version: Annotated[int | None, Form(ge=0)] = None,
) -> Response:
    def approve() -> approval.Approval:
        forms.require_confirmation(confirmed)
        return approval.approve(
            session,
            clock,
            principal,
            application_id,
            reason=reason,
            replace=replace,
            version=version,
        )

    chosen = {
        "forward": lambda: applications.forward(session, clock, principal, application_id),
        "approve": approve,
        "reject": lambda: applications.reject(
            session, clock, principal, application_id, reason=reason
        ),
    }.get(decision)
    if chosen is None:
        return _applications_page(request, session, principal, status_code=404)
    outcome = forms.attempt(session, chosen, propagate=(NotFound,))
    if isinstance(outcome, XuejiError):
        return _applications_page(request, session, principal, outcome, 422)
    if isinstance(outcome, approval.Approval):
        session.commit()
        approval.notify_replaced(outcome, get_container(request).sms)
    return RedirectResponse("/phone-change-applications", status_code=303)


# After the routes above: include_router may copy the routes a router has so far.
router.include_router(open_pages)
router.include_router(signed_in_pages)
