"""Pages of a student's national record: the record by group (sensitive fields on
request, audited) and its correction form."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, create_model

from xueji.auth.deps import SIGNED_IN_PAGES, CurrentPrincipal
from xueji.domain.codesets import code_set
from xueji.domain.errors import XuejiError
from xueji.registry import scope, service
from xueji.registry.national import entry, renumber, view
from xueji.registry.national.fields import (
    FIELDS,
    GROUPS,
    MEMBER_FIELDS,
    MEMBERS,
    member_column,
    member_header,
)
from xueji.registry.national.fields import (
    Field as RecordField,
)
from xueji.registry.national.messages import form_of
from xueji.registry.pages import detail_page
from xueji.web import forms
from xueji.web.deps import ClockDep, DbSession
from xueji.web.templating import render

router = APIRouter(tags=["registry pages"], include_in_schema=False, dependencies=SIGNED_IN_PAGES)
NOTICES = {"saved": "学籍信息已保存。", "unchanged": "内容与原记录相同，未作修改。"}


class _FormBase(BaseModel):
    reason: str = Field(default="", max_length=500)


#: the correction form as posted: one text per record column, and the reason
RecordForm: type[_FormBase] = create_model(  # type: ignore[call-overload]
    "RecordForm",
    __base__=_FormBase,
    **{
        column: (str, Field(default="", max_length=200))
        for column in [f.key for f in FIELDS]
        + [member_column(n, f.key) for n in range(1, MEMBERS + 1) for f in MEMBER_FIELDS]
    },
)


@router.get("/students/{student_id}/record")
def record_page(
    request: Request,
    student_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    reveal: bool = False,
    done: str = "",
) -> Response:
    located = service.locate_by_id(session, principal, student_id)
    shown = view.read(session, clock, principal, located, reveal=reveal)
    context = {
        "student": located.student,
        "record": shown,
        "can_reveal": bool(view.sensitive_allowed(principal, located)),
        "can_write": principal.role in scope.WRITERS,
        "notice": NOTICES.get(done),
    }
    return render(request, "national_record.html", context)


@router.get("/students/{student_id}/record/edit")
def record_form(
    request: Request,
    student_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> Response:
    """Opening the form shows the sensitive fields too: a full read, audited."""
    located = service.locate_by_id(session, principal, student_id)
    scope.require_writer(principal)
    view.read(session, clock, principal, located, reveal=True)
    return _form(request, located, entry.current_record(session, located), None)


def _form(
    request: Request,
    located: service.Located,
    values: dict[str, str],
    error: XuejiError | None,
    status_code: int = 200,
) -> Response:
    groups: dict[str, list[dict[str, Any]]] = {}
    for field in FIELDS:
        groups.setdefault(GROUPS[field.group], []).append(_input(field.key, field.header, field))
    members = [
        [_input(member_column(n, f.key), member_header(n, f), f) for f in MEMBER_FIELDS]
        for n in range(1, MEMBERS + 1)
    ]
    context = {
        "student": located.student,
        "groups": groups,
        "members": members,
        "values": values,
        "error": error,
    }
    return render(request, "national_record_edit.html", context, status_code=status_code)


def _input(column: str, header: str, field: RecordField) -> dict[str, Any]:
    options = list(code_set(field.codes).labels.items()) if field.codes else []
    return {"column": column, "header": header, "options": options, "hint": form_of(field)}


@router.post("/students/{student_id}/record/edit")
def save_record(
    request: Request,
    student_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    form: Annotated[RecordForm, Form()],  # type: ignore[valid-type]
) -> Response:
    located = service.locate_by_id(session, principal, student_id, lock=True)
    scope.require_writer(principal)  # a reader is refused outright, not shown the form
    typed = cast(BaseModel, form).model_dump()
    reason = typed.pop("reason")
    outcome = forms.attempt(
        session,
        lambda: entry.correct(session, clock, principal, located, values=typed, reason=reason),
    )
    if isinstance(outcome, XuejiError):  # the form again as typed, the reason included
        return _form(request, located, typed | {"reason": reason}, outcome, status_code=422)
    done = "saved" if outcome else "unchanged"
    return RedirectResponse(f"/students/{student_id}/record?done={done}", status_code=303)


@router.post("/students/{student_id}/resident-id")
def give_resident_id(
    request: Request,
    student_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    resident_id: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    confirmed: Annotated[bool, Form()] = False,
) -> Response:
    """From the student page: refused there with what was typed, done with a redirect.
    The student is locked as the API locks it: a form sent twice at once converts once."""
    located = service.locate_by_id(session, principal, student_id, lock=True)

    def convert() -> str:
        forms.require_confirmation(confirmed)
        return renumber.convert(
            session, clock, principal, located, resident_id=resident_id, reason=reason
        )

    outcome = forms.attempt(session, convert)
    if isinstance(outcome, XuejiError):
        typed = {"resident_id": resident_id, "renumber_reason": reason}
        return detail_page(request, session, principal, located, error=outcome, typed=typed)
    return RedirectResponse(f"/students/{student_id}?done=renumbered", status_code=303)
