"""The event consumer on both databases: order per student, retries with backoff, dead
letters that hold back only their own student, and the operator's retry."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy.orm import Session, sessionmaker

from xueji.audit import service as audit
from xueji.domain.clock import Clock, FixedClock
from xueji.sync import outbox, worker
from xueji.sync.models import OutboxEvent

POLICY = worker.RetryPolicy(max_attempts=3)


class Recorder:
    """A handler that records what it applied and fails for chosen students."""

    def __init__(self, failing: set[int] | None = None) -> None:
        self.applied: list[tuple[int, int]] = []
        self.failing = failing or set()

    def __call__(self, session: Session, clock: Clock, events: Sequence[OutboxEvent]) -> None:
        for event in events:
            if event.student_id in self.failing:
                raise RuntimeError(f"cannot apply event for student {event.student_id}")
            self.applied.append((event.student_id, event.sequence))


def factory_for(session: Session) -> sessionmaker[Session]:
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def drain(session: Session, clock: FixedClock, handler: Recorder) -> int:
    total = 0
    while handled := worker.run_once(factory_for(session), clock, handler, policy=POLICY):
        total += handled
    session.expire_all()
    return total


def emit(session: Session, clock: FixedClock, student_id: int, sequence: int) -> OutboxEvent:
    return outbox.publish(
        session,
        clock,
        event_type="student.status_changed",
        student_id=student_id,
        sequence=sequence,
        payload={},
    )


@pytest.fixture(autouse=True)
def empty_queue(session: Session) -> None:
    session.query(OutboxEvent).delete()


def test_events_apply_in_order_per_student_and_record_their_delay(
    session: Session, clock: FixedClock
) -> None:
    for sequence in (1, 2, 3):
        emit(session, clock, 900001, sequence)
        emit(session, clock, 900002, sequence)
    clock.advance(milliseconds=250)
    handler = Recorder()
    assert drain(session, clock, handler) == 6
    assert [s for student, s in handler.applied if student == 900001] == [1, 2, 3]
    events = session.query(OutboxEvent).all()
    assert {e.lag_ms for e in events} == {250} and {e.apply_count for e in events} == {1}


def test_a_later_event_waits_while_an_earlier_one_of_the_same_student_is_taken(
    session: Session, clock: FixedClock
) -> None:
    from xueji.sync.repository import OutboxRepository

    first = emit(session, clock, 900001, 1)
    emit(session, clock, 900001, 2)
    other = emit(session, clock, 900002, 1)
    due = OutboxRepository(session).pending(10, now=clock.now())
    assert [e.id for e in due] == [first.id, other.id]


def test_a_failing_event_backs_off_then_becomes_a_dead_letter_without_blocking_others(
    session: Session, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    poisoned = emit(session, clock, 900001, 1)
    later = emit(session, clock, 900001, 2)
    emit(session, clock, 900002, 1)
    handler = Recorder(failing={900001})
    assert drain(session, clock, handler) == 1
    assert handler.applied == [(900002, 1)]
    session.refresh(poisoned)
    assert poisoned.attempts == 1 and poisoned.dead_at is None
    assert drain(session, clock, handler) == 0  # backing off: not tried again yet
    session.refresh(poisoned)
    assert poisoned.attempts == 1
    for seconds in (1, 2):
        clock.advance(seconds=seconds)
        emit(session, clock, 900003, seconds)
        drain(session, clock, handler)
    session.refresh(poisoned)
    assert poisoned.attempts == 3 and poisoned.dead_at is not None
    assert "死信" in caplog.text and "RuntimeError" in (poisoned.last_error or "")
    assert (900003, 1) in handler.applied and (900003, 2) in handler.applied
    session.refresh(later)
    assert later.handled_at is None, "the student's later event keeps its place behind"

    handler.failing.clear()
    assert worker.retry(session, clock, audit.SYSTEM, poisoned.id) is not None
    assert drain(session, clock, handler) == 2
    assert handler.applied[-2:] == [(900001, 1), (900001, 2)]


def test_retry_of_an_unknown_or_handled_event_is_refused(
    session: Session, clock: FixedClock
) -> None:
    event = emit(session, clock, 900001, 1)
    drain(session, clock, Recorder())
    assert worker.retry(session, clock, audit.SYSTEM, event.id) is None
    assert worker.retry(session, clock, audit.SYSTEM, 987654321) is None


def test_a_scheduled_job_is_taken_by_one_caller_per_period(
    session: Session, clock: FixedClock
) -> None:
    import datetime as dt

    from xueji.sync.repository import OutboxRepository

    day = dt.timedelta(days=1)
    repository = OutboxRepository(session)
    assert repository.take_job("reconcile", now=clock.now(), every=day) is True
    assert repository.take_job("reconcile", now=clock.now(), every=day) is False
    clock.advance(hours=23)
    assert repository.take_job("reconcile", now=clock.now(), every=day) is False
    clock.advance(hours=1)
    assert repository.take_job("reconcile", now=clock.now(), every=day) is True


def test_an_old_event_and_a_dead_letter_raise_alarms_in_the_log(
    session: Session, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    from xueji.sync import ops

    emit(session, clock, 900001, 1)
    dead = emit(session, clock, 900002, 1)
    dead.dead_at = clock.now()
    session.flush()
    clock.advance(hours=25)
    current = ops.status(session, clock, sla_hours=24)
    assert current.sla_breaches == 2 and current.dead_letters == 1
    assert current.pending_events == 1 and current.oldest_pending_age_s == 25 * 3600
    alarms = ops.raise_alarms(current)
    assert len(alarms) == 2 and "告警：有 2 个学籍变更事件超过 24 小时" in caplog.text
