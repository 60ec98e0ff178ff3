"""The national record: the national layout imported and exported, code sets, J numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.integration.test_import import run
from tests.national_files import HEADERS, every_case, read_cells, student, write_national
from tests.registry_world import HAIKOU, World, build_world
from xueji.audit.models import AuditEntry
from xueji.domain.clock import FixedClock, china_today
from xueji.domain.errors import Forbidden, NotFound
from xueji.domain.identity import parse_number
from xueji.registry.models import Guardian, Student
from xueji.registry.national.export import export_school


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


def test_every_code_set_case_round_trips(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    rows = every_case()
    result = run(session, clock, world, write_national(tmp_path / "national.xlsx", rows))
    assert [e.message for e in result.errors] == []
    assert result.new == len(rows)
    exported = read_cells(export_school(session, clock, world.haikou_admin, HAIKOU))
    original = read_cells(tmp_path / "national.xlsx")
    assert exported[0] == HEADERS
    by_name = {row[1]: row for row in exported[1:]}
    for row in original[1:]:
        got = by_name[row[1]]
        if row[0] is None:  # given a J number
            number = parse_number(str(got[0]), today=china_today(clock))
            assert number.prefix == "J" and number.region_code == "440604"
            row = [got[0], *row[1:]]
        assert got == row
    again = write_national(tmp_path / "again.xlsx", [])
    (tmp_path / "again.xlsx").write_bytes(export_school(session, clock, world.haikou_admin, HAIKOU))
    second = run(session, clock, world, again)
    assert (second.new, second.unchanged, second.rejected) == (0, len(rows), 0)
    assert read_cells(export_school(session, clock, world.haikou_admin, HAIKOU)) == exported


def test_labels_are_accepted_and_codes_are_stored(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    typed = student(
        1,
        ethnicity="蒙古族",
        nationality="中国",
        document_type="居民身份证",
        health="健康或良好",
        hukou_type="农业户口",
        admission_mode="就近入学",
        study_mode="住校",
        political="少先队员",
        m1_relation="爸爸",
        m1_guardian="是",
        m2_guardian="否",
        admission_month="2023-09",
    )
    result = run(session, clock, world, write_national(tmp_path / "labels.xlsx", [typed]))
    assert result.errors == [] and result.new == 1
    exported = read_cells(export_school(session, clock, world.haikou_admin, HAIKOU))
    row = dict(zip(HEADERS, exported[1], strict=True))
    assert (row["民族"], row["国籍/地区"], row["身份证件类型"], row["健康状况"]) == (
        "02",
        "CHN",
        "1",
        "1",
    )
    assert (row["户口性质"], row["就读方式"], row["政治面貌"], row["入学年月"]) == (
        "1",
        "2",
        "14",
        "202309",
    )
    assert (row["成员1关系"], row["成员1是否监护人"], row["成员2是否监护人"]) == ("51", "1", "0")


@pytest.mark.parametrize(
    ("column", "value", "code", "named"),
    [
        ("ethnicity", "火星族", "ETHNICITY_INVALID", "民族"),
        ("nationality", "XYZ", "NATIONALITY_INVALID", "国籍/地区"),
        ("document_type", "5", "DOCUMENT_TYPE_INVALID", "身份证件类型"),
        ("overseas", "G", "OVERSEAS_INVALID", "港澳台侨外"),
        ("health", "很好", "HEALTH_INVALID", "健康状况"),
        ("hukou_type", "城镇", "HUKOU_TYPE_INVALID", "户口性质"),
        ("admission_mode", "保送", "ADMISSION_MODE_INVALID", "入学方式"),
        ("study_mode", "网课", "STUDY_MODE_INVALID", "就读方式"),
        ("disability", "8", "DISABILITY_INVALID", "残疾类型"),
        ("political", "党员", "POLITICAL_INVALID", "政治面貌"),
        ("m1_relation", "邻居", "MEMBER1_RELATION_INVALID", "成员1关系"),
        ("birthplace", "999999", "BIRTHPLACE_INVALID", "出生地"),
        ("admission_month", "2023-13", "ADMISSION_MONTH_INVALID", "入学年月"),
        ("health", "", "HEALTH_REQUIRED", "健康状况"),
        ("preschool", "", "PRESCHOOL_REQUIRED", "是否受过学前教育"),
        ("m2_guardian", "", "MEMBER2_GUARDIAN_REQUIRED", "成员2是否监护人"),
        ("postcode", "52800", "POSTCODE_INVALID", "邮政编码"),
        ("address", "祖庙路\t1号", "ADDRESS_INVALID", "现住址"),
        ("document_no", "", "DOCUMENT_NO_REQUIRED", "身份证件号"),
        ("m1_document_no", "440604198001010110", "MEMBER1_DOCUMENT_NO_INVALID", "成员1身份证件号"),
        ("m1_guardian", "否", "GUARDIAN_MEMBER_REQUIRED", "是否监护人"),
    ],
)
def test_a_value_in_no_code_set_is_rejected_naming_the_field(
    session: Session,
    clock: FixedClock,
    world: World,
    tmp_path: Path,
    column: str,
    value: str,
    code: str,
    named: str,
) -> None:
    rows = [student(1), student(2, **{column: value})]
    result = run(session, clock, world, write_national(tmp_path / "bad.xlsx", rows))
    assert [(e.row, e.code) for e in result.errors] == [(3, code)]
    assert named in result.errors[0].message
    assert result.new == 1


def test_a_stage_requires_only_its_fields(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    """是否受过学前教育 is the primary school's; 是否享受一补 compulsory education's."""
    senior = student(
        1, grade="10", class_name="高一(1)班", preschool="", one_subsidy="", inclusive=""
    )
    result = run(session, clock, world, write_national(tmp_path / "senior.xlsx", [senior]))
    assert result.errors == [] and result.new == 1


@pytest.mark.parametrize(
    ("kind", "document", "valid"),
    [
        ("6", "H1234567", False),
        ("6", "M12345678", False),
        # a Hong Kong identity card, its check character in brackets or not
        ("6", "A123456(3)", True),
        ("6", "a123456（3）", True),
        ("6", "AB9876543", True),
        ("6", "A123456(4)", False),
        ("6", "Z6830020", False),
        ("6", "K12345678", True),  # an HKSAR passport
        ("7", "M1234567801", True),
        ("7", "1234567(8)", True),  # a Macau identity card
        ("7", "2234567(8)", False),
        ("8", "1234567", False),
        ("8", "1234567890", True),
        ("A", "E1", False),
        ("A", "EA1234567", True),
    ],
)
def test_documents_are_checked_by_their_type(
    session: Session,
    clock: FixedClock,
    world: World,
    tmp_path: Path,
    kind: str,
    document: str,
    valid: bool,
) -> None:
    row = student(1, registry_no="", document_type=kind, document_no=document)
    result = run(session, clock, world, write_national(tmp_path / "doc.xlsx", [row]))
    assert [e.code for e in result.errors] == ([] if valid else ["DOCUMENT_NO_INVALID"])


def test_a_resident_id_must_agree_with_the_record(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    other = student(2)["document_no"]
    rows = [
        student(1, document_no=other),
        student(3, registry_no="", birth_date="2016-02-12"),
        student(5, registry_no="", gender="2"),
    ]
    result = run(session, clock, world, write_national(tmp_path / "id.xlsx", rows))
    assert [(e.row, e.code) for e in result.errors] == [
        (2, "DOCUMENT_NO_MISMATCH"),
        (3, "BIRTH_DATE_MISMATCH"),
        (4, "GENDER_MISMATCH"),
    ]


def test_a_student_without_a_resident_id_keeps_their_j_number_on_reimport(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    passport = student(1, registry_no="", document_type="A", document_no="E12345678")
    path = write_national(tmp_path / "j.xlsx", [passport])
    assert run(session, clock, world, path).new == 1
    again = run(session, clock, world, path)
    assert (again.new, again.unchanged) == (0, 1)
    assert session.scalar(select(func.count()).select_from(Student)) == 1
    twice = [passport, student(2, registry_no="", document_type="A", document_no="E12345678")]
    twice[1]["name"] = "学生二"
    result = run(session, clock, world, write_national(tmp_path / "twice.xlsx", twice))
    assert [(e.row, e.code) for e in result.errors] == [
        (2, "DOCUMENT_IN_FILE_TWICE"),
        (3, "DOCUMENT_IN_FILE_TWICE"),
    ]


def test_j_numbers_are_unique_per_area_and_birth_date(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    rows = [
        student(n, registry_no="", document_type="A", document_no=f"E1234567{n}")
        for n in range(1, 4)
    ]
    run(session, clock, world, write_national(tmp_path / "three.xlsx", rows))
    numbers = sorted(s.registry_no for s in session.scalars(select(Student)))
    assert [n[:15] for n in numbers] == ["J44060420160211"] * 3
    assert [n[15:18] for n in numbers] == ["001", "002", "003"]


def test_a_changed_field_is_reported_then_applied_with_update_and_audited(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    run(session, clock, world, write_national(tmp_path / "first.xlsx", [student(1)]))
    changed = student(1, ethnicity="03", orphan="1", m1_phone="13900139001")
    path = write_national(tmp_path / "changed.xlsx", [changed])
    report = run(session, clock, world, path)
    fields = {c.field: (c.current, c.file) for c in report.changes[0].fields}
    assert fields["ethnicity"] == ("汉族", "回族")
    assert fields["orphan"] == ("（敏感信息，不显示）", "（敏感信息，不显示）")
    assert "guardians" in fields
    applied = run(session, clock, world, path, update=True)
    assert applied.changed == 1
    exported = read_cells(export_school(session, clock, world.haikou_admin, HAIKOU))
    row = dict(zip(HEADERS, exported[1], strict=True))
    assert (row["民族"], row["是否孤儿"], row["成员1联系电话"]) == ("03", "1", "13900139001")
    phones = [g.phone for g in session.scalars(select(Guardian))]
    assert phones == ["13900139001"]
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "student.corrected")
    ).all()
    assert entry


def test_the_export_is_the_schools_own_and_audited(
    session: Session, clock: FixedClock, world: World
) -> None:
    with pytest.raises(NotFound):  # as for a school that does not exist
        export_school(session, clock, world.huajing_admin, HAIKOU)
    with pytest.raises(Forbidden):
        export_school(session, clock, world.haikou_teacher, HAIKOU)
    export_school(session, clock, world.haikou_admin, HAIKOU)
    assert session.scalar(select(func.count()).where(AuditEntry.action == "registry.exported")) == 1
