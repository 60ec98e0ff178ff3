"""``GET /api/v1/ops/sync`` (platform administrators), ``GET /metrics`` (Prometheus text,
counts only, no personal data), ``GET /api/v1/health`` (liveness, for a load balancer)
and the operators' page with the alarms and dead letters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from xueji import __version__
from xueji.audit import service as audit
from xueji.audit.service import Actor
from xueji.auth.deps import SIGNED_IN_PAGES, CurrentPrincipal
from xueji.auth.service import Principal
from xueji.domain.errors import Forbidden, NotFound
from xueji.domain.roles import Role
from xueji.sync import ops, worker
from xueji.web.deps import ClockDep, DbSession, get_container
from xueji.web.errors import error_answers
from xueji.web.templating import render

router = APIRouter(tags=["ops"])


@router.get("/api/v1/health")
def health() -> dict[str, str]:
    """The process answers: no database, no session, nothing about anyone. A load
    balancer's liveness check, and the app's own ceiling in ``bench/serve.py``."""
    return {"status": "ok", "version": __version__}


def _platform_admin(principal: Principal) -> None:
    if principal.role is not Role.PLATFORM_ADMIN:
        raise Forbidden("只有平台运维可以查看同步状况")


def _status(request: Request, session: DbSession, clock: ClockDep) -> ops.SyncStatus:
    sla = get_container(request).settings.sync_sla_hours
    return ops.status(session, clock, sla_hours=sla)


@router.get("/api/v1/ops/sync", responses=error_answers(401, 403))
def sync_status(
    request: Request, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    _platform_admin(principal)
    current = _status(request, session, clock)
    return {**current.as_json(), "alarms": current.alarms}


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        503: {"description": "数据库繁忙（出错页面，不是 JSON）", "content": {"text/html": {}}}
    },
)
def metrics(request: Request, session: DbSession, clock: ClockDep) -> PlainTextResponse:
    return PlainTextResponse(
        ops.prometheus(_status(request, session, clock)),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )


@router.get("/ops", include_in_schema=False)
def ops_page(
    request: Request, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> Response:
    _platform_admin(principal)
    return render(
        request,
        "ops.html",
        {
            "status": _status(request, session, clock),
            "dead": ops.dead_letters(session),
            "anchor": audit.latest_anchor(session),
        },
    )


@router.post(
    "/ops/dead-letters/{event_id}/retry", include_in_schema=False, dependencies=SIGNED_IN_PAGES
)
def retry_dead_letter(
    event_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> Response:
    _platform_admin(principal)
    if (
        worker.retry(session, clock, Actor(principal.account_id, principal.username), event_id)
        is None
    ):
        raise NotFound("没有该未处理事件")
    return RedirectResponse("/ops", status_code=303)
