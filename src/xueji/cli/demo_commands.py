"""``xueji demo load``."""

from __future__ import annotations

import typer
from rich.table import Table

from xueji.cli.output import console, fail
from xueji.domain.errors import XuejiError

app = typer.Typer(no_args_is_help=True)


@app.command("load", help="载入演示数据（可重复运行，已有的不会重复创建）")
def load() -> None:
    from xueji.cli.scope import unit_of_work
    from xueji.demo.load import (
        DEMO_ACCOUNTS,
        DEMO_PASSWORD,
        PARENT_NOTES,
        PARENTS,
        STUDENT_ACCOUNTS,
        STUDENT_NOTES,
        load_demo,
    )

    try:
        with unit_of_work() as (built, session):
            created = load_demo(session, built.clock)
    except XuejiError as error:
        raise fail(error) from None
    console.print(f"演示数据已就绪（本次新建 {len(created)} 项）。", highlight=False)
    table = Table(title="演示账号（密码均为 " + DEMO_PASSWORD + "）")
    for column in ("用户名", "身份", "范围 / 说明"):
        table.add_column(column)
    for account in DEMO_ACCOUNTS:
        scope = account.region_code or account.school_code or "全部"
        table.add_row(account.username, account.role.label, scope)
    for student_no, registry_no, *_ in STUDENT_ACCOUNTS:
        note = STUDENT_NOTES[student_no]
        table.add_row(student_no, "学生", f"{note}；也可用学籍号 {registry_no} 登录")
    for phone, _ in PARENTS:
        table.add_row(phone, "家长", PARENT_NOTES[phone])
    console.print(table)
