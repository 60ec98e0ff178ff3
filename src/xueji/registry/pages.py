"""Pages for administrators: student list and search, detail, correction, enrollment
changes. Numbers never appear in page URLs (the internal id does)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from xueji.auth.deps import SIGNED_IN_PAGES, CurrentPrincipal
from xueji.domain.codes import Gender
from xueji.domain.enrollment import ChangeKind, EnrollmentStatus, allowed_changes
from xueji.domain.errors import Conflict, IllegalTransition, ValidationFailed, XuejiError
from xueji.domain.masking import mask, mask_phone
from xueji.domain.relations import RELATIONS, relation_label
from xueji.registry import info_sheet, scope, service
from xueji.registry.enrollment import service as enrollment
from xueji.registry.models import Guardian
from xueji.registry.national import renumber
from xueji.registry.repository import RegistryRepository
from xueji.registry.validation import MAX_GUARDIANS, check_guardian
from xueji.web import forms
from xueji.web.deps import ClockDep, DbSession, get_container
from xueji.web.errors import status_of
from xueji.web.templating import render

router = APIRouter(tags=["registry pages"], include_in_schema=False, dependencies=SIGNED_IN_PAGES)
PAGE_SIZE = 50
#: the correction form's guardian slots: as many as the registry keeps
GUARDIAN_SLOTS = tuple(range(1, MAX_GUARDIANS + 1))
NOTICES = {
    "corrected": "已保存更正，并已通知平台刷新。",
    "changed": "学籍异动已办理。",
    "unchanged": "内容与原记录相同，未作修改。",
    "renumbered": "学籍号已换为身份证号（G 字头），平台账号随之更新。",
}


def _class_names(session: DbSession, school_codes: set[str]) -> dict[int, str]:
    """The names of the classes of the schools on one page of the list (one query per
    school: a page is mostly one school's)."""
    repository = RegistryRepository(session)
    return {c.id: c.name for code in school_codes for c in repository.classes_of(code)}


@router.get("/students")
def student_list(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    q: str = "",
    status: str = "",
    page: int = 1,
) -> Response:
    scope.require_staff(principal)
    page = max(page, 1)
    error: XuejiError | None = None
    try:
        students, total = service.search(
            session,
            clock,
            principal,
            query=q[:100],
            status=status or None,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
    except ValidationFailed as refused:  # a search too broad to run
        students, total, error = [], 0, refused
    class_names = _class_names(session, {s.school_code for s in students})
    rows = [
        {
            "id": s.id,
            "registry_no": mask(s.registry_no),
            "name": s.name,
            "gender": Gender(s.gender).label,
            "birth_date": s.birth_date,
            "school_code": s.school_code,
            "class": class_names.get(s.class_id or -1, "未分班"),
            "status": EnrollmentStatus(s.status).label,
        }
        for s in students
    ]
    return render(
        request,
        "students.html",
        {
            "rows": rows,
            "total": total,
            "q": q,
            "status": status,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "statuses": list(EnrollmentStatus),
            "error": error,
        },
        status_code=status_of(error) if error else 200,
    )


def _detail_context(
    session: DbSession, located: service.Located, revealed: bool
) -> dict[str, object]:
    repository = RegistryRepository(session)
    student = located.student
    school_class = repository.school_class(student.class_id) if student.class_id else None
    return {
        "student": student,
        "school": located.school,
        "registry_no": student.registry_no if revealed else mask(student.registry_no),
        "revealed": revealed,
        "gender": Gender(student.gender).label,
        "status": EnrollmentStatus(student.status),
        "school_class": school_class,
        "guardians": [
            {
                "name": g.name,
                "relation": relation_label(g.relation),
                "phone": g.phone if revealed else mask_phone(g.phone),
            }
            for g in located.guardians
        ],
        "history": repository.changes_of(student.id),
        "former_numbers": [
            {"number": mask(c.old_registry_no), "at": c.at}
            for c in renumber.changes_of(session, student.id)
        ],
        "changes": [
            change
            for change in enrollment.LOCAL_CHANGES
            if change in allowed_changes(EnrollmentStatus(student.status))
        ],
        "change_labels": {c.value: c.label for c in ChangeKind},
        "status_labels": {s.value: s.label for s in EnrollmentStatus},
    }


@router.get("/students/{student_id}")
def student_detail(
    request: Request,
    student_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    reveal: bool = False,
    done: str = "",
) -> Response:
    located = service.locate_by_id(session, principal, student_id)
    if reveal:
        service.reveal(session, clock, principal, located)
    return detail_page(request, session, principal, located, revealed=reveal, notice=done)


def detail_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    located: service.Located,
    *,
    revealed: bool = False,
    notice: str = "",
    error: XuejiError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """The student page; with ``error``, a refused enrollment change shown on the page
    with what was chosen and typed, not a bare error page."""
    context = _detail_context(session, located, revealed)
    context["notice"] = NOTICES.get(notice)
    context["can_write"] = principal.role in scope.WRITERS
    context["can_reveal"] = principal.role in scope.REVEALERS
    context["error"] = error
    context["typed"] = typed or {}
    status = status_of(error) if error else 200
    return render(request, "student.html", context, status_code=status)


@router.get("/students/{student_id}/info-sheet.pdf")
def info_sheet_pdf(
    request: Request,
    student_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> Response:
    located = service.locate_by_id(session, principal, student_id)
    filename, document = info_sheet.issue(
        session,
        clock,
        principal,
        registry_no=located.student.registry_no,
        font=get_container(request).settings.pdf_font,
    )
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/students/{student_id}/edit")
def correction_form(
    request: Request, student_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    located = service.locate_by_id(session, principal, student_id)
    scope.require_writer(principal)
    return _render_form(request, session, located, error=None, values=None)


def _render_form(
    request: Request,
    session: DbSession,
    located: service.Located,
    error: XuejiError | None,
    values: dict[str, str] | None,
    status_code: int = 200,
) -> Response:
    """Guardian phones are shown masked (the form is no audited reveal); a phone left as
    shown stays as it is. One slot per guardian the registry keeps (up to four)."""
    student = located.student
    guardians = located.guardians
    defaults = {
        "name": student.name,
        "gender": student.gender,
        "birth_date": student.birth_date.isoformat(),
        "class_id": str(student.class_id or ""),
        **{f"g{i}_{k}": "" for i in GUARDIAN_SLOTS for k in ("name", "relation", "phone")},
        "reason": "",
        "version": str(student.event_sequence),
    }
    for rank, guardian in enumerate(guardians[: len(GUARDIAN_SLOTS)], start=1):
        defaults.update(
            {
                f"g{rank}_name": guardian.name,
                f"g{rank}_relation": guardian.relation,
                f"g{rank}_phone": mask_phone(guardian.phone),
            }
        )
    classes = [  # a graduated class only for the student it still holds
        c
        for c in RegistryRepository(session).classes_of(student.school_code)
        if c.graduated_in is None or c.id == student.class_id
    ]
    return render(
        request,
        "student_edit.html",
        {
            "student": student,
            "values": values or defaults,
            "error": error,
            "classes": classes,
            "relations": RELATIONS,
            "slots": GUARDIAN_SLOTS,
        },
        status_code=status_code,
    )


class CorrectionForm(BaseModel):
    """The correction form as posted, every field as typed (shown again if refused)."""

    name: str = Field(default="", max_length=200)
    gender: str = Field(default="", max_length=2)
    birth_date: str = Field(default="", max_length=20)
    class_id: str = Field(default="", max_length=20)
    g1_name: str = Field(default="", max_length=200)
    g1_relation: str = Field(default="", max_length=20)
    g1_phone: str = Field(default="", max_length=30)
    g2_name: str = Field(default="", max_length=200)
    g2_relation: str = Field(default="", max_length=20)
    g2_phone: str = Field(default="", max_length=30)
    g3_name: str = Field(default="", max_length=200)
    g3_relation: str = Field(default="", max_length=20)
    g3_phone: str = Field(default="", max_length=30)
    g4_name: str = Field(default="", max_length=200)
    g4_relation: str = Field(default="", max_length=20)
    g4_phone: str = Field(default="", max_length=30)
    reason: str = Field(default="", max_length=1000)
    version: str = Field(default="", max_length=20)


@router.post("/students/{student_id}/edit")
def correct(
    request: Request,
    student_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    form: Annotated[CorrectionForm, Form()],
) -> Response:
    """Refused, changing nothing, when the student changed since the form was opened:
    saving every field of a stale form would silently undo the other change."""
    located = service.locate_by_id(session, principal, student_id)
    values = form.model_dump()
    if form.version != str(located.student.event_sequence):
        stale = Conflict(
            "该学生的信息在你打开此页后已被他人修改，你的更正没有保存；"
            "下面是最新的信息，请核对后重新填写",
            code="RECORD_CHANGED",
        )
        return _render_form(request, session, located, stale, None, status_code=409)
    before = located.student.event_sequence
    outcome = forms.attempt(
        session,
        lambda: service.correct_student(
            session,
            clock,
            principal,
            registry_no=located.student.registry_no,
            changes=_changes(values, located.guardians),
            reason=form.reason,
        ),
    )
    if isinstance(outcome, XuejiError):
        located = service.locate_by_id(session, principal, student_id)
        return _render_form(request, session, located, outcome, values, status_code=422)
    done = "corrected" if located.student.event_sequence != before else "unchanged"
    return RedirectResponse(f"/students/{student_id}?done={done}", status_code=303)


def _changes(values: dict[str, str], current: list[Guardian]) -> dict[str, object]:
    try:
        birth = dt.date.fromisoformat(values["birth_date"].strip())
    except ValueError:
        raise ValidationFailed(
            "出生日期须是真实存在的日期，写成 2016-02-11（如 2 月 30 日并不存在）",
            code="BIRTH_DATE_INVALID",
        ) from None
    if values["gender"] not in ("1", "2"):
        raise ValidationFailed("请选择性别", code="GENDER_INVALID")
    guardians = [
        check_guardian(
            values[f"g{i}_name"],
            values[f"g{i}_relation"],
            _phone_as_entered(values[f"g{i}_phone"], current[i - 1 : i]),
        )
        for i in GUARDIAN_SLOTS
        if i == 1 or values[f"g{i}_phone"].strip()
    ]
    class_id = int(values["class_id"]) if values["class_id"].strip().isdigit() else None
    return {
        "name": values["name"],
        "gender": Gender(values["gender"]),
        "birth_date": birth,
        "class_id": class_id,
        "guardians": guardians,
    }


def _phone_as_entered(entered: str, shown: list[Guardian]) -> str:
    """The guardian's phone when the field still holds it masked as the form showed it."""
    if shown and entered.strip() == mask_phone(shown[0].phone):
        return shown[0].phone
    return entered


@router.post("/students/{student_id}/enrollment-changes")
def change_enrollment(
    request: Request,
    student_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    kind: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
    confirmed: Annotated[bool, Form()] = False,
) -> Response:
    located = service.locate_by_id(session, principal, student_id)

    def change() -> object:
        forms.require_confirmation(confirmed)
        return enrollment.change_enrollment(
            session,
            clock,
            principal,
            registry_no=located.student.registry_no,
            kind=_change_kind(kind),
            reason=reason,
        )

    outcome = forms.attempt(
        session,
        change,
        refuse=(ValidationFailed, IllegalTransition, Conflict),
    )
    if isinstance(outcome, XuejiError):
        typed = {"kind": kind, "reason": reason}
        return detail_page(request, session, principal, located, error=outcome, typed=typed)
    return RedirectResponse(f"/students/{student_id}?done=changed", status_code=303)


def _change_kind(kind: str) -> ChangeKind:
    if kind not in {c.value for c in ChangeKind}:
        raise ValidationFailed("请选择异动类型", code="CHANGE_KIND_INVALID")
    return ChangeKind(kind)
