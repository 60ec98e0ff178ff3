"""``xueji registry import``: a school's file into the registry, all or nothing."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from xueji.cli.output import console, errors, fail, print_json
from xueji.domain.errors import XuejiError

app = typer.Typer(no_args_is_help=True)


@app.command("import", help="导入本校学生名单（.xlsx 或 .csv）；全部成功或全部不变")
def import_file(
    file: Annotated[Path, typer.Argument(help="学生名单文件", exists=True, dir_okay=False)],
    school: Annotated[str, typer.Option("--school", help="学校标识码")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查并统计，不写入")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="把被拒绝的行写入此 xlsx 错误报告")
    ] = None,
) -> None:
    from xueji.auth.service import Principal
    from xueji.cli.scope import unit_of_work
    from xueji.registry.imports import report as import_report
    from xueji.registry.imports.service import run_import

    operator = Principal.operator(school_code=school, name=getpass.getuser())
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} 行"),
        TimeElapsedColumn(),
    )
    try:
        with (
            Progress(*columns, console=errors, transient=True) as progress,
            unit_of_work() as (built, session),
        ):
            task = progress.add_task("检查与导入中", total=None)
            result = run_import(
                session,
                built.clock,
                operator,
                school_code=school,
                path=file,
                filename=file.name,
                dry_run=dry_run,
                progress=lambda rows: progress.advance(task, rows),
            )
    except XuejiError as error:
        raise fail(error) from None
    if report is not None and result.errors:
        reasons = {row_error.row: row_error.message for row_error in result.errors}
        report.write_bytes(import_report.error_report(file, reasons))
    if as_json:
        print_json(result.as_dict())
        return
    action = "检查完成（未写入）" if dry_run else "导入完成"
    console.print(
        f"{action}：新增 {result.new}，修改 {result.changed}，未变 {result.unchanged}，"
        f"拒绝 {result.rejected}",
        highlight=False,
    )
    for row_error in result.errors[:20]:
        console.print(
            f"  第 {row_error.row} 行 {row_error.code}：{row_error.message}", highlight=False
        )
    if result.rejected > 20:
        console.print(
            f"  …… 另有 {result.rejected - 20} 行，完整原因请用 --report 导出", highlight=False
        )
