"""The import page: template, upload with a dry run first, results and the error report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from xueji.auth.deps import SIGNED_IN_PAGES, CurrentPrincipal
from xueji.domain.errors import XuejiError
from xueji.registry import scope
from xueji.registry.imports.service import import_upload
from xueji.web import forms
from xueji.web.deps import ClockDep, DbSession
from xueji.web.templating import render

router = APIRouter(tags=["registry pages"], include_in_schema=False, dependencies=SIGNED_IN_PAGES)


@router.get("/imports")
def import_form(request: Request, principal: CurrentPrincipal) -> Response:
    scope.require_writer(principal)
    return render(request, "imports.html", {"result": None, "school_code": principal.school_code})


@router.post("/imports")
def import_file(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File()],
    mode: Annotated[str, Form(max_length=10)] = "check",
    update: Annotated[bool, Form()] = False,
) -> Response:
    scope.require_writer(principal)
    dry_run = mode != "commit"
    outcome = forms.attempt(
        session,
        lambda: import_upload(
            session,
            clock,
            principal,
            school_code=principal.school_code or "",
            filename=file.filename or "",
            content=file.file,
            dry_run=dry_run,
            update=update,
        ),
    )
    if isinstance(outcome, XuejiError):
        status = forms.refused_status(outcome)
        return render(
            request,
            "imports.html",
            {"result": None, "error": outcome, "school_code": principal.school_code},
            status_code=status,
        )
    result, token = outcome
    return render(
        request,
        "imports.html",
        {
            "result": result,
            "dry_run": dry_run,
            "update": update,
            "filename": file.filename,
            "report_url": f"/api/v1/import-reports/{token}.xlsx" if token else None,
            "school_code": principal.school_code,
        },
    )
