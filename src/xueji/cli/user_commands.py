"""``xueji user create`` for bootstrapping staff accounts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from xueji.cli.output import console, fail
from xueji.domain.errors import ValidationFailed, XuejiError
from xueji.domain.roles import STAFF_ROLES, Role

app = typer.Typer(no_args_is_help=True)


@app.command("create", help="创建管理员账号（密码从标准输入读取）")
def create(
    role: Annotated[Role, typer.Option(help="角色")],
    username: Annotated[str, typer.Option(help="用户名")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码")],
    region: Annotated[str | None, typer.Option(help="区域管理员的行政区划代码")] = None,
    school: Annotated[str | None, typer.Option(help="学校信息管理员或班主任的学校标识码")] = None,
    display_name: Annotated[str, typer.Option(help="显示名称")] = "",
) -> None:
    try:
        if not password_stdin:
            raise ValidationFailed(
                "请用 --password-stdin 从标准输入提供密码", code="PASSWORD_MISSING"
            )
        if role not in STAFF_ROLES:
            raise ValidationFailed(
                "此命令只创建管理员账号；学生和家长请自行注册", code="ROLE_INVALID"
            )
        password = sys.stdin.readline().rstrip("\r\n")
        from xueji.auth import service
        from xueji.cli.scope import unit_of_work

        with unit_of_work() as (built, session):
            principal = service.create_account(
                session,
                built.clock,
                username=username,
                password=password,
                role=role,
                region_code=region,
                school_code=school,
                display_name=display_name,
            )
    except XuejiError as error:
        raise fail(error) from None
    console.print(f"已创建账号 {principal.username}（{principal.role.label}）", highlight=False)
