"""``xueji id check`` and ``xueji name compare``: the identity core from the shell."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from xueji.cli.output import console, errors, fail, print_json
from xueji.cli.usage import EXIT_REFUSED
from xueji.domain import identity, regions
from xueji.domain.clock import SystemClock, china_today
from xueji.domain.errors import IdentityError, XuejiError

id_app = typer.Typer(no_args_is_help=True)
name_app = typer.Typer(no_args_is_help=True)


def check_one(raw: str, today: Any) -> dict[str, Any]:
    """The ``--json`` object of one number."""
    try:
        number = identity.parse_number(raw, today=today)
    except IdentityError as error:
        result: dict[str, Any] = {
            "input": raw,
            "valid": False,
            "code": error.code,
            "message": error.message,
        }
        if "expected_check" in error.details:
            result["expected_check"] = error.details["expected_check"]
        return result
    result = {
        "input": raw,
        "valid": True,
        "registry_no": number.registry_no,
        "resident_id": number.resident_id,
        "birth_date": number.birth_date.isoformat(),
        "gender": str(number.gender) if number.gender else None,
        "region_code": number.region_code,
        "region": number.region,
    }
    if number.warnings:
        result["warnings"] = list(number.warnings)
    return result


@id_app.command("check", help="校验身份证号或学籍号（G/J/L 开头）；全部有效时退出码为 0")
def check(
    numbers: Annotated[list[str], typer.Argument(help="一个或多个号码")],
    as_json: Annotated[bool, typer.Option("--json", help="每行输出一个 JSON 对象")] = False,
) -> None:
    try:
        regions.check_lists()
    except XuejiError as error:
        raise fail(error, exit_code=EXIT_REFUSED) from None
    today = china_today(SystemClock())
    results = [check_one(raw, today) for raw in numbers]
    for result in results:
        if as_json:
            print_json(result)
        elif result["valid"]:
            gender = {"1": "男", "2": "女"}.get(result["gender"] or "", "未知")
            console.print(
                f"[green]有效[/green] {result['registry_no']}  出生日期 {result['birth_date']}  "
                f"性别 {gender}  {result['region'] or result['region_code']}",
                highlight=False,
            )
            if result.get("warnings"):
                console.print("  提示：该地址码在出生年份尚未启用或已撤销（常见于补登户口）")
        else:
            errors.print(
                f"[red]无效[/red] {result['input']}  {result['code']}：{result['message']}",
                highlight=False,
            )
    raise typer.Exit(0 if all(result["valid"] for result in results) else 1)


@name_app.command("compare", help="比对学籍中的值与填写的值；一致时退出码为 0")
def compare(
    registry_value: Annotated[str, typer.Argument(help="学籍中的值")],
    entered_value: Annotated[str, typer.Argument(help="填写的值")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    from xueji.domain import names

    differences = names.compare(registry_value, entered_value)
    equal = not differences
    if as_json:
        print_json({"equal": equal, "differences": [d.as_dict() for d in differences]})
    elif equal:
        console.print("[green]一致[/green]（规范化后完全相同）")
    else:
        console.print(f"[red]不一致[/red]：{len(differences)} 处差异", highlight=False)
        for difference in differences:
            console.print(
                f"  第 {difference.position + 1} 个字符处：{names.KIND_LABELS[difference.kind]}"
                f"（应为“{difference.expected}”，填写为“{difference.entered}”）",
                highlight=False,
            )
    raise typer.Exit(0 if equal else 1)
