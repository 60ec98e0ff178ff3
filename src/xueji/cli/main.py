"""The ``xueji`` command."""

from __future__ import annotations

from xueji.cli import (
    audit_commands,
    db_commands,
    demo_commands,
    identity_commands,
    key_commands,
    registry_commands,
    serve_command,
    sync_commands,
    user_commands,
    worker_command,
)
from xueji.cli.usage import ChineseTyper

app = ChineseTyper(
    help="学迹：学籍与智慧教育平台账号服务",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve", help="启动网页与 API 服务")(serve_command.serve)
app.command("worker", help="把学籍变更事件应用到平台账号")(worker_command.worker)
app.add_typer(db_commands.app, name="db", help="数据库结构迁移")
app.add_typer(demo_commands.app, name="demo", help="演示数据")
app.add_typer(user_commands.app, name="user", help="管理员账号")
app.add_typer(identity_commands.id_app, name="id", help="身份证号与学籍号校验")
app.add_typer(identity_commands.name_app, name="name", help="姓名与学校名称比对")
app.add_typer(audit_commands.app, name="audit", help="审计日志")
app.add_typer(key_commands.app, name="keys", help="主密钥：轮换")
app.add_typer(registry_commands.app, name="registry", help="学籍：批量导入、学年升级")
app.command("reconcile", help="对账：学籍与平台是否一致；--repair 经事件修复")(
    sync_commands.reconcile
)
app.add_typer(sync_commands.app, name="sync", help="学籍变更事件同步：状况与重试")

if __name__ == "__main__":
    app()
