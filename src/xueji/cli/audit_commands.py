"""``xueji audit verify`` (walk the keyed chain of the audit log, and check it still
extends the anchors kept elsewhere) and ``xueji audit anchor`` (print one)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xueji.cli.output import console, errors, fail, print_json
from xueji.domain.errors import ValidationFailed, XuejiError

app = typer.Typer(no_args_is_help=True)


@app.command("verify", help="校验审计日志的链接；发现改动、删除或乱序时退出码非 0")
def verify(
    anchor: Annotated[
        Path | None,
        typer.Option(
            "--anchor",
            help="xueji audit anchor 打印并另行保存的锚点文件（每行一个）：日志须仍延续它",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    from xueji.audit import service as audit
    from xueji.cli.scope import unit_of_work

    try:
        anchors = audit.parse_anchors(_read(anchor)) if anchor is not None else []
        with unit_of_work() as (_, session):
            result = audit.verify(session, anchors)
    except XuejiError as error:
        raise fail(error) from None
    if result.ok:
        against = f"，与 {len(anchors)} 个锚点相符" if anchors else ""
        console.print(f"审计日志完整：共 {result.checked} 条，链接无误{against}。", highlight=False)
        return
    errors.print(
        f"[red]审计日志被改动[/red]：第 {result.first_bad_id} 条 — {result.problem}"
        f"（此前 {result.checked} 条无误）",
        highlight=False,
    )
    raise typer.Exit(1)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed(f"读不了锚点文件：{error}", code="ANCHOR_INVALID") from None


@app.command(
    "anchor",
    help='打印审计日志当前的锚点（一行 JSON：{"entries": N, "head": "…"}），请另行保存',
)
def anchor() -> None:
    from xueji.audit import service as audit
    from xueji.cli.scope import unit_of_work

    try:
        with unit_of_work() as (built, session):
            taken = audit.take_anchor(session, built.clock)
    except XuejiError as error:
        raise fail(error) from None
    print_json(taken.as_json())
