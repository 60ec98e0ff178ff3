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
    from xueji.cli.scope import migrated_container
    from xueji.logs import configure_logging
    from xueji.platform.tasks import apply_registry_event
    from xueji.sync import worker as consumer
    from xueji.sync.maintenance import Maintenance

    try:
        built = migrated_container()
    except XuejiError as error:
        raise fail(error) from None
    configure_logging()
    policy = consumer.RetryPolicy(built.settings.sync_max_attempts)
    if once:
        total = 0
        while handled := consumer.run_once(
            built.sessions, built.clock, apply_registry_event, policy=policy
        ):
            total += handled
        console.print(f"已处理 {total} 个事件。", highlight=False)
        return
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    console.print("事件处理进程已启动（Ctrl+C 停止）。", highlight=False)
    consumer.run_forever(
        built.sessions,
        built.clock,
        apply_registry_event,
        stop,
        policy=policy,
        on_idle=Maintenance(built.sessions, built.clock, sla_hours=built.settings.sync_sla_hours),
    )
