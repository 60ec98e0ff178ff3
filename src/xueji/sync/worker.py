"""The consumer of registry change events.

Events are taken oldest first in batches; each batch is applied in one transaction
together with the events' handled stamps, so a worker that dies half-way leaves the batch
to be taken again, and nothing is applied twice. On PostgreSQL ``FOR UPDATE SKIP LOCKED``
lets any number of ``xueji worker`` processes share the queue; on SQLite the worker runs
inside ``xueji serve``. A batch that fails is retried one event at a time, so one bad
event does not hold back the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from xueji.db.scope import transaction
from xueji.domain.clock import Clock
from xueji.sync.models import OutboxEvent
from xueji.sync.repository import OutboxRepository

Handler = Callable[[Session, Clock, OutboxEvent], None]
log = logging.getLogger("xueji.worker")
BATCH = 200


def _handle(session: Session, clock: Clock, handler: Handler, events: list[OutboxEvent]) -> None:
    for event in events:
        handler(session, clock, event)
        now = clock.now()
        event.handled_at = now
        event.lag_ms = max(0, int((now - event.created_at).total_seconds() * 1000))


def run_once(
    sessions: sessionmaker[Session], clock: Clock, handler: Handler, *, limit: int = BATCH
) -> int:
    """Handle up to ``limit`` pending events; returns how many were handled."""
    try:
        with transaction(sessions) as session:
            events = _pending(session, limit)
            _handle(session, clock, handler, events)
            return len(events)
    except Exception:
        log.warning("批量处理事件失败，改为逐条处理", exc_info=True)
    handled = 0
    for _ in range(limit):
        try:
            with transaction(sessions) as session:
                events = _pending(session, 1)
                if not events:
                    break
                _handle(session, clock, handler, events)
                handled += 1
        except Exception:
            log.error("事件处理失败，稍后重试", exc_info=True)
            break
    return handled


def _pending(session: Session, limit: int) -> list[OutboxEvent]:
    repository = OutboxRepository(session)
    return repository.pending(limit, skip_locked=repository.dialect == "postgresql")


def run_forever(
    sessions: sessionmaker[Session],
    clock: Clock,
    handler: Handler,
    stop: threading.Event,
    *,
    idle_seconds: float = 0.2,
) -> None:
    """Poll until ``stop`` is set; no wait while there is work."""
    while not stop.is_set():
        try:
            if run_once(sessions, clock, handler):
                continue
        except Exception:
            log.error("事件处理循环出错", exc_info=True)
        stop.wait(idle_seconds)


def start_in_background(
    sessions: sessionmaker[Session], clock: Clock, handler: Handler
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(sessions, clock, handler, stop), name="xueji-worker", daemon=True
    )
    thread.start()
    return thread, stop
