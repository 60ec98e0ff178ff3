"""How the CLI speaks: Chinese messages on stderr, JSON on stdout, exit codes."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console

from xueji.domain.errors import XuejiError

console = Console(soft_wrap=True)  # a message is never cut into lines mid-word
errors = Console(stderr=True, soft_wrap=True)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail(error: XuejiError, *, exit_code: int = 1) -> typer.Exit:
    errors.print(f"[red]错误 {error.code}[/red]：{error.message}", highlight=False)
    return typer.Exit(exit_code)
