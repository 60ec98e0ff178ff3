"""``/dashboard`` (the overview, each table also as xlsx) and ``/schools`` (a region's
schools with their counts; register a school, correct its full name)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from xueji.auth.deps import SIGNED_IN_PAGES, CurrentPrincipal
from xueji.auth.service import Principal
from xueji.dashboard import charts, export, figures
from xueji.domain.errors import Conflict, Forbidden, ValidationFailed, XuejiError
from xueji.domain.roles import Role
from xueji.registry import schools, statistics
from xueji.web import forms
from xueji.web.deps import ClockDep, DbSession
from xueji.web.errors import status_of
from xueji.web.templating import beijing_time, render

router = APIRouter(tags=["dashboard pages"], include_in_schema=False, dependencies=SIGNED_IN_PAGES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCHOOL_KEEPERS = (Role.PLATFORM_ADMIN, Role.REGION_ADMIN)
NOTICES = {"created": "学校已登记。", "renamed": "学校全称已更正，平台将随后刷新该校学生的账号。"}


@router.get("/dashboard")
def dashboard(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    school: str = "",
) -> Response:
    seen = figures.overview(session, clock, principal, school)
    drawn = {table.key: charts.bar_chart(table.title, table.chart) for table in seen.tables}
    return render(
        request,
        "dashboard.html",
        {
            "overview": seen,
            "charts": drawn,
            "query": urlencode({"school": school} if school else {}),
        },
    )


@router.get("/dashboard/{key}.xlsx")
def dashboard_table(
    key: str,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    school: str = "",
) -> Response:
    seen = figures.overview(session, clock, principal, school)
    table = seen.table(key)
    scope = seen.school.name if seen.school else "、".join(s.name for s in seen.schools) or "无"
    content = export.workbook(table, scope, beijing_time(clock.now()))
    name = f"{key}.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/schools")
def school_list(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    done: str = "",
) -> Response:
    return _schools_page(request, session, principal, notice=NOTICES.get(done))


@router.post("/schools")
def create_school(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    school_code: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    region_code: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    _require_keeper(principal)
    outcome = forms.attempt(
        session,
        lambda: schools.create_school(
            session,
            clock,
            principal,
            school_code=school_code,
            name=name,
            region_code=region_code.strip(),
        ),
        refuse=(ValidationFailed, Conflict, Forbidden),
    )
    if isinstance(outcome, XuejiError):
        typed = {"school_code": school_code, "name": name, "region_code": region_code}
        return _schools_page(request, session, principal, error=outcome, typed=typed)
    return RedirectResponse("/schools?done=created", status_code=303)


@router.post("/schools/{school_code}/name")
def rename_school(
    request: Request,
    school_code: str,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    _require_keeper(principal)
    outcome = forms.attempt(
        session,
        lambda: schools.rename_school(
            session, clock, principal, school_code=school_code, name=name, reason=reason
        ),
        refuse=(ValidationFailed, Conflict),
    )
    if isinstance(outcome, XuejiError):
        typed = {f"name_{school_code}": name, f"reason_{school_code}": reason}
        return _schools_page(request, session, principal, error=outcome, typed=typed)
    return RedirectResponse("/schools?done=renamed", status_code=303)


def _require_keeper(principal: Principal) -> None:
    if principal.role not in SCHOOL_KEEPERS:
        raise Forbidden("学校信息由区域管理员维护")


def _schools_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    notice: str | None = None,
    error: XuejiError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    _require_keeper(principal)
    listed = schools.visible_schools(session, principal)
    counts = statistics.students_by_grade(session, [school.code for school in listed])
    by_school: dict[str, dict[str, int]] = {}
    grades_of: dict[str, dict[int | None, int]] = {}
    for (code, grade, status), n in counts.items():  # one pass, however many schools
        mine = by_school.setdefault(code, {})
        mine[status] = mine.get(status, 0) + n
        if status in figures.IN_SCHOOL:
            grades = grades_of.setdefault(code, {})
            grades[grade] = grades.get(grade, 0) + n
    rows = [
        {
            "school": school,
            "by_status": {s: by_school.get(school.code, {}).get(s, 0) for s in figures.STATUSES},
            "grades": [
                (figures.grade_label(grade), n)
                for grade, n in sorted(
                    grades_of.get(school.code, {}).items(), key=lambda g: (g[0] is None, g[0] or 0)
                )
            ],
        }
        for school in listed
    ]
    return render(
        request,
        "schools.html",
        {
            "rows": rows,
            "statuses": figures.STATUSES,
            "notice": notice,
            "error": error,
            "typed": typed or {},
        },
        status_code=status_of(error) if error else 200,
    )
