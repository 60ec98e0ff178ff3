"""``xueji worker``: apply registry change events to the platform (for PostgreSQL; on
SQLite ``xueji serve`` runs the same loop in-process)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from xueji.cli.output import console, fail
from xueji.domain.errors import XuejiError


def worker(
    once: Annotated[bool, typer.Option("--once", help="处理完当前积压的事件后退出")] = False,
) -> None:
    from xueji import app
    from xueji.cli.scope import migrated_container
    from xueji.logs import configure_logging

    try:
        built = migrated_container()
    except XuejiError as error:
        raise fail(error) from None
    configure_logging()
    if once:
        console.print(f"已处理 {app.drain_events(built)} 个事件。", highlight=False)
        return
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    console.print("事件处理进程已启动（Ctrl+C 停止）。", highlight=False)
    app.consume_forever(built, stop)
