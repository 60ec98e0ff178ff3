"""Jinja2 pages in Simplified Chinese; every page gets the CSRF token for its forms."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from xueji.domain.clock import CHINA
from xueji.web import csrf

STATIC_DIR = Path(__file__).parent / "static"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def beijing_time(moment: dt.datetime | str | None) -> str:
    """Times are stored in UTC; people read them in Beijing time. An ISO string (as a
    view gives it to a page) is read first."""
    if not moment:
        return ""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


templates.env.filters["beijing"] = beijing_time


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
