"""``xueji serve``: the web pages and the JSON API."""

from __future__ import annotations

from typing import Annotated

import typer

from xueji.cli.output import fail
from xueji.domain.errors import XuejiError


def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口")] = None,
) -> None:
    import uvicorn

    from xueji.cli.scope import migrated_container
    from xueji.logs import configure_logging
    from xueji.web.app import create_app

    try:
        built = migrated_container()
    except XuejiError as error:
        raise fail(error) from None
    configure_logging()
    app = create_app(container=built)
    background = None
    if built.engine.dialect.name == "sqlite":
        from xueji.platform.tasks import apply_registry_event
        from xueji.sync.maintenance import Maintenance
        from xueji.sync.worker import RetryPolicy, start_in_background

        background = start_in_background(
            built.sessions,
            built.clock,
            apply_registry_event,
            policy=RetryPolicy(built.settings.sync_max_attempts),
            on_idle=Maintenance(
                built.sessions, built.clock, sla_hours=built.settings.sync_sla_hours
            ),
        )
    try:
        uvicorn.run(
            app,
            host=host or built.settings.host,
            port=port or built.settings.port,
            log_config=None,
            proxy_headers=True,
        )
    finally:
        if background is not None:
            thread, stop = background
            stop.set()
            thread.join(timeout=10)
