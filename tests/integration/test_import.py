"""Bulk import on both databases: all or nothing, row reasons, re-import, encodings."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from tests.import_files_helper import row, write_csv, write_xlsx
from tests.registry_world import HAIKOU, HUAJING, World, build_world, number, register
from xueji.audit import service as audit
from xueji.audit.models import AuditEntry
from xueji.db.crypto import phone_index
from xueji.domain.clock import FixedClock
from xueji.domain.enrollment import ChangeKind
from xueji.domain.errors import ValidationFailed
from xueji.registry import service
from xueji.registry.enrollment import service as enrollment
from xueji.registry.imports import helpers as import_helpers
from xueji.registry.imports.files import TEMPLATE_HEADERS
from xueji.registry.imports.models import ImportRun
from xueji.registry.imports.schemas import ImportResult
from xueji.registry.imports.service import run_import
from xueji.registry.lookup import lookup
from xueji.registry.models import Guardian, SchoolClass, Student
from xueji.registry.validation import GuardianFacts
from xueji.sync import outbox
from xueji.sync.models import BULK, OutboxEvent


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


def run(
    session: Session,
    clock: FixedClock,
    world: World,
    path: Path,
    dry_run: bool = False,
    *,
    update: bool = False,
) -> ImportResult:
    return run_import(
        session,
        clock,
        world.haikou_admin,
        school_code=HAIKOU,
        path=path,
        filename=path.name,
        dry_run=dry_run,
        update=update,
    )


def state(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Student, Guardian, OutboxEvent, AuditEntry, SchoolClass, ImportRun)
    )


GOOD = [
    row(number(), "陈小明", second=("林秀英", "母亲", "13800138002")),
    row(
        number(sequence="002"),
        "李华",
        gender="女",
        birth="2016/2/11",
        grade="四年级",
        class_name="四年级(2)班",
        phone="+86 139-0013-9001",
    ),
    row(number(sequence="013"), "阿卜杜.艾力", birth="20160211", grade="", class_name=""),
]


def test_dry_run_counts_and_changes_nothing(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    students, guardians, events, entries, classes, runs = state(session)
    result = run(session, clock, world, write_csv(tmp_path / "a.csv", GOOD), dry_run=True)
    assert (result.new, result.changed, result.unchanged, result.rejected) == (3, 0, 0, 0)
    # nothing but the audit entry of the check itself (test_import_disclosure)
    assert state(session) == (students, guardians, events, entries + 1, classes, runs)


def test_commit_applies_every_accepted_row_once(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", GOOD)
    result = run(session, clock, world, path)
    assert (result.new, result.rejected) == (3, 0)
    record = lookup(session, registry_no=number())
    assert record is not None and record.name == "陈小明" and record.status == "enrolled"
    assert len(record.guardian_phone_indexes) == 2
    minority = lookup(session, registry_no=number(sequence="013"))
    assert minority is not None and minority.name == "阿卜杜·艾力" and minority.class_id is None
    li = lookup(session, registry_no=number(sequence="002"))
    assert li is not None and li.class_id is not None
    grade_four = session.get(SchoolClass, li.class_id)
    assert grade_four is not None and (grade_four.grade, grade_four.name) == (4, "四年级(2)班")
    assert li.guardian_phone_indexes == (phone_index("13900139001"),)
    [event] = outbox.events_of(session, record.student_id)
    assert (event.event_type, event.sequence, event.payload, event.lane) == (
        "students.imported",
        1,
        {"import_id": result.import_id},
        BULK,
    )
    new_ids = {record.student_id, minority.student_id, li.student_id}
    assert (event.student_id, event.last_student_id) == (min(new_ids), max(new_ids))
    assert not inspect(session.connection()).has_table("import_rows")
    assert audit.verify(session).ok
    again = run(session, clock, world, path)
    assert (again.new, again.changed, again.unchanged, again.rejected) == (0, 0, 3, 0)
    assert len(outbox.events_of(session, record.student_id)) == 1


def test_changed_row_is_a_correction(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    register(session, clock, world, name="陈晓明")
    result = run(session, clock, world, write_csv(tmp_path / "a.csv", GOOD[:1]), update=True)
    assert (result.new, result.changed, result.differs) == (0, 1, 1)
    located = service.locate(session, clock, world.haikou_admin, number())
    assert located.student.name == "陈小明" and len(located.guardians) == 2
    last = outbox.events_of(session, located.student.id)[-1]
    assert last.event_type == "student.corrected"
    assert last.payload == {"changed": ["guardians", "name"], "import_id": result.import_id}
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "student.corrected")
    ).one()
    payload = audit.read_payload(entry)
    assert payload["before"]["name"] == "陈晓明" and payload["after"]["name"] == "陈小明"
    assert payload["reason"] == "批量导入"


def test_a_reimport_never_undoes_a_correction_and_says_what_differs(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    """The walk of a clerk: import 马 沐阳, correct the name by hand, import the same file
    again — the correction stays; the check says which student and field differ."""
    path = write_csv(tmp_path / "class.csv", [row(number(), "马 沐阳", phone="13800138009")])
    assert run(session, clock, world, path).new == 1
    service.correct_student(
        session, clock, world.haikou_admin, registry_no=number(),
        changes={"name": "马沐阳"}, reason="按户口簿更正",
    )  # fmt: skip
    before = outbox.events_of(session, student_id(session))
    for dry_run in (True, False):
        again = run(session, clock, world, path, dry_run)
        assert (again.new, again.changed, again.unchanged, again.differs) == (0, 0, 0, 1)
        [change] = again.as_dict()["changes"]  # type: ignore[misc]
        assert change == {
            "row": 2,
            "registry_no": "G4406**********0014",
            "fields": [{"field": "name", "label": "姓名", "current": "马沐阳", "file": "马 沐阳"}],
        }
    record = lookup(session, registry_no=number())
    assert record is not None and record.name == "马沐阳"
    assert outbox.events_of(session, student_id(session)) == before
    updated = run(session, clock, world, path, update=True)
    assert (updated.changed, updated.differs) == (1, 1)
    record = lookup(session, registry_no=number())
    assert record is not None and record.name == "马 沐阳"


def test_differing_guardian_phones_are_reported_masked(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    register(session, clock, world)
    path = write_csv(tmp_path / "p.csv", [row(number(), "陈小明", phone="13700137001")])
    [change] = run(session, clock, world, path, dry_run=True).changes
    [guardians] = change.fields
    assert guardians.field == "guardians"
    assert (guardians.current, guardians.file) == (
        "陈大明（父亲）138****8001",
        "陈大明（父亲）137****7001",
    )
    assert "13700137001" not in str(change.as_dict())


def student_id(session: Session) -> int:
    record = lookup(session, registry_no=number())
    assert record is not None
    return record.student_id


def test_a_file_without_the_optional_columns_leaves_class_and_second_guardian_alone(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    run(session, clock, world, write_csv(tmp_path / "full.csv", GOOD[:1]))
    before = lookup(session, registry_no=number())
    assert before is not None and before.class_id is not None
    required = ["学籍号", "姓名", "性别", "出生日期", "监护人姓名", "监护人关系", "监护人电话"]
    new_phone = [number(), "陈小明", "男", "2016-02-11", "陈大明", "父亲", "13700137001"]
    path = tmp_path / "phones.csv"
    path.write_text(",".join(required) + "\n" + ",".join(new_phone) + "\n", encoding="utf-8")
    result = run(session, clock, world, path, update=True)
    assert (result.new, result.changed, result.unchanged) == (0, 1, 0)
    after = lookup(session, registry_no=number())
    assert after is not None and after.class_id == before.class_id
    assert after.guardian_phone_indexes == (
        phone_index("13700137001"),
        phone_index("13800138002"),
    )
    last = outbox.events_of(session, after.student_id)[-1]
    assert last.payload["changed"] == ["guardians"]
    again = run(session, clock, world, path, update=True)
    assert (again.changed, again.unchanged) == (0, 1)
    emptied = write_csv(
        tmp_path / "emptied.csv", [row(number(), "陈小明", grade="", class_name="")]
    )
    assert run(session, clock, world, emptied, update=True).changed == 1
    cleared = lookup(session, registry_no=number())
    assert cleared is not None and cleared.class_id is None
    assert len(cleared.guardian_phone_indexes) == 1, "empty cells of present columns do clear"


BAD = [
    (row("G445222202508211234", "错号", birth="2025-08-21"), "ID_CHECKSUM"),
    (row(number(sequence="021"), "张3"), "NAME_INVALID"),
    (row(number(sequence="031"), "张三", gender="未知"), "GENDER_INVALID"),
    (row(number(sequence="041"), "张三", birth="2016-13-01"), "BIRTH_DATE_INVALID"),
    (row(number(sequence="051"), "张三", birth="2016-02-12"), "BIRTH_DATE_MISMATCH"),
    (row(number(sequence="062"), "张三"), "GENDER_MISMATCH"),
    (row(number(sequence="071"), "张三", grade="13"), "CLASS_INVALID"),
    (row(number(sequence="081"), "张三", guardian="", relation="", phone=""), "GUARDIAN_REQUIRED"),
    (row(number(sequence="091"), "张三", relation="表哥"), "RELATION_INVALID"),
    (row(number(sequence="101"), "张三", phone="1380013800"), "PHONE_INVALID"),
    (
        row(number(sequence="111"), "张三", second=("王", "母亲", "12345")),
        "GUARDIAN2_PHONE_INVALID",
    ),
]


@pytest.mark.parametrize(("values", "code"), BAD, ids=[code for _, code in BAD])
def test_each_rejected_row_has_its_reason_and_never_applies(
    session: Session,
    clock: FixedClock,
    world: World,
    tmp_path: Path,
    values: list[str],
    code: str,
) -> None:
    path = write_csv(tmp_path / "a.csv", [GOOD[0], values])
    result = run(session, clock, world, path)
    assert (result.new, result.rejected) == (1, 1)
    [error] = result.errors
    assert (error.row, error.code) == (3, code)
    assert error.message and "_" not in error.message
    assert session.scalar(select(func.count()).select_from(Student)) == 1


def test_duplicates_in_the_file_and_students_of_other_schools(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    elsewhere = number("440106", "20160415", "046")
    register(
        session,
        clock,
        world,
        registry_no=elsewhere,
        name="黄𠮷",
        school=HUAJING,
        admin=world.huajing_admin,
    )
    rows = [GOOD[0], GOOD[0], row(elsewhere, "黄𠮷", gender="女", birth="2016-04-15"), GOOD[1]]
    result = run(session, clock, world, write_csv(tmp_path / "a.csv", rows))
    assert [(e.row, e.code) for e in result.errors] == [
        (2, "DUPLICATE_IN_FILE"),
        (3, "DUPLICATE_IN_FILE"),
        (4, "STUDENT_AT_OTHER_SCHOOL"),
    ]
    assert (result.new, result.rejected) == (1, 3)
    assert lookup(session, registry_no=number()) is None
    assert lookup(session, registry_no=elsewhere).school_code == HUAJING  # type: ignore[union-attr]


def test_blank_rows_are_skipped_not_rejected(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    blank = ["", " ", "\u3000", *[""] * 9]
    nameless = row(number(sequence="015"), " ")  # not blank: only its name is
    path = write_csv(tmp_path / "a.csv", [GOOD[0], [""], blank, GOOD[1], nameless])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\r\n,,,,,,,,,,,,\n")
    result = run(session, clock, world, path)
    assert (result.new, result.rejected) == (2, 1)
    assert [error.row for error in result.errors] == [6]
    rows: list[list[object]] = [[None] * 12, [number(sequence="013"), "王五", "男", "2016-02-11"]]
    xlsx = run(session, clock, world, write_xlsx(tmp_path / "a.xlsx", rows))
    assert [(e.row, e.code) for e in xlsx.errors] == [(3, "GUARDIAN_REQUIRED")]


def test_a_phone_written_with_the_country_code_and_no_plus_imports(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", [row(number(), "陈小明", phone="86 138 0013 8001")])
    assert run(session, clock, world, path).new == 1
    [guardian] = session.scalars(select(Guardian)).all()
    assert guardian.phone == "13800138001"


def test_leavers_of_another_school_are_admitted_by_import(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    """小升初: the middle school imports its new intake, graduates of other schools."""
    for sequence, name in (("046", "黄小东"), ("056", "黄小西")):
        registry_no = number("440106", "20160415", sequence)
        register(
            session,
            clock,
            world,
            registry_no=registry_no,
            name=name,
            school=HUAJING,
            admin=world.huajing_admin,
        )
        enrollment.change_enrollment(
            session,
            clock,
            world.huajing_admin,
            registry_no=registry_no,
            kind=ChangeKind.GRADUATE,
            reason="小学毕业",
        )
    rows = [
        row(number("440106", "20160415", "046"), "黄小东", gender="女", birth="2016-04-15"),
        row(number("440106", "20160415", "056"), "黄小南", gender="女", birth="2016-04-15"),
    ]
    path = write_csv(tmp_path / "intake.csv", rows)
    dry = run(session, clock, world, path, dry_run=True)
    assert (dry.new, dry.rejected) == (1, 1)
    result = run(session, clock, world, path)
    assert (result.new, result.changed, result.rejected) == (1, 0, 1)
    assert [(e.row, e.code) for e in result.errors] == [(3, "STUDENT_DETAILS_MISMATCH")]
    moved = lookup(session, registry_no=number("440106", "20160415", "046"))
    assert moved is not None and (moved.school_code, moved.status) == (HAIKOU, "enrolled")
    assert moved.class_id is not None and moved.region_code == "440604"
    assert outbox.events_of(session, moved.student_id)[-1].event_type == "student.admitted"
    stayed = lookup(session, registry_no=number("440106", "20160415", "056"))
    assert stayed is not None and (stayed.school_code, stayed.status) == (HUAJING, "graduated")
    again = run(session, clock, world, path)
    assert (again.new, again.unchanged, again.rejected) == (0, 1, 1)
    assert audit.verify(session).ok


def register_with_three_guardians(session: Session, clock: FixedClock, world: World) -> None:
    """陈小明 with a father, a mother and a grandfather (the third no two-guardian file holds)."""
    register(session, clock, world)
    three = [
        GuardianFacts("陈大明", "51", "13800138001"),
        GuardianFacts("林秀英", "52", "13800138002"),
        GuardianFacts("陈老三", "61", "13800138003"),
    ]
    service.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        changes={"guardians": three},
        reason="补录",
    )


def test_a_guardian_the_file_has_no_column_for_is_kept(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    register_with_three_guardians(session, clock, world)
    same = row(number(), "陈小明", second=("林秀英", "母亲", "13800138002"))
    assert run(session, clock, world, write_csv(tmp_path / "same.csv", [same])).unchanged == 1
    moved = row(number(), "陈小明", phone="13700137001", second=("林秀英", "母亲", "13800138002"))
    moving = write_csv(tmp_path / "new.csv", [moved])
    assert run(session, clock, world, moving, update=True).changed == 1
    record = lookup(session, registry_no=number())
    assert record is not None and record.guardian_phone_indexes == tuple(
        phone_index(phone) for phone in ("13700137001", "13800138002", "13800138003")
    )


def test_a_class_typed_with_full_width_brackets_is_the_existing_class(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    classes = session.scalar(select(func.count()).select_from(SchoolClass))
    path = write_csv(tmp_path / "a.csv", [row(number(), "陈小明", class_name="三年级 （１）班")])
    assert run(session, clock, world, path).new == 1
    record = lookup(session, registry_no=number())
    assert record is not None and record.class_id == world.class_id
    assert session.scalar(select(func.count()).select_from(SchoolClass)) == classes


def test_gb18030_csv_keeps_the_middle_dot(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "gb.csv", [row(number(), "阿卜杜·艾力")], encoding="gb18030")
    assert "·".encode("gb18030") == b"\xa1\xa4"
    assert run(session, clock, world, path).new == 1
    record = lookup(session, registry_no=number())
    assert record is not None and record.name == "阿卜杜·艾力"


def test_utf8_bom_csv(session: Session, clock: FixedClock, world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bom.csv", GOOD, encoding="utf-8-sig")
    assert run(session, clock, world, path).new == 3


def test_xlsx_with_excel_dates_and_numbers(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    rows: list[list[object]] = [
        [
            number(),
            "陈小明",
            1,
            dt.date(2016, 2, 11),
            3,
            "三年级(1)班",
            "陈大明",
            "父亲",
            13800138001,
        ]
    ]
    result = run(session, clock, world, write_xlsx(tmp_path / "a.xlsx", rows))
    assert (result.new, result.rejected) == (1, 0), result.errors
    record = lookup(session, registry_no=number())
    assert record is not None and record.birth_date == dt.date(2016, 2, 11)


def assert_missing_column_refused(
    session: Session, clock: FixedClock, world: World, path: Path
) -> None:
    """A file without the required columns is refused with its code and changes nothing."""
    path.write_text("学籍号,姓名\nG1,张三\n", encoding="utf-8")
    before = state(session)
    with pytest.raises(ValidationFailed, match="缺少必需的列") as caught:
        run(session, clock, world, path)
    assert caught.value.code == "IMPORT_HEADER_MISSING"
    assert state(session) == before


def test_missing_column_refuses_the_file(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    assert_missing_column_refused(session, clock, world, tmp_path / "a.csv")


def test_failure_half_way_leaves_the_registry_as_it_was(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    before = state(session)
    path = write_csv(tmp_path / "a.csv", GOOD)

    def die(rows: int) -> None:
        raise RuntimeError("process died")

    with pytest.raises(RuntimeError):
        run_import(
            session,
            clock,
            world.haikou_admin,
            school_code=HAIKOU,
            path=path,
            filename="a.csv",
            dry_run=False,
            progress=die,
        )
    assert state(session) == before


def test_only_the_schools_own_administrator_imports(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", GOOD)
    with pytest.raises(Exception) as caught:
        run_import(
            session,
            clock,
            world.huajing_admin,
            school_code=HAIKOU,
            path=path,
            filename="a.csv",
            dry_run=True,
        )
    assert getattr(caught.value, "code", None) == "NOT_FOUND"


def _children_started(
    monkeypatch: pytest.MonkeyPatch, *, kill_at_once: bool = False
) -> list[subprocess.Popen[bytes]]:
    """Every file is prepared by two helper processes, in chunks of two rows; returns the
    helpers as they start (each killed at once if asked)."""
    monkeypatch.setattr(import_helpers, "HELPER_MIN_BYTES", 0)
    monkeypatch.setattr(import_helpers, "HELPERS", 2)
    monkeypatch.setattr(import_helpers, "CHUNK_ROWS", 2)
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(real_popen(*args, **kwargs))
        if kill_at_once:
            started[-1].send_signal(signal.SIGKILL)
        return started[-1]

    monkeypatch.setattr(import_helpers.subprocess, "Popen", recording_popen)
    return started


def test_a_large_file_prepared_by_helper_processes_imports_the_same(
    session: Session,
    clock: FixedClock,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    more = [row(number(sequence=f"{n:03d}"), "张华") for n in range(21, 35, 2)]
    rows = [*GOOD, row("G123", "王五"), GOOD[0], *more]  # 12 rows: 6 chunks
    path = write_csv(tmp_path / "a.csv", rows)
    here = run(session, clock, world, path, dry_run=True)
    started = _children_started(monkeypatch)
    there = run(session, clock, world, path)
    assert there.as_dict() == here.as_dict()
    assert (there.new, there.rejected) == (9, 3)
    assert [(error.row, error.code) for error in there.errors] == [
        (2, "DUPLICATE_IN_FILE"),
        (5, "ID_LENGTH"),
        (6, "DUPLICATE_IN_FILE"),
    ]
    assert [child.returncode for child in started] == [0, 0]
    assert lookup(session, registry_no=number(sequence="002")) is not None
    assert_missing_column_refused(session, clock, world, path)  # refused from a helper


def test_a_helper_process_killed_half_way_fails_the_import_and_changes_nothing(
    session: Session,
    clock: FixedClock,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_csv(tmp_path / "a.csv", GOOD)
    _children_started(monkeypatch, kill_at_once=True)
    before = state(session)
    with pytest.raises(RuntimeError, match="预处理进程意外退出"):
        run(session, clock, world, path)
    assert state(session) == before


def test_a_file_with_four_guardians_imports_them_all_and_checks_each(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    third, fourth = ("陈爷爷", "祖父", "13800138003"), ("林外婆", "外祖母", "13800138004")
    four = [*row(number(), "陈小明", second=("林秀英", "母亲", "13800138002")), *third, *fourth]
    bad = [*row(number(sequence="021"), "张三"), *third, "王", "姑母", "12345"]
    path = write_csv(tmp_path / "four.csv", [four, bad], headers=TEMPLATE_HEADERS)
    result = run(session, clock, world, path)
    assert (result.new, result.rejected) == (1, 1)
    [error] = result.errors
    assert error.code == "GUARDIAN4_PHONE_INVALID" and error.message.startswith("第四监护人")
    record = lookup(session, registry_no=number())
    phones = ("13800138001", "13800138002", "13800138003", "13800138004")
    assert record is not None
    assert record.guardian_phone_indexes == tuple(phone_index(p) for p in phones)
    assert run(session, clock, world, path).unchanged == 1


def test_a_space_inside_a_chinese_name_is_imported_with_a_note_to_check_it(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    rows = [row(number(), "马 沐阳"), row(number(sequence="022"), "Anna Lee", gender="女")]
    result = run(session, clock, world, write_csv(tmp_path / "a.csv", rows))
    assert (result.new, result.rejected) == (2, 0)
    [note] = result.warnings
    assert note.row == 2 and "马 沐阳" in note.message and "汉字之间有空格" in note.message
    assert result.as_dict()["warnings"] == [{"row": 2, "message": note.message}]
    record = lookup(session, registry_no=number())
    assert record is not None and record.name == "马 沐阳"  # as typed: the clerk decides


def test_the_templates_empty_third_and_fourth_guardian_columns_take_no_one_away(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    register_with_three_guardians(session, clock, world)
    filled_two = [*row(number(), "陈小明", second=("林秀英", "母亲", "13800138002")), *[""] * 6]
    path = write_csv(tmp_path / "template.csv", [filled_two], headers=TEMPLATE_HEADERS)
    assert run(session, clock, world, path, update=True).unchanged == 1
    record = lookup(session, registry_no=number())
    assert record is not None and len(record.guardian_phone_indexes) == 3
