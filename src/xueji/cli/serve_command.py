"""``xueji serve``: the web pages and the JSON API."""

from __future__ import annotations

import gc
from typing import Annotated

import typer

from xueji.cli.output import fail
from xueji.domain.errors import XuejiError


def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="进程数（仅 PostgreSQL；一般等于 CPU 核数）")
    ] = 1,
) -> None:
    """On SQLite: one process, which also applies registry change events in a background
    thread. On PostgreSQL: ``workers`` processes; events are applied by ``xueji worker``."""
    import uvicorn

    from xueji.app import consume_in_background, create_app
    from xueji.cli.scope import migrated_container
    from xueji.logs import configure_logging
    from xueji.sms import warn_if_development

    try:
        built = migrated_container()
        sqlite = built.engine.dialect.name == "sqlite"
        if sqlite and workers > 1:
            raise XuejiError(
                "SQLite 只支持单进程服务；多进程请使用 PostgreSQL（XUEJI_DATABASE_URL）",
                code="SERVE_WORKERS_SQLITE",
            )
    except XuejiError as error:
        raise fail(error) from None
    configure_logging()
    warn_if_development(built.settings)
    listen_host, listen_port = host or built.settings.host, port or built.settings.port
    if workers > 1:
        from xueji.cli.serve_processes import serve_processes

        built.engine.dispose()  # each server process builds its own from the settings
        try:
            status = serve_processes(
                listen_host,
                listen_port,
                workers,
                {"log_config": None, **built.settings.uvicorn_proxy_options()},
            )
        except XuejiError as error:
            raise fail(error) from None
        raise typer.Exit(status)
    app = create_app(container=built)
    background = consume_in_background(built) if sqlite else None
    gc.freeze()  # see create_worker_app
    try:
        uvicorn.run(
            app,
            host=listen_host,
            port=listen_port,
            log_config=None,
            **built.settings.uvicorn_proxy_options(),  # type: ignore[arg-type]
        )
    finally:
        if background is not None:
            thread, stop = background
            stop.set()
            thread.join(timeout=10)
