"""家长联系方式变更申请: a parent asks for their own proven phone to be recorded as a
guardian phone of a child; the head teacher forwards it (or the school administrator
takes it directly); the school administrator approves or rejects it with a reason.

Approval changes the guardian in the registry through the maintenance function (audited,
with a change event), and the event binds the waiting parent account — the same path any
guardian change takes. The application cannot take over a child: staff see who applied
with which phone beside the child's current guardians, approving needs the school
administrator, and every decision is audited.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth import service as auth
from xueji.auth.service import Principal
from xueji.domain import names
from xueji.domain.clock import Clock, china_today
from xueji.domain.errors import (
    Conflict,
    Forbidden,
    IdentityError,
    NotFound,
    ValidationFailed,
)
from xueji.domain.identity import parse_number
from xueji.domain.masking import mask, mask_phone
from xueji.domain.paging import page_size
from xueji.domain.relations import parse_relation, relation_label
from xueji.domain.roles import Role
from xueji.domain.statuses import ApplicationState
from xueji.domain.throttling import ThrottleRule
from xueji.parents.models import PhoneChangeApplication
from xueji.parents.repository import ParentRepository
from xueji.parents.service import own_parent_account
from xueji.registry import scope
from xueji.registry import service as registry
from xueji.registry.events import actor_of
from xueji.registry.lookup import class_info, lookup
from xueji.registry.validation import MAX_GUARDIANS, check_reason

log = logging.getLogger(__name__)
SUBMITTED, FORWARDED = ApplicationState.SUBMITTED, ApplicationState.FORWARDED
APPROVED, REJECTED = ApplicationState.APPROVED, ApplicationState.REJECTED
#: a mismatching application tells the applicant nothing, but it is still a guess at
#: a child's data: its own budget per parent.
APPLY_BUDGET = ThrottleRule(free=5, base_seconds=60, cap_seconds=3600)


def apply(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    registry_no: str,
    student_name: str,
    guardian_name: str,
    relation: str,
) -> PhoneChangeApplication | ValidationFailed:
    """Submit an application. A number and name that do not match a registry student are
    *returned* as APPLICATION_NOT_MATCHED (after spending the budget), never told apart."""
    parent = own_parent_account(session, principal)
    fields: dict[str, str] = {}
    number = None
    try:
        number = parse_number(registry_no, today=china_today(clock))
    except IdentityError as error:
        fields["registry_no"] = error.code
    for field, value in (("student_name", student_name), ("guardian_name", guardian_name)):
        try:
            names.check_person_name(value)
        except ValidationFailed as error:
            fields[field] = error.code
    try:
        relation_code = parse_relation(relation)
    except ValidationFailed as error:
        fields["relation"] = error.code
    if fields or number is None:
        raise ValidationFailed("申请信息有误，请按提示修改后重新提交", fields=fields)
    budget = {f"apply:parent:{parent.id}": APPLY_BUDGET}
    refusal = auth.blocked_for(session, clock, list(budget))
    if refusal is not None:
        raise refusal
    record = lookup(session, registry_no=number.registry_no)
    if record is None or not names.equal(record.name, student_name):
        auth.spend(session, clock, budget)
        return ValidationFailed(
            "学籍号与学生姓名对不上，请对照《学籍基本信息表》核对后重新填写",
            code="APPLICATION_NOT_MATCHED",
        )
    if parent.phone_index in record.guardian_phone_indexes:
        raise Conflict("您的手机号已是该学生的监护人手机号，无需申请", code="ALREADY_GUARDIAN")
    repository = ParentRepository(session)
    if any(
        a.student_id == record.student_id and ApplicationState(a.state).is_open
        for a in repository.applications_of_parent(parent.id)
    ):
        raise Conflict("您已为该学生提交过申请，正在处理中", code="APPLICATION_OPEN")
    application = PhoneChangeApplication(
        parent_account_id=parent.id,
        student_id=record.student_id,
        school_code=record.school_code,
        student_name=names.check_person_name(student_name),  # as typed, not the registry's
        guardian_name=names.check_person_name(guardian_name),
        relation=relation_code,
        phone=parent.phone,
        state=SUBMITTED,
        created_at=clock.now(),
        reason="",
    )
    repository.add(application)
    audit.record(
        session,
        clock,
        actor_of(principal),
        action="phone_change.applied",
        subject=f"student:{record.student_id}",
        school_code=record.school_code,
        payload={"application_id": application.id, "relation": relation_code},
    )
    return application


def visible(
    session: Session, principal: Principal, application_id: int, *, lock: bool = False
) -> PhoneChangeApplication:
    """The application if the caller may see it; otherwise NotFound (no existence leak).
    ``lock``: for a decision on it."""
    application = ParentRepository(session).application(application_id, lock=lock)
    if application is None or not _sees(session, principal, application):
        raise NotFound("没有找到该申请")
    return application


def _sees(session: Session, principal: Principal, application: PhoneChangeApplication) -> bool:
    if principal.role is Role.PARENT:
        parent = own_parent_account(session, principal)
        return application.parent_account_id == parent.id
    if principal.role is Role.HEAD_TEACHER:
        record = lookup(session, student_id=application.student_id)
        info = class_info(session, record.class_id) if record and record.class_id else None
        return info is not None and info.head_teacher_id == principal.account_id
    if principal.role is Role.SCHOOL_ADMIN:
        return application.school_code == principal.school_code
    record = lookup(session, student_id=application.student_id)
    return record is not None and scope.sees_school(
        principal, school_code=record.school_code, region_code=record.region_code
    )


def record_decision(
    session: Session,
    clock: Clock,
    principal: Principal,
    application: PhoneChangeApplication,
    action: str,
) -> None:
    audit.record(
        session,
        clock,
        actor_of(principal),
        action=f"phone_change.{action}",
        subject=f"student:{application.student_id}",
        school_code=application.school_code,
        payload={"application_id": application.id, "reason": application.reason},
    )


def forward(
    session: Session, clock: Clock, principal: Principal, application_id: int
) -> PhoneChangeApplication:
    """The child's head teacher passes the application to the school administrator."""
    application = visible(session, principal, application_id, lock=True)
    if principal.role is not Role.HEAD_TEACHER:
        raise NotFound("没有找到该申请")
    if application.state != SUBMITTED:
        raise Conflict("该申请已转交或已处理", code="APPLICATION_STATE")
    application.state = FORWARDED
    application.forwarded_by, application.forwarded_at = principal.account_id, clock.now()
    record_decision(session, clock, principal, application, FORWARDED)
    return application


def deciding(session: Session, principal: Principal, application_id: int) -> PhoneChangeApplication:
    application = visible(session, principal, application_id, lock=True)
    if principal.role is not Role.SCHOOL_ADMIN:
        raise NotFound("没有找到该申请")
    if not ApplicationState(application.state).is_open:
        raise Conflict("该申请已处理", code="APPLICATION_STATE")
    return application


def needs_choice(guardians: list[Any], relation: str) -> bool:
    """Whether approving an application of ``relation`` needs the administrator to pick
    the guardian it replaces (the child has the most guardians, none of that relation)."""
    return len([g for g in guardians if g.relation != relation]) >= MAX_GUARDIANS


def reject(
    session: Session, clock: Clock, principal: Principal, application_id: int, *, reason: str
) -> PhoneChangeApplication:
    application = deciding(session, principal, application_id)
    application.reason = check_reason(reason)
    application.state = REJECTED
    application.decided_by, application.decided_at = principal.account_id, clock.now()
    record_decision(session, clock, principal, application, REJECTED)
    return application


def open_count(session: Session, school_codes: list[str]) -> int:
    """How many applications filed at these schools wait for a decision."""
    return ParentRepository(session).count_open(school_codes)


def for_caller(
    session: Session, principal: Principal, *, before: int | None = None, limit: int | None = None
) -> list[PhoneChangeApplication]:
    """A parent's own applications (all of them), or one page of a staff member's,
    newest first (``before``: the last id of the previous page)."""
    return _applications(session, principal, before=before, limit=limit)[0]


def _applications(
    session: Session, principal: Principal, *, before: int | None, limit: int | None
) -> tuple[list[PhoneChangeApplication], int | None]:
    """The caller's applications, and the ``before`` of the next page (None on the last
    page; parents have one page). One more row than the page is read to know."""
    repository = ParentRepository(session)
    if principal.role is Role.PARENT:
        parent = own_parent_account(session, principal)
        return repository.applications_of_parent(parent.id), None
    scope.require_staff(principal)
    limit = page_size(limit)
    found = repository.applications_in_scope(principal, before=before, limit=limit + 1)
    page = found[:limit]
    next_before = page[-1].id if len(found) > limit else None
    return [a for a in page if _sees(session, principal, a)], next_before


def views_for(
    session: Session, principal: Principal, *, before: int | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """The caller's list (see ``page_for``)."""
    return page_for(session, principal, before=before, limit=limit)[0]


def page_for(
    session: Session, principal: Principal, *, before: int | None = None, limit: int | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """The caller's list, and the ``before`` of the next page (None on the last page).
    A decided application of a child who has since left the school is no longer the old
    school's to see: it is left out, not an error."""
    found, next_before = _applications(session, principal, before=before, limit=limit)
    shown = []
    for application in found:
        try:
            shown.append(view(session, principal, application))
        except NotFound:
            continue
    return shown, next_before


def reveal(
    session: Session, clock: Clock, principal: Principal, application_id: int
) -> dict[str, Any]:
    """The application with the applicant's phone in full, for an administrator who may
    reveal a student's details (as on the student page); the read is audited."""
    application = visible(session, principal, application_id)
    if principal.role not in scope.REVEALERS:
        raise Forbidden("当前账号无权查看申请人的完整手机号")
    audit.record(
        session,
        clock,
        actor_of(principal),
        action="phone_change.revealed",
        subject=f"student:{application.student_id}",
        school_code=application.school_code,
        payload={"application_id": application.id, "fields": ["applicant_phone"]},
    )
    return view(session, principal, application, revealed=True)


def view(
    session: Session,
    principal: Principal,
    application: PhoneChangeApplication,
    *,
    revealed: bool = False,
) -> dict[str, Any]:
    """What the caller sees. Staff: who applied, with which phone (masked unless
    ``revealed``, see ``reveal``), beside the child's current guardians (phones masked)."""
    body: dict[str, Any] = {
        "id": application.id,
        "state": application.state,
        "state_label": ApplicationState(application.state).label,
        "student_name": application.student_name,
        "guardian_name": application.guardian_name,
        "relation": application.relation,
        "relation_label": relation_label(application.relation),
        "created_at": application.created_at.isoformat(),
        "reason": application.reason,
    }
    if principal.role is Role.PARENT:
        return body
    located = registry.locate_by_id(session, principal, application.student_id)
    body.update(
        {
            "applicant_phone": application.phone if revealed else mask_phone(application.phone),
            "applicant_phone_revealed": revealed,
            "school_code": application.school_code,
            "student_id": application.student_id,
            "registry_no": mask(located.student.registry_no),
            "needs_replacement": needs_choice(located.guardians, application.relation),
            "version": located.student.event_sequence,
            "current_guardians": [
                {
                    "name": g.name,
                    "relation_label": relation_label(g.relation),
                    "phone": mask_phone(g.phone),
                }
                for g in sorted(located.guardians, key=lambda g: g.rank)
            ],
        }
    )
    return body
