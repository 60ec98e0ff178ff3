"""``xueji registry import`` (a school's file into the registry, all or nothing),
``xueji registry export`` (the school's students in the national layout) and
``xueji registry promote`` (the year-end promotion)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from xueji.cli.output import console, errors, fail, print_json
from xueji.cli.usage import EXIT_REFUSED
from xueji.domain.errors import ValidationFailed, XuejiError

if TYPE_CHECKING:
    from xueji.registry import promotion as promotion_plan
    from xueji.registry.imports.schemas import ImportResult

#: some rows were rejected (the others were imported, or would be on a dry run)
EXIT_REJECTED = 1

app = typer.Typer(no_args_is_help=True)


@app.command("import", help="导入本校学生名单（.xlsx 或 .csv）；全部成功或全部不变")
def import_file(
    file: Annotated[Path, typer.Argument(help="学生名单文件")],
    school: Annotated[str, typer.Option("--school", help="学校标识码")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查并统计，不写入")] = False,
    update: Annotated[
        bool,
        typer.Option(
            "--update", help="已有学生以文件为准更新（每处修改记入学生的历史）；默认保持不变"
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="把被拒绝的行写入此 xlsx 错误报告")
    ] = None,
) -> None:
    from xueji.auth.service import Principal
    from xueji.cli.scope import unit_of_work
    from xueji.registry.imports import report as import_report
    from xueji.registry.imports.service import run_import

    try:
        check_readable(file)
        if report is not None:
            check_writable(report)
    except XuejiError as error:
        raise fail(error, exit_code=EXIT_REFUSED) from None
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
                update=update,
                progress=lambda rows: progress.advance(task, rows),
            )
    except XuejiError as error:
        raise fail(error, exit_code=EXIT_REFUSED) from None
    if report is not None and result.errors:
        reasons = {row_error.row: row_error.message for row_error in result.errors}
        try:
            report.write_bytes(import_report.error_report(file, reasons))
        except OSError as error:
            done = "检查" if dry_run else "导入"
            refused = XuejiError(
                f"{done}已完成，但错误报告未能写入 {report}：{error.strerror}",
                code="REPORT_WRITE_FAILED",
            )
            raise fail(refused, exit_code=EXIT_REFUSED) from None
    if as_json:
        print_json(result.as_dict())
    else:
        _print_summary(result, dry_run=dry_run, update=update)
    if result.rejected:
        raise typer.Exit(EXIT_REJECTED)


def _print_summary(result: ImportResult, *, dry_run: bool, update: bool) -> None:
    action = "检查完成（未写入）" if dry_run else "导入完成"
    console.print(
        f"{action}：新增 {result.new}，修改 {result.changed}，未变 {result.unchanged}，"
        f"与文件不同 {result.differs}，拒绝 {result.rejected}",
        highlight=False,
    )
    if result.differs:
        kept = (
            "将以文件为准更新" if update else "保持学籍中的信息不变（加 --update 以文件为准更新）"
        )
        console.print(f"已有学生与文件不同 {result.differs} 人，{kept}：", highlight=False)
        for change in result.changes[:20]:
            fields = "；".join(f"{f.label} {f.current} → {f.file}" for f in change.fields)
            console.print(f"  第 {change.row} 行 {change.registry_no}：{fields}", highlight=False)
        if result.differs > 20:
            console.print(
                f"  …… 另有 {result.differs - 20} 人，完整列表请用 --json", highlight=False
            )
    for warning in result.warnings[:20]:
        console.print(f"  [yellow]请核对[/yellow] 第 {warning.row} 行：{warning.message}")
    for row_error in result.errors[:20]:
        console.print(
            f"  第 {row_error.row} 行 {row_error.code}：{row_error.message}", highlight=False
        )
    if result.rejected > 20:
        console.print(
            f"  …… 另有 {result.rejected - 20} 行，完整原因请用 --report 导出", highlight=False
        )


def check_readable(file: Path) -> None:
    if not file.is_file():
        raise ValidationFailed(f"找不到文件：{file}", code="FILE_NOT_FOUND")
    if not os.access(file, os.R_OK):
        raise ValidationFailed(f"没有读取该文件的权限：{file}", code="FILE_UNREADABLE")


def check_writable(report: Path, what: str = "错误报告") -> None:
    """Before anything is imported: a report that cannot be written afterwards would make
    a finished import look failed."""
    folder = report.parent if str(report.parent) else Path(".")
    writable = (
        os.access(report, os.W_OK) and report.is_file()
        if report.exists()
        else folder.is_dir() and os.access(folder, os.W_OK)
    )
    if not writable:
        raise ValidationFailed(
            f"无法写入{what}：{report}（目录不存在或没有写权限）", code="REPORT_PATH_UNWRITABLE"
        )


@app.command(
    "export",
    help="导出本校在籍学生：--format national 为全国学籍系统的《学生基本信息表》格式（代码）",
)
def export_file(
    school: Annotated[str, typer.Option("--school", help="学校标识码")],
    output: Annotated[Path, typer.Option("--output", help="写入的 .xlsx 文件")],
    layout: Annotated[
        str, typer.Option("--format", help="导出格式：national（全国学籍系统）")
    ] = "national",
) -> None:
    from xueji.auth.service import Principal
    from xueji.cli.scope import unit_of_work
    from xueji.registry.national.export import export_school, without_record

    try:
        if layout != "national":
            raise ValidationFailed(
                f"不支持的导出格式：{layout}（可用：national）", code="CLI_USAGE"
            )
        if output.suffix.lower() != ".xlsx":
            raise ValidationFailed("导出文件须以 .xlsx 结尾", code="CLI_USAGE")
        check_writable(output, "导出文件")
        operator = Principal.operator(school_code=school, name=getpass.getuser())
        with unit_of_work() as (built, session):
            content = export_school(session, built.clock, operator, school)
            _write_private(output, content)
            missing = without_record(session, school)
    except XuejiError as error:
        raise fail(error, exit_code=EXIT_REFUSED) from None
    console.print(f"已导出到 {output}")
    if missing:
        console.print(
            f"其中 {missing} 名学生还没有全国学籍信息（手工登记或按普通模板导入），表中只有姓名、"
            "性别、出生日期、班级和监护人：报送前请按全国学籍模板补全后导入"
        )


def _write_private(path: Path, content: bytes) -> None:
    """The file readable by its owner only (it holds children's records), written whole
    or not at all; inside the unit of work, so an export that cannot be written is not
    audited as made."""
    partial = path.with_name(f".{path.name}.part")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        partial.replace(path)
    except OSError as error:
        raise XuejiError(f"无法写入 {path}：{error.strerror}", code="EXPORT_WRITE_FAILED") from None


@app.command(
    "promote",
    help="学年升级：全校（或全区）各班升一个年级，最高年级毕业；--dry-run 只预览人数",
)
def promote(
    school: Annotated[str | None, typer.Option("--school", help="学校标识码")] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="行政区划代码：其下所有学校一起升级")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只预览，不写入")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help='输出一个 JSON 对象：{"promoted": n, "graduated": m}')
    ] = False,
) -> None:
    from xueji.auth.service import Principal
    from xueji.cli.scope import unit_of_work
    from xueji.registry import promotion

    if (school is None) == (region is None):
        refused = ValidationFailed("请给出 --school 或 --region 之一", code="CLI_USAGE")
        raise fail(refused, exit_code=EXIT_REFUSED)
    name = getpass.getuser()
    if school is not None:
        operator = Principal.operator(school_code=school, name=name)
    else:
        operator = Principal.platform_operator(name=name)
    run = promotion.plan if dry_run else promotion.promote
    try:
        with unit_of_work() as (built, session):
            planned = run(session, built.clock, operator, school_code=school, region_code=region)
    except XuejiError as error:
        raise fail(error, exit_code=EXIT_REFUSED) from None
    if as_json:
        print_json(planned.as_json())
        return
    _print_promotion(planned, dry_run=dry_run)


def _print_promotion(planned: promotion_plan.Plan, *, dry_run: bool) -> None:
    for step in planned.steps:
        if step.graduates:
            held = f"（{step.suspended} 名休学学生留下、移出班级）" if step.suspended else ""
            moved = f"毕业 {step.students - step.suspended} 人{held}"
        else:
            moved = f"→ {step.new_name}（{step.new_grade} 年级）{step.students} 人"
        console.print(f"{step.school_code} {step.name}：{moved}", highlight=False)
    for school in planned.done:
        console.print(f"{school.name}本学年已升级过，跳过。", highlight=False)
    head = "预览（未写入）" if dry_run else "学年升级完成"
    console.print(
        f"{head}：{planned.school_year} 学年，升级 {planned.promoted} 人，"
        f"毕业 {planned.graduated} 人，休学留下 {planned.held} 人。",
        highlight=False,
    )
