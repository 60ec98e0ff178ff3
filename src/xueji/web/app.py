"""``create_app``: the composition root of the HTTP service."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from xueji import __version__
from xueji.auth import pages as auth_pages
from xueji.auth import routes as auth_routes
from xueji.config import Settings, get_settings
from xueji.container import Container
from xueji.ops import routes as ops_routes
from xueji.parents import pages as parent_pages
from xueji.parents import routes as parent_routes
from xueji.platform import learning_routes
from xueji.platform import pages as platform_pages
from xueji.platform import routes as platform_routes
from xueji.registry import import_pages, import_routes, transfer_pages
from xueji.registry import pages as registry_pages
from xueji.registry import routes as registry_routes
from xueji.verification import pages as verification_pages
from xueji.verification import routes as verification_routes
from xueji.web import errors


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    container = container or Container.build(settings or get_settings())
    reads = container.async_reads

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if reads is not None:
            await reads.dispose()  # this event loop's connections

    app = FastAPI(title="xueji 学籍与平台账号服务", version=__version__, lifespan=lifespan)
    app.state.container = container
    errors.install(app)
    app.include_router(auth_routes.router)
    app.include_router(auth_pages.router)
    app.include_router(registry_routes.router)
    app.include_router(import_routes.router)
    app.include_router(platform_routes.router)
    app.include_router(learning_routes.router)
    app.include_router(ops_routes.router)
    app.include_router(verification_routes.router)
    app.include_router(parent_routes.router)
    for pages in (
        registry_pages,
        transfer_pages,
        import_pages,
        platform_pages,
        verification_pages,
        parent_pages,
    ):
        app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


def create_worker_app() -> FastAPI:
    """The factory each ``xueji serve --workers N`` process calls: its own logging (with
    the redacting formatter) and its own container from the settings.

    Everything loaded at start-up is then frozen out of the garbage collector: otherwise
    every full collection walks the whole framework and ORM, and pauses the process for
    tens of milliseconds — the slowest requests were those pauses."""
    from xueji.logs import configure_logging

    configure_logging()
    app = create_app()
    gc.freeze()
    return app
