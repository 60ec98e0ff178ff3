"""The demo accounts (and, as the registry grows, its schools and students)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from xueji.auth import service as auth
from xueji.auth.repository import AuthRepository
from xueji.domain.clock import Clock
from xueji.domain.roles import Role

DEMO_PASSWORD = "xueji-demo-2026"
HAIKOU_SCHOOL_CODE = "1144060401"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    display_name: str
    region_code: str | None = None
    school_code: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("admin", Role.PLATFORM_ADMIN, "平台运维"),
    DemoAccount("foshan", Role.REGION_ADMIN, "佛山市教育局", region_code="4406"),
    DemoAccount(
        "haikou-admin", Role.SCHOOL_ADMIN, "海口小学信息管理员", school_code=HAIKOU_SCHOOL_CODE
    ),
    DemoAccount("haikou-teacher", Role.HEAD_TEACHER, "李老师", school_code=HAIKOU_SCHOOL_CODE),
)


def load_demo(session: Session, clock: Clock) -> list[DemoAccount]:
    """Create what is missing; leave what exists alone. Returns the accounts created."""
    repository = AuthRepository(session)
    created = []
    for account in DEMO_ACCOUNTS:
        if repository.account_by_username(account.username) is not None:
            continue
        auth.create_account(
            session,
            clock,
            username=account.username,
            password=DEMO_PASSWORD,
            role=account.role,
            region_code=account.region_code,
            school_code=account.school_code,
            display_name=account.display_name,
        )
        created.append(account)
    return created
