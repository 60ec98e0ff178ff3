"""The ``xueji`` command as people meet it: a mistake on the command line is answered in
Chinese, with a stable code, and never with a traceback.

Exit statuses (README): 0 done; 1 done, but something was found wrong (rows rejected by
an import, an invalid number, a disagreement, a refused operation); 2 the command line
or the file was refused, nothing was done; 130 interrupted.
"""

from __future__ import annotations

from typing import Any

import typer
from typer._click import exceptions as click_errors  # typer vendors click since 0.24

from xueji.cli.output import errors

EXIT_REFUSED = 2
EXIT_INTERRUPTED = 130


class ChineseTyper(typer.Typer):
    """``typer.Typer`` whose usage errors speak Chinese (the console script calls it)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        command = typer.main.get_command(self)
        try:
            kwargs["standalone_mode"] = False
            return command.main(*args, **kwargs)
        except click_errors.NoArgsIsHelpError as shown:
            shown.show()  # the help text, as asked for by typing the bare command
            raise SystemExit(EXIT_REFUSED) from None
        except click_errors.UsageError as error:
            errors.print(f"[red]错误 CLI_USAGE[/red]：{usage_message(error)}", highlight=False)
            command_path = error.ctx.command_path if error.ctx else "xueji"
            errors.print(f"用法说明：{command_path} --help", highlight=False)
            raise SystemExit(EXIT_REFUSED) from None
        except click_errors.ClickException:
            errors.print("[red]错误 CLI_USAGE[/red]：命令无法执行，请检查参数", highlight=False)
            raise SystemExit(EXIT_REFUSED) from None
        except typer.Abort:
            errors.print("已中断", highlight=False)
            raise SystemExit(EXIT_INTERRUPTED) from None


def usage_message(error: click_errors.UsageError) -> str:
    hint = _hint(error)
    if isinstance(error, click_errors.MissingParameter):
        return f"缺少必需的参数 {hint}" if hint else "缺少必需的参数"
    if isinstance(error, click_errors.NoSuchOption):
        return f"没有这个选项：{error.option_name}"
    if isinstance(error, click_errors.BadParameter):
        return f"参数 {hint} 的值无效" if hint else "参数的值无效"
    if error.message.startswith("No such command"):
        return "没有这个命令"
    if isinstance(error, click_errors.BadOptionUsage):
        return f"选项 {error.option_name} 的用法不对"
    return "命令行参数不对"


def _hint(error: click_errors.UsageError) -> str:
    param = getattr(error, "param", None)
    if param is None:
        return ""
    if param.opts and param.opts[0].startswith("-"):
        return " / ".join(param.opts)
    return str(param.name or "").upper()
