"""JSON API of the registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from xueji.auth.deps import CurrentPrincipal
from xueji.domain.codes import Gender
from xueji.registry import info_sheet, schools, service
from xueji.registry.models import School
from xueji.registry.repository import RegistryRepository
from xueji.registry.schemas import (
    ClassIn,
    ClassOut,
    GuardianIn,
    SchoolIn,
    SchoolOut,
    SchoolRename,
    StudentIn,
    StudentListOut,
    StudentOut,
    StudentPatch,
    StudentSummary,
)
from xueji.registry.validation import GuardianFacts, check_guardian
from xueji.web.deps import ClockDep, DbSession, get_container
from xueji.web.errors import error_answers

router = APIRouter(prefix="/api/v1", tags=["registry"], responses=error_answers(401, 403, 404, 422))
#: what a write may answer besides the router's answers
WRITE = error_answers(400, 409, 413)
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "《学籍基本信息表》PDF"}
}


def _school_out(school: School) -> SchoolOut:
    return SchoolOut(school_code=school.code, name=school.name, region_code=school.region_code)


@router.post("/schools", status_code=201, response_model=SchoolOut, responses=WRITE)
def create_school(
    body: SchoolIn, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> SchoolOut:
    school = schools.create_school(
        session,
        clock,
        principal,
        school_code=body.school_code,
        name=body.name,
        region_code=body.region_code,
    )
    return _school_out(school)


@router.patch("/schools/{school_code}", response_model=SchoolOut, responses=WRITE)
def rename_school(
    school_code: str,
    body: SchoolRename,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> SchoolOut:
    school = schools.rename_school(
        session, clock, principal, school_code=school_code, name=body.name, reason=body.reason
    )
    return _school_out(school)


@router.post(
    "/schools/{school_code}/classes", status_code=201, response_model=ClassOut, responses=WRITE
)
def create_class(
    school_code: str,
    body: ClassIn,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> ClassOut:
    school_class = schools.create_class(
        session,
        clock,
        principal,
        school_code=school_code,
        grade=body.grade,
        name=body.name,
        head_teacher=body.head_teacher,
    )
    return ClassOut.of(school_class)


@router.get("/schools/{school_code}/classes", response_model=list[ClassOut])
def list_classes(
    school_code: str, session: DbSession, principal: CurrentPrincipal
) -> list[ClassOut]:
    school = schools.visible_school(session, principal, school_code)
    return [ClassOut.of(c) for c in RegistryRepository(session).classes_of(school.code)]


def _guardians(items: list[GuardianIn]) -> list[GuardianFacts]:
    return [check_guardian(g.name, g.relation, g.phone) for g in items]


@router.post("/students", status_code=201, response_model=StudentOut, responses=WRITE)
def register_student(
    body: StudentIn, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> StudentOut:
    located = service.register_student(
        session,
        clock,
        principal,
        registry_no=body.registry_no,
        name=body.name,
        gender=Gender(body.gender),
        birth_date=body.birth_date,
        school_code=body.school_code,
        class_id=body.class_id,
        guardians=_guardians(body.guardians),
    )
    return StudentOut.of(located)


@router.get("/students", response_model=StudentListOut)
def list_students(
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(max_length=100)] = "",
    school_code: Annotated[str | None, Query(max_length=10)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> StudentListOut:
    students, total = service.search(
        session,
        clock,
        principal,
        query=q,
        school_code=school_code,
        status=status,
        limit=limit,
        offset=offset,
    )
    return StudentListOut(total=total, items=[StudentSummary.of(s) for s in students])


@router.get("/students/{registry_no}", response_model=StudentOut)
def get_student(
    registry_no: str,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    reveal: bool = False,
) -> StudentOut:
    located = service.locate(session, clock, principal, registry_no)
    if reveal:
        service.reveal(session, clock, principal, located)
    history = RegistryRepository(session).changes_of(located.student.id)
    return StudentOut.of(located, revealed=reveal, history=history)


@router.get("/students/{registry_no}/info-sheet.pdf", response_class=Response, responses=PDF)
def student_info_sheet(
    registry_no: str,
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> Response:
    filename, document = info_sheet.issue(
        session,
        clock,
        principal,
        registry_no=registry_no,
        font=get_container(request).settings.pdf_font,
    )
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.patch("/students/{registry_no}", response_model=StudentOut, responses=WRITE)
def correct_student(
    registry_no: str,
    body: StudentPatch,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> StudentOut:
    changes = {field: getattr(body, field) for field in body.model_fields_set - {"reason"}}
    if changes.get("guardians") is not None:
        changes["guardians"] = _guardians(body.guardians or [])
    for required in ("name", "gender", "birth_date", "guardians"):
        if required in changes and changes[required] is None:
            del changes[required]
    located = service.correct_student(
        session, clock, principal, registry_no=registry_no, changes=changes, reason=body.reason
    )
    return StudentOut.of(located)
