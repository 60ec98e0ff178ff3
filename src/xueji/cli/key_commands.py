"""``xueji keys rotate``: move every ciphertext, blind index and audit link to the key in
``XUEJI_NEW_SECRET_KEY`` while the service keeps serving (``xueji.ops.key_rotation``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from xueji.cli.output import console, fail, print_json
from xueji.domain.errors import XuejiError

app = typer.Typer(no_args_is_help=True)


@app.command(
    "rotate",
    help="把全部密文、盲索引和审计链接改到 XUEJI_NEW_SECRET_KEY 的新密钥下"
    "（服务不停；中断后重跑即续做）",
)
def rotate(
    as_json: Annotated[bool, typer.Option("--json", help='只打印一行 JSON：{"rows": n}')] = False,
    batch: Annotated[
        int, typer.Option("--batch", min=10, max=100_000, help="每个事务改写的行数")
    ] = 1000,
) -> None:
    from xueji.cli.scope import migrated_container
    from xueji.config import get_settings
    from xueji.db.crypto import RotatingKeyring, keyring
    from xueji.ops import key_rotation

    settings = get_settings()
    try:
        if not settings.new_secret_key:
            raise XuejiError(
                "请在 XUEJI_NEW_SECRET_KEY 中给出新主密钥（并保留 XUEJI_SECRET_KEY 为当前密钥）",
                code="KEY_NEW_MISSING",
            )
        built = migrated_container()
        ring = keyring()
        assert isinstance(ring, RotatingKeyring)
        result = key_rotation.rotate(built.sessions, built.clock, ring, batch=batch)
    except XuejiError as error:
        raise fail(error) from None
    key_file = _replace_key_file(settings.var_dir, settings.secret_key, ring.new.master_key())
    if as_json:
        print_json({"rows": result.rows})
        return
    if result.already_done:
        console.print("数据库已在新密钥下，无需再轮换。", highlight=False)
    else:
        console.print(
            f"轮换完成：改写 {result.rows} 行（其中审计日志 {result.audit_entries} 条重新链接）。",
            highlight=False,
        )
        discarded = "、".join(f"{table} {n} 行" for table, n in result.discarded.items() if n)
        if discarded:
            console.print(
                f"无法随密钥迁移而已作废：{discarded}（验证码、激活码须重新获取或打印）。",
                highlight=False,
            )
        for column, left in result.unmatched.items():
            console.print(f"[yellow]{column} 有 {left} 行找不到对应的值，保持原样[/yellow]")
        if result.anchor is not None:
            console.print(
                f"新锚点（旧锚点已不适用，请另行保存）：{result.anchor.as_json()}", highlight=False
            )
    if key_file is not None:
        console.print(f"{key_file} 已改存新密钥。", highlight=False)
    console.print(
        "请把 XUEJI_SECRET_KEY 设为新密钥、去掉 XUEJI_NEW_SECRET_KEY，重启全部进程，并备份新密钥。",
        highlight=False,
    )


def _replace_key_file(var_dir: Path, secret_key: str, new: bytes) -> Path | None:
    """Where the old key came from ``var/secret.key`` (no ``XUEJI_SECRET_KEY``), that file
    now holds the new key (replaced atomically, mode 0600), so ``make run`` still starts."""
    from xueji.db.keys import KEY_FILE_NAME
    from xueji.db.private_files import FILE_MODE

    path = var_dir / KEY_FILE_NAME
    if secret_key or not path.exists():
        return None
    staged = path.with_name(KEY_FILE_NAME + ".new")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(new + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staged, path)
    return path
