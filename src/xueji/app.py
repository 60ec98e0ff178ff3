"""The composition root: the one place that knows every room.

* ``create_app`` / ``create_worker_app``: the HTTP service (``xueji serve``);
* ``apply_registry_events`` and ``REACTIONS``: what the platform side does with a registry
  change event (``xueji serve`` on SQLite, ``xueji worker``, ``xueji reconcile --repair``);
* ``maintenance`` and ``resync``: what an idle consumer does, wired to the registry's
  resync events.

Nothing below imports this module except the CLI and the tests: ``web/`` is a toolkit
that knows no feature, and feature modules learn of each other only through their
services and the change feed.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from xueji import __version__
from xueji.auth import pages as auth_pages
from xueji.auth import routes as auth_routes
from xueji.auth.deps import is_signed_in
from xueji.config import Settings, get_settings
from xueji.container import Container
from xueji.dashboard import pages as dashboard_pages
from xueji.db.loop_reads import LoopReads
from xueji.domain.clock import Clock
from xueji.ops import routes as ops_routes
from xueji.parents import follow as parent_follow
from xueji.parents import pages as parent_pages
from xueji.parents import routes as parent_routes
from xueji.platform import follow as platform_follow
from xueji.platform import learning_routes, signin_pages, signin_routes
from xueji.platform import pages as platform_pages
from xueji.platform import routes as platform_routes
from xueji.registry import pages as registry_pages
from xueji.registry import promotion_pages
from xueji.registry import routes as registry_routes
from xueji.registry.enrollment import pages as enrollment_pages
from xueji.registry.enrollment import routes as enrollment_routes
from xueji.registry.events import publish_resync
from xueji.registry.imports import pages as import_pages
from xueji.registry.imports import routes as import_routes
from xueji.registry.national import pages as national_pages
from xueji.registry.national import routes as national_routes
from xueji.rights import erasure
from xueji.rights import pages as rights_pages
from xueji.rights import routes as rights_routes
from xueji.sync import worker
from xueji.sync.affected import Affected, Event
from xueji.sync.maintenance import Maintenance
from xueji.verification import pages as verification_pages
from xueji.verification import routes as verification_routes
from xueji.web import api_docs, errors
from xueji.web.body_limit import MIB, BodyLimit
from xueji.web.security import SecurityHeaders
from xueji.web.templating import STATIC_DIR
from xueji.web.writes import SerialWrites, WriteGate

ROUTERS = (
    auth_routes,
    signin_routes,
    registry_routes,
    enrollment_routes,
    import_routes,
    national_routes,
    platform_routes,
    learning_routes,
    ops_routes,
    verification_routes,
    parent_routes,
    rights_routes,
    auth_pages,
    signin_pages,
    registry_pages,
    promotion_pages,
    dashboard_pages,
    enrollment_pages,
    import_pages,
    national_pages,
    platform_pages,
    verification_pages,
    parent_pages,
    rights_pages,
)

Reaction = Callable[[Session, Clock, Affected], None]
#: Who follows a registry change, in order: the platform's projection and student
#: accounts first, then the parents' bindings.
REACTIONS: tuple[Reaction, ...] = (platform_follow.follow_registry, parent_follow.follow_registry)


def apply_registry_events(session: Session, clock: Clock, events: Sequence[Event]) -> None:
    """The consumer's handler: each reaction follows every student the batch is about,
    set-wise, reading their current state through the registry's lookup."""
    affected = Affected.of(events)
    if not affected:
        return
    for react in REACTIONS:
        react(session, clock, affected)


def resync(session: Session, clock: Clock, student_ids: list[int]) -> int:
    """The reconciliation's repair: the registry republishes these students."""
    return publish_resync(session, clock, None, student_ids)


def maintenance(container: Container) -> Maintenance:
    retention = container.settings.retention_days_after_leaving
    return Maintenance(
        container.sessions,
        container.clock,
        sla_hours=container.settings.sync_sla_hours,
        resync=resync,
        daily=(
            ("erasure", erasure.run_due),
            ("retention", partial(erasure.purge_left, retention_days=retention)),
        ),
    )


def retry_policy(container: Container) -> worker.RetryPolicy:
    return worker.RetryPolicy(container.settings.sync_max_attempts)


def drain_events(container: Container) -> int:
    """Apply every due event now; returns how many were handled."""
    total = 0
    policy = retry_policy(container)
    while handled := worker.run_once(
        container.sessions, container.clock, apply_registry_events, policy=policy
    ):
        total += handled
    return total


def consume_forever(container: Container, stop: threading.Event) -> None:
    worker.run_forever(
        container.sessions,
        container.clock,
        apply_registry_events,
        stop,
        policy=retry_policy(container),
        on_idle=maintenance(container),
    )


def consume_in_background(container: Container) -> tuple[threading.Thread, threading.Event]:
    return worker.start_in_background(
        container.sessions,
        container.clock,
        apply_registry_events,
        policy=retry_policy(container),
        on_idle=maintenance(container),
    )


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    container = container or Container.build(settings or get_settings())
    reads = container.async_reads

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop_reads = LoopReads.for_engine(container.engine)
        app.state.loop_reads = loop_reads
        yield
        app.state.loop_reads = None
        if loop_reads is not None:
            loop_reads.dispose()
        if reads is not None:
            await reads.dispose()  # this event loop's connections

    app = FastAPI(
        title="xueji 学籍与平台账号服务",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served by web.api_docs, without a CDN
        redoc_url=None,
        responses=errors.error_answers(503),  # web.writes: DB_BUSY, on any request
    )
    app.state.container = container
    errors.install(app)
    sqlite = container.engine.dialect.name == "sqlite"
    app.state.write_gate = WriteGate(sqlite=sqlite, own_turn=signin_routes.OWN_WRITE_TURN)
    app.add_middleware(SerialWrites, gate=app.state.write_gate)
    upload_limit = container.settings.max_upload_mb * MIB
    app.add_middleware(BodyLimit, upload_limit=upload_limit, authenticated=is_signed_in)
    app.add_middleware(SecurityHeaders, hsts=container.settings.cookie_secure)
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    api_docs.install(app)
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
