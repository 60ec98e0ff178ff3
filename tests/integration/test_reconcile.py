"""Reconciliation on both databases: each class of disagreement is found, and the repair
(resync events through the normal consumer) makes both sides agree again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from tests.integration.test_platform_sync import drain, sign_up, world  # noqa: F401
from tests.registry_world import World, number, register
from xueji.domain.clock import FixedClock
from xueji.platform.models import StudentAccount, StudentProjection
from xueji.registry.events import publish_resync
from xueji.registry.models import Student
from xueji.sync.models import BULK, OutboxEvent
from xueji.sync.reconcile import queries, read_sqlite
from xueji.sync.reconcile import service as reconcile
from xueji.sync.reconcile.report import EXAMPLES, Report


def check(session: Session, clock: FixedClock) -> Report:
    session.flush()
    return reconcile.reconcile(session, clock)


def repair(session: Session, clock: FixedClock, report: Report) -> Report:
    publish_resync(session, clock, None, report.repairable_students)
    drain(session, clock)
    return check(session, clock)


def counts(report: Report) -> dict[str, int]:
    return {name: f.count for name, f in report.findings.items() if f.count}


@pytest.fixture
def linked(session: Session, clock: FixedClock, world: World) -> Student:  # noqa: F811
    located = register(session, clock, world)
    sign_up(session, clock)
    drain(session, clock)
    return located.student


def test_a_synchronised_world_agrees(session: Session, clock: FixedClock, linked: Student) -> None:
    report = check(session, clock)
    assert report.agree, counts(report)
    assert report.students >= 1 and report.accounts == 1


def test_a_projection_drifted_by_hand_is_found_and_repaired_through_events(
    session: Session, clock: FixedClock, linked: Student
) -> None:
    session.execute(
        update(StudentProjection)
        .where(StudentProjection.student_id == linked.id)
        .values(status="suspended")
    )
    report = check(session, clock)
    assert counts(report) == {"projection_stale": 1}
    assert report.findings["projection_stale"].examples[0]["student_id"] == linked.id
    events_before = session.query(OutboxEvent).count()
    after = repair(session, clock, report)
    assert after.agree, counts(after)
    assert session.query(OutboxEvent).count() == events_before + 1
    # background work: a clerk's change is never queued behind a repair
    resync = session.query(OutboxEvent).order_by(OutboxEvent.id.desc()).first()
    assert resync is not None and (resync.event_type, resync.lane) == ("student.resync", BULK)
    assert session.get(StudentProjection, linked.id).status == "enrolled"  # type: ignore[union-attr]


def test_a_registry_change_without_event_shows_an_active_account_that_no_longer_matches(
    session: Session, clock: FixedClock, linked: Student
) -> None:
    session.execute(update(Student).where(Student.id == linked.id).values(name="陈晓明"))
    report = check(session, clock)
    assert counts(report) == {"active_account_mismatch": 1}
    assert repair(session, clock, report).agree
    account = session.query(StudentAccount).one()
    assert account.status == "active" and account.name == "陈晓明"


def test_a_pending_account_that_now_matches_is_found_and_activated(
    session: Session,
    clock: FixedClock,
    world: World,  # noqa: F811
) -> None:
    register(session, clock, world)
    sign_up(session, clock, name="陈晓明")  # a typo: pending
    drain(session, clock)
    clock.advance(minutes=2)
    session.execute(update(StudentAccount).values(name="陈小明"))  # fixed without a re-check
    report = check(session, clock)
    assert counts(report) == {"pending_account_matches": 1}
    assert repair(session, clock, report).agree
    assert session.query(StudentAccount).one().status == "active"


def test_missing_projection_and_old_unapplied_events_are_reported(
    session: Session,
    clock: FixedClock,
    world: World,  # noqa: F811
) -> None:
    register(session, clock, world)
    young = check(session, clock)
    assert young.agree and young.in_flight == 1, "a fresh event is in flight, not a fault"
    clock.advance(minutes=5)
    old = check(session, clock)
    assert counts(old) == {"events_never_applied": 1}, "waiting, not compared"
    drain(session, clock)
    assert check(session, clock).agree


def test_an_event_applied_twice_is_reported(
    session: Session, clock: FixedClock, linked: Student
) -> None:
    session.execute(text("UPDATE outbox_events SET apply_count = 2"))
    report = check(session, clock)
    assert counts(report) == {"events_applied_twice": 1}
    assert report.repairable_students == []


def test_batches_of_students_find_what_one_batch_finds(
    session: Session,
    clock: FixedClock,
    linked: Student,
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A province is compared a batch of students at a time; the report must not depend
    on where the batches are cut: counts add up, examples stop at five across batches,
    and every student to repair is named once."""
    others = [
        register(session, clock, world, registry_no=number(sequence=f"{k:03d}")).student
        for k in range(3, 17, 2)
    ]
    drain(session, clock)
    drifted = [linked.id, *(s.id for s in others[:5])]
    session.execute(
        update(StudentProjection)
        .where(StudentProjection.student_id.in_(drifted))
        .values(status="suspended")
    )
    session.execute(update(Student).where(Student.id == linked.id).values(name="陈晓明"))
    whole = check(session, clock)
    monkeypatch.setattr(queries, "BATCH_STUDENTS", 1)
    batched = check(session, clock)
    assert counts(whole) == {"projection_stale": 6, "active_account_mismatch": 1}
    assert counts(batched) == counts(whole)
    assert batched.students == whole.students == 1 + len(others)
    assert batched.accounts == whole.accounts == 1
    assert len(batched.findings["projection_stale"].examples) == EXAMPLES
    assert batched.repairable_students == whole.repairable_students == sorted(drifted)
    assert repair(session, clock, batched).agree


def test_a_sqlite_reader_that_fails_is_reported_with_its_own_error(tmp_path: Path) -> None:
    """An operator sees why the read failed, not a bare broken pipe."""
    missing = str(tmp_path / "absent.db")
    with pytest.raises(RuntimeError, match="reading the database failed") as failed:
        read_sqlite._Readers(missing, 1, 1, [["registry"], ["once"]])
    assert "absent.db" in str(failed.value)
