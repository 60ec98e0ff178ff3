"""``xueji db upgrade``."""

from __future__ import annotations

import typer

from xueji.cli.output import console, fail
from xueji.domain.errors import XuejiError

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade", help="把数据库结构迁移到最新版本")
def upgrade() -> None:
    from xueji.cli.scope import container
    from xueji.db import migrate
    from xueji.db.crypto import keyring
    from xueji.db.key_state import check_key

    built = container()
    try:
        check_key(built.engine, keyring())
    except XuejiError as error:
        raise fail(error) from None
    before = migrate.current_revision(built.engine)
    migrate.upgrade(built.engine)
    after = migrate.current_revision(built.engine)
    url = built.engine.url.render_as_string(hide_password=True)
    if before == after:
        console.print(f"数据库已是最新版本（{after}）：{url}", highlight=False)
    else:
        console.print(f"数据库已迁移到 {after}：{url}", highlight=False)
