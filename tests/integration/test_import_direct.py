"""New students are written while the file is still being read (``imports.direct``), on
both databases: what that must not change. A number the file repeats is refused in every
row however far apart the rows are, a chunk that mixes registered and new students sorts
each of them as the import always has, and every student written is announced once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.import_files_helper import row, write_csv
from tests.integration.test_import import run
from tests.national_files import student, write_national
from tests.registry_world import HAIKOU, World, build_world, number, register
from xueji.domain.clock import FixedClock
from xueji.registry.imports import files as import_files
from xueji.registry.imports.direct import DirectWriter
from xueji.registry.lookup import lookup
from xueji.registry.models import Guardian, Student
from xueji.sync.models import OutboxEvent
from xueji.sync.outbox import STUDENTS_IMPORTED


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


@pytest.fixture(autouse=True)
def chunks_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is read two rows at a time, so rows land in different chunks."""
    monkeypatch.setattr(import_files, "CHUNK_ROWS", 2)


def announced(session: Session, import_id: int | None) -> set[int]:
    """The students the import's ``students.imported`` events stand for."""
    ranges = session.execute(
        select(OutboxEvent.student_id, OutboxEvent.last_student_id).where(
            OutboxEvent.event_type == STUDENTS_IMPORTED,
            OutboxEvent.payload["import_id"].as_integer() == import_id,
        )
    ).all()
    covered: list[int] = []
    for first, last in ranges:
        covered += session.scalars(select(Student.id).where(Student.id.between(first, last))).all()
    assert len(covered) == len(set(covered)), "a student announced twice"
    return set(covered)


def school_students(session: Session) -> set[int]:
    return set(session.scalars(select(Student.id).where(Student.school_code == HAIKOU)))


A, B, C, D = (number(sequence=f"{n:03d}") for n in (21, 23, 25, 27))


def test_a_number_repeated_chunks_apart_is_refused_in_every_row(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    before = school_students(session)
    # A's first row is written with its chunk before the file repeats it, twice
    rows = [row(A, "王一"), row(B, "王二"), row(C, "王三"), row(A, "王一"), row(D, "王四")]
    rows.append(row(A, "王一"))
    result = run(session, clock, world, write_csv(tmp_path / "a.csv", rows))
    assert [(error.row, error.code) for error in result.errors] == [
        (2, "DUPLICATE_IN_FILE"),
        (5, "DUPLICATE_IN_FILE"),
        (7, "DUPLICATE_IN_FILE"),
    ]
    assert (result.new, result.rejected) == (3, 3)
    assert lookup(session, registry_no=A) is None
    written = school_students(session) - before
    assert {lookup(session, registry_no=n).student_id for n in (B, C, D)} == written  # type: ignore[union-attr]
    assert session.scalar(
        select(func.count()).select_from(Guardian).where(Guardian.student_id.notin_(before))
    ) == len(written)
    assert announced(session, result.import_id) == written


def test_a_number_repeated_within_one_chunk_is_refused_there_and_later(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    rows = [row(A, "王一"), row(A, "王一"), row(B, "王二"), row(A, "王一"), row(C, "王三")]
    result = run(session, clock, world, write_csv(tmp_path / "a.csv", rows))
    assert [(error.row, error.code) for error in result.errors] == [
        (2, "DUPLICATE_IN_FILE"),
        (3, "DUPLICATE_IN_FILE"),
        (5, "DUPLICATE_IN_FILE"),
    ]
    assert result.new == 2
    assert lookup(session, registry_no=A) is None
    assert lookup(session, registry_no=C) is not None


def test_registered_and_new_students_in_one_chunk_are_each_sorted_as_always(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    register(session, clock, world, registry_no=A, name="王一")
    before = school_students(session)
    rows = [row(B, "王二"), row(A, "王一", phone="13800138009"), row(C, "王三")]
    result = run(session, clock, world, write_csv(tmp_path / "a.csv", rows))
    assert (result.new, result.changed, result.unchanged, result.rejected) == (2, 0, 0, 0)
    assert [change.row for change in result.changes] == [3]  # reported, left as it was
    written = school_students(session) - before
    assert announced(session, result.import_id) == written
    assert len(written) == 2
    updated = run(session, clock, world, write_csv(tmp_path / "b.csv", rows), update=True)
    assert (updated.new, updated.changed, updated.unchanged) == (0, 1, 2)
    assert announced(session, updated.import_id) == set()


def test_a_new_class_named_first_in_a_later_chunk_is_created_once(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    rows = [
        row(A, "王一"),
        row(B, "王二"),
        *(row(n, "王三", class_name="三年级(9)班") for n in (C, D)),
    ]
    result = run(session, clock, world, write_csv(tmp_path / "a.csv", rows))
    assert result.new == 4
    c, d = (lookup(session, registry_no=n) for n in (C, D))
    assert c is not None and d is not None
    assert c.class_id == d.class_id is not None
    assert c.class_id != lookup(session, registry_no=A).class_id  # type: ignore[union-attr]


def test_staged_rows_no_student_holds_are_written_as_new_after_classification(
    session: Session,
    clock: FixedClock,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A row is staged because a student held its number when its chunk was written; if
    that student no longer holds it at classification (renumbered meanwhile), the row
    is a new student all the same, with its guardians and its event."""
    monkeypatch.setattr(
        DirectWriter, "write", lambda self, columns: list(zip(*columns, strict=True))
    )
    before = school_students(session)
    rows = [row(A, "王一", second=("林秀英", "母亲", "13800138002")), row(B, "王二")]
    result = run(session, clock, world, write_csv(tmp_path / "a.csv", rows))
    assert (result.new, result.rejected) == (2, 0)
    written = school_students(session) - before
    assert len(written) == 2
    assert announced(session, result.import_id) == written
    first = lookup(session, registry_no=A)
    assert first is not None and len(first.guardian_phone_indexes) == 2


def test_students_given_j_numbers_after_the_file_is_read_take_no_one_else_with_them(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    """J numbers are given once the whole file is read, to rows from every chunk: when
    one of them is already held, undoing that batch must take out its own rows only."""
    passport = student(2, registry_no="", document_type="A", document_no="E12345672")
    run(session, clock, world, write_national(tmp_path / "first.xlsx", [passport]))
    before = school_students(session)
    rows = [
        student(1),
        passport,  # re-imported: its J number is held, by this student
        student(3),
        student(4, registry_no="", document_type="A", document_no="E12345674"),
        student(5),
    ]
    result = run(session, clock, world, write_national(tmp_path / "all.xlsx", rows))
    assert (result.new, result.unchanged, result.rejected) == (4, 1, 0)
    written = school_students(session) - before
    assert len(written) == 4
    assert announced(session, result.import_id) == written
    for n in (1, 3, 5):
        assert lookup(session, registry_no=student(n)["registry_no"]) is not None
