"""The consumer at term-start scale, on both databases: an import publishes one event per
chunk of new students, the consumer applies a chunk set-wise (projections, parent
bindings, waiting accounts), interactive changes are taken before bulk work and never
wait behind an import, and the per-student feed stays readable for outside readers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.import_files_helper import row, write_csv
from tests.integration.test_platform_sync import PASSWORD, drain
from tests.registry_world import HAIKOU, World, build_world, number
from xueji.domain.clock import FixedClock
from xueji.domain.enrollment import ChangeKind
from xueji.parents import service as parents
from xueji.parents.models import ParentBinding
from xueji.platform import service as accounts
from xueji.platform.models import StudentAccount, StudentProjection
from xueji.registry.enrollment import service as enrollment
from xueji.registry.imports.service import run_import
from xueji.registry.lookup import lookup
from xueji.sync import outbox
from xueji.sync.models import BULK, INTERACTIVE, OutboxEvent
from xueji.sync.reconcile import service as reconcile
from xueji.sync.repository import OutboxRepository

SEQUENCES = ("001", "003", "005", "007", "009")  # odd: boys
ROWS = [
    row(number(sequence=sequence), name, phone=phone)
    for sequence, name, phone in zip(
        SEQUENCES,
        ("陈小明", "李华", "王芳", "赵磊", "孙丽"),
        ("13800138001", "13900139001", "13900139002", "13800138001", "13900139003"),
        strict=True,
    )
]


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "CHUNK", 2)


def import_rows(session: Session, clock: FixedClock, world: World, tmp_path: Path) -> list[int]:
    result = run_import(
        session,
        clock,
        world.haikou_admin,
        school_code=HAIKOU,
        path=write_csv(tmp_path / "term.csv", ROWS),
        filename="term.csv",
        dry_run=False,
    )
    assert result.new == len(ROWS)
    ids = []
    for sequence in SEQUENCES:
        record = lookup(session, registry_no=number(sequence=sequence))
        assert record is not None
        ids.append(record.student_id)
    return ids


def suspend(session: Session, clock: FixedClock, world: World, registry_no: str) -> None:
    enrollment.change_enrollment(
        session,
        clock,
        world.haikou_admin,
        registry_no=registry_no,
        kind=ChangeKind.SUSPEND,
        reason="病休",
    )


def chunks(session: Session) -> list[OutboxEvent]:
    return list(
        session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.event_type == outbox.STUDENTS_IMPORTED)
            .order_by(OutboxEvent.id)
        )
    )


def wait_for(session: Session, clock: FixedClock, registry_no: str, student_no: str) -> None:
    """A student account whose fields match the registry once the registry knows it."""
    registered = accounts.register(
        session,
        clock,
        student_no=student_no,
        password=PASSWORD,
        client="10.0.0.9",
        entered=accounts.Entered(
            registry_no=registry_no,
            name="王芳",
            gender="1",
            birth_date=dt.date(2016, 2, 11),
            school_name="佛山市禅城区海口小学",
        ),
    )
    assert isinstance(registered, accounts.Registration)
    assert registered.status == "pending"


def test_an_import_is_published_in_chunks_and_applied_set_wise(
    session: Session, clock: FixedClock, world: World, tmp_path: Path, small_chunks: None
) -> None:
    parent = parents.create_parent(session, clock, phone="13800138001", password=PASSWORD)
    wait_for(session, clock, number(sequence="005"), "wangfang")
    ids = import_rows(session, clock, world, tmp_path)
    published = chunks(session)
    covered = [i for e in published for i in ids if e.student_id <= i <= (e.last_student_id or 0)]
    assert sorted(covered) == sorted(ids) and len(published) >= 3
    assert {(e.sequence, e.lane) for e in published} == {(1, BULK)}
    assert all((e.last_student_id or 0) - e.student_id < 2 for e in published)

    assert drain(session, clock) == len(published)
    projections = {
        p.student_id: p
        for p in session.scalars(
            select(StudentProjection).where(StudentProjection.student_id.in_(ids))
        )
    }
    assert sorted(projections) == sorted(ids)
    assert {(p.status, p.school_code, p.applied_sequence) for p in projections.values()} == {
        ("enrolled", HAIKOU, 1)
    }
    bound = session.scalars(
        select(ParentBinding.student_id).where(
            ParentBinding.parent_account_id == parent.account.id, ParentBinding.ended_at.is_(None)
        )
    ).all()
    assert sorted(bound) == [ids[0], ids[3]]  # the two children listing 13800138001
    waiting = session.scalar(select(StudentAccount).where(StudentAccount.student_no == "wangfang"))
    assert waiting is not None and waiting.status == "awaiting_guardian"
    assert all(e.handled_at is not None and e.apply_count == 1 for e in chunks(session))


def test_a_suspension_is_taken_before_the_import_ahead_of_it(
    session: Session, clock: FixedClock, world: World, tmp_path: Path, small_chunks: None
) -> None:
    ids = import_rows(session, clock, world, tmp_path)
    last = ids[-1]  # in the last chunk, behind every other
    suspend(session, clock, world, number(sequence=SEQUENCES[-1]))
    [first] = OutboxRepository(session).pending(500, now=clock.now())
    assert (first.student_id, first.sequence, first.lane) == (last, 2, INTERACTIVE)

    assert drain(session, clock) == len(chunks(session)) + 1
    projection = session.get(StudentProjection, last)
    assert projection is not None
    # its chunk came after the suspension and changed nothing: current state, sequence 2
    assert (projection.status, projection.applied_sequence) == ("suspended", 2)


def test_an_interactive_change_takes_the_bulk_change_it_waits_for_along(
    session: Session, clock: FixedClock, world: World
) -> None:
    now = clock.now()
    for student_id, sequence, lane in ((800001, 1, BULK), (800002, 1, BULK), (800001, 2, 0)):
        session.add(
            OutboxEvent(
                event_type="student.corrected",
                student_id=student_id,
                sequence=sequence,
                lane=lane,
                payload={},
                created_at=now,
            )
        )
    session.flush()
    taken = OutboxRepository(session).pending(500, now=now)
    # 800001's import change first (the later one waits for it), 800002's stays behind
    assert [(e.student_id, e.sequence) for e in taken] == [(800001, 1)]


def test_the_per_student_view_expands_import_chunks(
    session: Session, clock: FixedClock, world: World, tmp_path: Path, small_chunks: None
) -> None:
    ids = import_rows(session, clock, world, tmp_path)
    suspend(session, clock, world, number(sequence="001"))
    rows = session.execute(
        text(
            "SELECT student_id, sequence, event_type FROM outbox_student_events"
            " ORDER BY student_id, sequence"
        )
    ).all()
    expected = [(i, 1, "student.registered") for i in ids]
    expected.insert(1, (ids[0], 2, "student.status_changed"))
    assert [tuple(r) for r in rows if r[0] in ids] == expected


def test_the_reconciliation_counts_the_students_of_a_chunk_not_yet_applied_as_in_flight(
    session: Session, clock: FixedClock, world: World, tmp_path: Path, small_chunks: None
) -> None:
    import_rows(session, clock, world, tmp_path)
    report = reconcile.reconcile(session, clock)
    assert report.findings["projection_missing"].count == 0, report.as_json()
    assert report.in_flight >= len(ROWS) and report.repairable_students == []
    drain(session, clock)
    after = reconcile.reconcile(session, clock)
    assert after.agree and after.in_flight == 0, after.as_json()
