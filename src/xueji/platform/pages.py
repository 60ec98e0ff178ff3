"""Pages of student accounts: registration, the student's own page with a clear
explanation of why it is not activated, and correcting the entered details."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from xueji.auth.deps import SIGNED_IN_PAGES, CurrentPrincipal, signed_in_redirect
from xueji.domain.capabilities import Capability
from xueji.domain.diagnosis import field_results, next_steps
from xueji.domain.enrollment import EnrollmentStatus
from xueji.domain.errors import XuejiError
from xueji.domain.five_fields import FIELD_LABELS, NOT_FOUND, Mismatch
from xueji.domain.names import KIND_LABELS, DifferenceKind
from xueji.domain.statuses import AccountStatus, LearningAction, ResourceKind
from xueji.platform import consent, learning, service, waiting
from xueji.platform.routes import GENDERS, parse_birth_date, send_guardian_codes
from xueji.web import csrf, forms
from xueji.web.deps import ClockDep, DbSession, client_address
from xueji.web.templating import render

router = APIRouter(tags=["student pages"], include_in_schema=False)
#: Registration, open to anyone, and the student's own pages, each router
#: with its dependencies; both are taken into ``router`` at the end of this module.
open_pages = APIRouter(dependencies=[Depends(csrf.check_form)])
signed_in_pages = APIRouter(dependencies=SIGNED_IN_PAGES)


def explain(mismatch: Mismatch, *, verified: bool = True) -> str:
    """A sentence about one difference that reveals nothing of the registry's value; for
    an account no guardian has verified yet, only which field differs."""
    field = FIELD_LABELS[mismatch.field]
    if not verified:
        return f"{field}与学籍登记的不一致"
    if mismatch.kind == NOT_FOUND:
        return "学籍系统中没有这个学籍号：请核对是否为 G 加本人身份证号，或向学校确认学籍号"
    if mismatch.field in ("gender", "birth_date") and mismatch.kind == "other":
        return f"{field}与学籍登记的不一致"
    kind = KIND_LABELS.get(DifferenceKind(mismatch.kind), mismatch.kind)
    places = "、".join(f"第 {p + 1} 个字符" for p in mismatch.positions)
    where = f"（您填写的{places}处）" if places else ""
    return f"{field}与学籍登记的不一致：{kind}{where}"


@open_pages.get("/register")
def registration_form(request: Request) -> Response:
    return render(request, "register.html", {"values": {}, "errors": {}})


class FiveFieldsForm(BaseModel):
    """The five fields as posted by the registration and correction forms."""

    registry_no: str = Field(default="", max_length=40)
    name: str = Field(default="", max_length=200)
    gender: str = Field(default="", max_length=4)
    birth_date: str = Field(default="", max_length=20)
    school_name: str = Field(default="", max_length=200)

    def entered(self) -> service.Entered:
        return service.Entered(
            registry_no=self.registry_no,
            name=self.name,
            gender=GENDERS.get(self.gender.strip(), self.gender.strip()),
            birth_date=parse_birth_date(self.birth_date),
            school_name=self.school_name,
        )


class RegistrationForm(FiveFieldsForm):
    student_no: str = Field(default="", max_length=40)
    password: str = Field(default="", max_length=256)


@open_pages.post("/register")
def register(
    request: Request, session: DbSession, clock: ClockDep, form: Annotated[RegistrationForm, Form()]
) -> Response:
    values = form.model_dump(exclude={"password"})
    outcome = forms.attempt(
        session,
        lambda: service.register(
            session,
            clock,
            student_no=form.student_no,
            password=form.password,
            entered=form.entered(),
            client=client_address(request),
        ),
    )
    if isinstance(outcome, XuejiError):
        return render(
            request,
            "register.html",
            {
                "values": values,
                "errors": forms.field_messages(outcome),
                "error": outcome,
            },
            status_code=forms.refused_status(outcome),
        )
    return signed_in_redirect(
        request, session, clock, username=form.student_no, password=form.password, to="/student"
    )


def _student_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    error: XuejiError | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> Response:
    account = service.own_account(session, principal)
    mismatches = service.mismatches_of(session, account)
    state = learning.standing(session, principal)
    verified = account.verified_at is not None
    return render(
        request,
        "student_home.html",
        {
            "account": account,
            "account_label": AccountStatus(account.status).label,
            "verified": verified,
            "explanations": [explain(m, verified=verified) for m in mismatches],
            "mismatched": {m.field for m in mismatches},
            "labels": FIELD_LABELS,
            "error": error,
            "errors": forms.field_messages(error),
            "status_label": state.status.label if state.status else None,
            "limits": limits(state),
            "resources": learning.listing(session, principal),
            "archive_open": Capability.ARCHIVE_VIEW in state.granted,
            "kinds": learning.KIND_LABELS,
            "notice": notice,
            "next_steps": next_steps(field_results(mismatches)),
            "school_notices": [n.as_json() for n in waiting.notices_for(session, account.id)],
        },
        status_code=status_code,
    )


def limits(state: learning.Standing) -> list[str]:
    """What this student cannot do now, and why, in words."""
    if not state.linked:
        return ["账号未激活：只能学习国家平台课程；学习记录会保留，激活后归集到电子学籍档案"]
    if state.status is EnrollmentStatus.SUSPENDED:
        return [
            "休学期间：作业提交、直播课堂、打开新课程和地区资源已暂停，"
            "只能回放已缓存（打开过）的课程"
        ]
    if Capability.HOMEWORK_SUBMIT not in state.granted:
        label = state.status.label if state.status else ""
        return [f"学籍状态为“{label}”：不能提交作业或参加直播课堂"]
    return []


ACTION_NOTICES = {
    LearningAction.OPEN: "已打开课程（已缓存，可回放）",
    LearningAction.REPLAY: "正在回放",
    LearningAction.SUBMIT: "作业已提交",
    LearningAction.JOIN: "已进入直播课堂",
}


@signed_in_pages.post("/student/resources/{resource_id}/{action}")
def act(
    request: Request,
    resource_id: int,
    action: str,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    content: Annotated[str, Form(max_length=4000)] = "",
    view: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Acts from the home list or from the resource's own page (``view=resource``) and
    answers with the page the student came from, with the outcome on it."""
    back_to_resource = view == "resource"
    if action not in learning.ACTIONS:
        return _student_page(request, session, principal, status_code=404)
    outcome = forms.attempt(
        session,
        lambda: learning.act(
            session,
            clock,
            principal,
            resource_id=resource_id,
            action=LearningAction(action),
            content=content or None,
        ),
    )
    if isinstance(outcome, XuejiError):
        if back_to_resource:
            return _resource_page(request, session, principal, resource_id, outcome, None, 403)
        return _student_page(request, session, principal, outcome, 403)
    # the outcome on a page of its own: a refresh shows it again instead of acting again
    page = f"/student/resources/{resource_id}" if back_to_resource else "/student"
    return RedirectResponse(f"{page}?done={action}", status_code=303)


def _resource_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    resource_id: int,
    error: XuejiError | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    detail = learning.detail(session, principal, resource_id)
    return render(
        request,
        "resource.html",
        {
            "detail": detail,
            "kind_label": ResourceKind(detail.resource.kind).label,
            "action_labels": learning.ACTION_LABELS,
            "error": error,
            "notice": notice,
        },
        status_code=status_code,
    )


@signed_in_pages.get("/student/resources/{resource_id}")
def resource_page(
    request: Request,
    resource_id: int,
    session: DbSession,
    principal: CurrentPrincipal,
    done: str = "",
) -> Response:
    """Course replay, homework submission or live class: one page per resource."""
    return _resource_page(request, session, principal, resource_id, notice=_done(done))


def _done(action: str) -> str | None:
    """The notice of an action just done (after the redirect that follows it)."""
    return ACTION_NOTICES.get(LearningAction(action)) if action in learning.ACTIONS else None


@signed_in_pages.get("/student/archive")
def archive_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    """The electronic archive (电子学籍档案) of learning records, or why it is closed."""
    try:
        entries = learning.archive(session, principal)
    except XuejiError as refused:
        return render(request, "archive.html", {"entries": [], "error": refused}, status_code=403)
    return render(
        request,
        "archive.html",
        {
            "entries": entries,
            "error": None,
            "kinds": learning.KIND_LABELS,
            "actions": learning.ACTION_LABELS,
        },
    )


@signed_in_pages.get("/student")
def student_home(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    sent: str = "",
    done: str = "",
) -> Response:
    notice = consent.CODES_SENT if sent == "guardian-codes" else _done(done)
    return _student_page(request, session, principal, notice=notice)


@signed_in_pages.post("/student/guardian-codes")
def guardian_codes(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
) -> Response:
    """Codes to the guardians' phones, then back to the page that says so."""
    send_guardian_codes(request, session, clock, principal, background)
    return RedirectResponse("/student?sent=guardian-codes", status_code=303)


@signed_in_pages.post("/student/verification")
def verification(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    outcome = forms.attempt(session, lambda: consent.verify(session, clock, principal, code=code))
    if isinstance(outcome, XuejiError):
        status = forms.refused_status(outcome)
        return _student_page(request, session, principal, outcome, status_code=status)
    return RedirectResponse("/student", status_code=303)


@signed_in_pages.post("/student/details")
def correct_details(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    form: Annotated[FiveFieldsForm, Form()],
) -> Response:
    entered = form.entered()
    changes = {
        "registry_no": entered.registry_no,
        "name": entered.name,
        "gender": entered.gender,
        "birth_date": entered.birth_date,
        "school_name": entered.school_name,
    }
    outcome = forms.attempt(
        session,
        lambda: service.update_details(
            session, clock, principal, changes=changes, client=client_address(request)
        ),
    )
    if isinstance(outcome, XuejiError):
        return _student_page(request, session, principal, outcome, status_code=422)
    return RedirectResponse("/student", status_code=303)


# After the routes above: include_router may copy the routes a router has so far.
router.include_router(open_pages)
router.include_router(signed_in_pages)
