"""JSON API of bulk imports: templates, upload (dry run or commit), error report, and the
export in the national layout."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from xueji.auth.deps import CurrentPrincipal
from xueji.domain.errors import XuejiError
from xueji.registry import scope
from xueji.registry.imports import report as import_report
from xueji.registry.imports.service import import_upload
from xueji.registry.national.export import export_school
from xueji.registry.national.template import national_template_xlsx
from xueji.web.deps import ClockDep, DbSession
from xueji.web.errors import error_answers, error_response

router = APIRouter(prefix="/api/v1", tags=["registry import"], responses=error_answers(401, 403))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {XLSX: {}}, "description": description}}


@router.get("/import-template.xlsx", response_class=Response, responses=_xlsx("导入模板"))
def template(principal: CurrentPrincipal) -> Response:
    scope.require_staff(principal)
    return Response(
        import_report.template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="import-template.xlsx"'},
    )


@router.get(
    "/national-template.xlsx",
    response_class=Response,
    responses=_xlsx("全国学籍系统格式的导入模板"),
)
def national_template(principal: CurrentPrincipal) -> Response:
    scope.require_staff(principal)
    return Response(
        national_template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="national-template.xlsx"'},
    )


@router.get(
    "/schools/{school_code}/export.xlsx",
    response_class=Response,
    responses={**_xlsx("本校在籍学生，全国学籍系统格式（代码）"), **error_answers(404, 422)},
)
def export(
    school_code: str,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    layout: Annotated[str, Query(alias="format", pattern="^national$")] = "national",
) -> Response:
    content = export_school(session, clock, principal, school_code)
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{school_code}-{layout}.xlsx"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/schools/{school_code}/imports",
    response_model=None,
    responses=error_answers(400, 404, 413, 422, 429),
)
def upload(
    request: Request,
    school_code: str,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="学生名单 .xlsx 或 .csv")],
    dry_run: Annotated[bool, Form()] = False,
    dry_run_query: Annotated[bool, Query(alias="dry_run")] = False,
    update: Annotated[bool, Form()] = False,
) -> dict[str, Any] | Response:
    dry = dry_run or dry_run_query
    outcome = import_upload(
        session,
        clock,
        principal,
        school_code=school_code,
        filename=file.filename or "",
        content=file.file,
        dry_run=dry,
        update=update,
    )
    if isinstance(outcome, XuejiError):
        return error_response(outcome, request)
    result, token = outcome
    return {
        **result.as_dict(),
        "dry_run": dry,
        "report_url": f"/api/v1/import-reports/{token}.xlsx" if token else None,
    }


@router.get(
    "/import-reports/{token}.xlsx",
    response_class=Response,
    responses={**_xlsx("错误报告"), **error_answers(404, 422)},
)
def report(
    token: str, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> Response:
    content = import_report.fetch(session, clock, principal, token)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="import-errors.xlsx"'},
    )
