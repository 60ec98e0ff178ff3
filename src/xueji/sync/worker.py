"""The consumer of registry change events.

Due events are taken in batches, interactive changes before bulk work
(``OutboxRepository.pending``); the handler applies a whole batch set-wise, in one
transaction together with the events' handled stamps, so a worker that dies half-way
leaves the batch to be taken again, and nothing is applied twice. On PostgreSQL
``FOR UPDATE SKIP LOCKED`` lets any number of ``xueji worker`` processes share the queue
(a student's later event waits until the earlier one is handled, so order per student
holds); on SQLite the worker runs inside ``xueji serve``.

A batch that fails is retried one event at a time. An event that fails is tried again
after an exponential backoff; after ``max_attempts`` failures it becomes a dead letter
with an alarm in the log, and only that student's later events wait behind it until an
operator retries it (``xueji sync retry ID``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from xueji.audit import service as audit
from xueji.audit.service import Actor
from xueji.db.scope import transaction
from xueji.domain.clock import Clock
from xueji.logs import redact
from xueji.sync.models import OutboxEvent
from xueji.sync.repository import OutboxRepository

#: applies a batch of events (in the order given) in the caller's transaction
Handler = Callable[[Session, Clock, Sequence[OutboxEvent]], None]
log = logging.getLogger("xueji.worker")
BATCH = 500
MAX_BACKOFF_SECONDS = 300


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8

    def delay(self, attempts: int) -> dt.timedelta:
        """1 s, 2 s, 4 s … capped at five minutes."""
        return dt.timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def _handle(session: Session, clock: Clock, handler: Handler, events: list[OutboxEvent]) -> None:
    if not events:
        return
    handler(session, clock, events)
    now = clock.now()
    for event in events:
        event.handled_at = now
        event.apply_count += 1
        event.lag_ms = max(0, int((now - event.created_at).total_seconds() * 1000))


def run_once(
    sessions: sessionmaker[Session],
    clock: Clock,
    handler: Handler,
    *,
    limit: int = BATCH,
    policy: RetryPolicy = RetryPolicy(),
) -> int:
    """Handle up to ``limit`` due events; returns how many were handled."""
    try:
        with transaction(sessions) as session:
            events = _due(session, clock, limit)
            _handle(session, clock, handler, events)
            return len(events)
    except Exception:
        log.warning("批量处理事件失败，改为逐条处理", exc_info=True)
    handled = 0
    for _ in range(limit):
        failed: tuple[int, Exception] | None = None
        try:
            with transaction(sessions) as session:
                events = _due(session, clock, 1)
                if not events:
                    break
                event_id = events[0].id
                try:
                    with session.begin_nested():
                        _handle(session, clock, handler, events)
                except Exception as error:
                    failed = (event_id, error)
                else:
                    handled += 1
                if failed:
                    _record_failure(session, clock, failed[0], failed[1], policy)
        except Exception:
            log.error("事件处理失败（数据库不可用？），稍后重试", exc_info=True)
            break
    return handled


def _record_failure(
    session: Session, clock: Clock, event_id: int, error: Exception, policy: RetryPolicy
) -> None:
    """Counts the failure on the event (in the same transaction that skipped it): backoff,
    or dead letter after the last attempt."""
    event = OutboxRepository(session).get(event_id)
    if event is None:
        return
    now = clock.now()
    event.attempts += 1
    event.last_error = redact(f"{type(error).__name__}: {error}")[:500]
    if event.attempts >= policy.max_attempts:
        event.dead_at = now
        log.error(
            "告警：事件 %s（学生 %s 第 %s 号）失败 %s 次，已转入死信；"
            "查明原因后用 xueji sync retry %s 重试",
            event.id,
            event.student_id,
            event.sequence,
            event.attempts,
            event.id,
            exc_info=error,
        )
    else:
        event.next_attempt_at = now + policy.delay(event.attempts)
        log.warning(
            "事件 %s 第 %s 次处理失败，%s 后重试",
            event.id,
            event.attempts,
            policy.delay(event.attempts),
            exc_info=error,
        )


def _due(session: Session, clock: Clock, limit: int) -> list[OutboxEvent]:
    return OutboxRepository(session).pending(limit, now=clock.now())


def run_forever(
    sessions: sessionmaker[Session],
    clock: Clock,
    handler: Handler,
    stop: threading.Event,
    *,
    idle_seconds: float = 0.2,
    policy: RetryPolicy = RetryPolicy(),
    on_idle: Callable[[], None] | None = None,
) -> None:
    """Poll until ``stop`` is set; no wait while there is work. ``on_idle`` (alarms, the
    daily reconciliation and jobs) runs beside the polls, in a thread of its own: a
    reconciliation of a province takes a while, and a suspension must not wait for it
    (on SQLite this loop is the only consumer)."""
    if on_idle is not None:
        threading.Thread(
            target=_maintain, args=(on_idle, stop), name="xueji-maintenance", daemon=True
        ).start()
    while not stop.is_set():
        try:
            if run_once(sessions, clock, handler, policy=policy):
                continue
        except Exception:
            log.error("事件处理循环出错", exc_info=True)
        stop.wait(idle_seconds)


def _maintain(on_idle: Callable[[], None], stop: threading.Event, every: float = 1.0) -> None:
    while not stop.is_set():
        try:
            on_idle()
        except Exception:
            log.error("维护任务出错", exc_info=True)
        stop.wait(every)


def start_in_background(
    sessions: sessionmaker[Session],
    clock: Clock,
    handler: Handler,
    *,
    policy: RetryPolicy = RetryPolicy(),
    on_idle: Callable[[], None] | None = None,
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever,
        args=(sessions, clock, handler, stop),
        kwargs={"policy": policy, "on_idle": on_idle},
        name="xueji-worker",
        daemon=True,
    )
    thread.start()
    return thread, stop


def retry(session: Session, clock: Clock, actor: Actor, event_id: int) -> OutboxEvent | None:
    """An operator's retry of a dead letter (or of an event waiting out its backoff): back
    to the queue with a fresh budget; audited. None if there is no such unhandled event."""
    event = OutboxRepository(session).get(event_id)
    if event is None or event.handled_at is not None:
        return None
    audit.record(
        session,
        clock,
        actor,
        action="sync.retry",
        subject=f"event:{event.id}",
        payload={"student_id": event.student_id, "attempts": event.attempts},
    )
    event.dead_at = None
    event.next_attempt_at = None
    event.attempts = 0
    session.flush()
    return event
