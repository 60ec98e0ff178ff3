"""What a student account may do now (``GET /api/v1/me/capabilities``): from the domain
policy, whether the account is linked, and the platform's projection of the student's
enrollment status and region."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain import capabilities as policy
from xueji.domain.enrollment import EnrollmentStatus
from xueji.domain.errors import Forbidden, NotAuthenticated
from xueji.domain.roles import Role
from xueji.domain.statuses import AccountStatus
from xueji.platform.repository import (
    CAPABILITY_QUERY,
    CapabilityRow,
    PlatformRepository,
    capability_parameters,
    capability_row,
)
from xueji.platform.service import own_account


def capabilities_of(session: Session, principal: Principal) -> dict[str, Any]:
    """``GET /api/v1/me/capabilities``: from the domain policy and the projection."""
    account = own_account(session, principal)
    linked = account.status == AccountStatus.ACTIVE and account.student_id is not None
    projection = (
        PlatformRepository(session).projection(account.student_id)
        if linked and account.student_id is not None
        else None
    )
    return capabilities_answer(
        linked=linked,
        status=projection.status if projection else None,
        region_code=projection.region_code if projection else None,
    )


def capabilities_answer(
    *, linked: bool, status: str | None, region_code: str | None
) -> dict[str, Any]:
    """The capabilities body from what the platform knows of the account."""
    enrollment = EnrollmentStatus(status) if status else None
    granted = policy.capabilities(linked=linked and enrollment is not None, status=enrollment)
    return {
        "linked": linked,
        "status": str(enrollment) if enrollment else None,
        "region_code": region_code if enrollment else None,
        "capabilities": sorted(str(c) for c in granted),
    }


def capabilities_for_token(
    connection: Connection, token_hash: str, now: dt.datetime
) -> dict[str, Any]:
    """The same answer as :func:`capabilities_of` in one query — session, account, student
    account and projection joined — because this is the platform's hottest read: every
    page and client asks it, and it must follow the registry within a second, so it is
    not cached."""
    return capabilities_of_row(capability_row(connection, token_hash, now))


async def capabilities_for_token_async(
    engine: AsyncEngine, token_hash: str, now: dt.datetime
) -> dict[str, Any]:
    """``capabilities_for_token`` awaited on the event loop (see ``xueji.db.async_reads``).
    Pooled connections are not pinged before use (that would double the round trips);
    a read that finds its connection gone (the database restarted) is retried once on a
    fresh one."""
    parameters = capability_parameters(token_hash, now)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(CAPABILITY_QUERY, parameters)).first()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        async with engine.connect() as connection:
            row = (await connection.execute(CAPABILITY_QUERY, parameters)).first()
    return capabilities_of_row(row)


def capabilities_of_row(row: CapabilityRow | None) -> dict[str, Any]:
    if row is None or not row.is_active:
        raise NotAuthenticated("请先登录")
    if row.role != Role.STUDENT.value:
        raise Forbidden("只有学生账号可以这样做")
    if row.account_status is None:
        raise Forbidden("没有找到学生账号")
    linked = row.account_status == AccountStatus.ACTIVE and row.student_id is not None
    return capabilities_answer(
        linked=linked,
        status=row.status if linked else None,
        region_code=row.region_code if linked else None,
    )
