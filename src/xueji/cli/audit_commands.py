"""``xueji audit verify``: walk the hash chain of the audit log."""

from __future__ import annotations

import typer

from xueji.cli.output import console, errors, fail
from xueji.domain.errors import XuejiError

app = typer.Typer(no_args_is_help=True)


@app.command("verify", help="校验审计日志的哈希链；发现改动、删除或乱序时退出码非 0")
def verify() -> None:
    from xueji.audit import service as audit
    from xueji.cli.scope import unit_of_work

    try:
        with unit_of_work() as (_, session):
            result = audit.verify(session)
    except XuejiError as error:
        raise fail(error) from None
    if result.ok:
        console.print(f"审计日志完整：共 {result.checked} 条，哈希链无误。", highlight=False)
        return
    errors.print(
        f"[red]审计日志被改动[/red]：第 {result.first_bad_id} 条 — {result.problem}"
        f"（此前 {result.checked} 条无误）",
        highlight=False,
    )
    raise typer.Exit(1)
