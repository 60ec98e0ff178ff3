"""JSON API of bulk imports: template, upload (dry run or commit), error report."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.domain.errors import ValidationFailed
from xueji.registry import import_report, scope
from xueji.registry.import_files import SUFFIXES
from xueji.registry.importer import ImportResult, run_import
from xueji.web.deps import ClockDep, CurrentPrincipal, DbSession

router = APIRouter(prefix="/api/v1", tags=["registry import"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/import-template.xlsx", response_class=Response)
def template(principal: CurrentPrincipal) -> Response:
    scope.require_staff(principal)
    return Response(
        import_report.template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="import-template.xlsx"'},
    )


def import_upload(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    school_code: str,
    upload: UploadFile,
    dry_run: bool,
) -> tuple[ImportResult, str | None]:
    """Run an uploaded file through the importer; keep an error report if rows failed."""
    filename = Path(upload.filename or "").name
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationFailed("只能导入 .xlsx 或 .csv 文件", code="IMPORT_FILE_TYPE")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as target:
            shutil.copyfileobj(upload.file, target)
        result = run_import(
            session,
            clock,
            principal,
            school_code=school_code,
            path=path,
            filename=filename,
            dry_run=dry_run,
        )
        token = None
        if result.errors:
            reasons = {error.row: error.message for error in result.errors}
            token = import_report.keep(
                session,
                clock,
                principal,
                school_code=school_code,
                content=import_report.error_report(path, reasons),
            )
    return result, token


@router.post("/schools/{school_code}/imports")
def upload(
    school_code: str,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="学生名单 .xlsx 或 .csv")],
    dry_run: Annotated[bool, Form()] = False,
    dry_run_query: Annotated[bool, Query(alias="dry_run")] = False,
) -> dict[str, Any]:
    dry = dry_run or dry_run_query
    result, token = import_upload(
        session, clock, principal, school_code=school_code, upload=file, dry_run=dry
    )
    return {
        **result.as_dict(),
        "dry_run": dry,
        "report_url": f"/api/v1/import-reports/{token}.xlsx" if token else None,
    }


@router.get("/import-reports/{token}.xlsx", response_class=Response)
def report(
    token: str, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> Response:
    content = import_report.fetch(session, clock, principal, token)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="import-errors.xlsx"'},
    )
