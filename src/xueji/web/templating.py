"""Jinja2 pages in Simplified Chinese; every page gets the CSRF token for its forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from xueji.web import csrf

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    token = csrf.token_for(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "csrf_token": token,
            "principal": getattr(request.state, "principal", None),
            **(context or {}),
        },
        status_code=status_code,
        headers=headers,
    )
    csrf.set_cookie(response, request, token)
    return response
