"""The parts of an import that touch existing students: comparing staged rows with them,
creating the classes the file names, and applying changed rows like corrections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth.service import Principal
from xueji.db.crypto import Keyring, keyring
from xueji.domain.clock import Clock
from xueji.domain.codes import Gender
from xueji.domain.masking import mask, mask_phone
from xueji.domain.relations import relation_label
from xueji.registry import events, schools
from xueji.registry.enrollment import admission
from xueji.registry.imports.disclosure import Disclosed
from xueji.registry.imports.files import GUARDIAN_SLOTS
from xueji.registry.imports.models import ImportRow, ImportRun
from xueji.registry.imports.repository import ImportRepository
from xueji.registry.imports.schemas import FieldChange, ImportResult, RowChange
from xueji.registry.models import Guardian, Student
from xueji.registry.national import compare, members, records
from xueji.registry.repository import RegistryRepository

IMPORT_REASON = "批量导入"


@dataclass(frozen=True, slots=True)
class FileColumns:
    """What a file can change of an existing student. A file without the class columns
    (年级 and 班级) leaves the class as it is; a file speaks for as many guardians as it
    has phone columns for (``guardians_in_file``), and the student's guardians after
    those stay as they are: a file made to update phones must not take children out of
    their class or drop a guardian it has no column for."""

    has_class: bool = True
    guardians_in_file: int = len(GUARDIAN_SLOTS)

    @classmethod
    def without(cls, absent: frozenset[str]) -> FileColumns:
        given = [n for n in GUARDIAN_SLOTS if f"g{n}_phone" not in absent]
        return cls(
            has_class=not {"grade", "class_name"} & absent,
            guardians_in_file=max(given, default=1),
        )


def _staged(row: ImportRow, columns: FileColumns) -> list[tuple[str, str, bytes, bytes]]:
    """The row's guardians the file speaks for: (name, relation, phone cipher, index)."""
    staged = []
    for n in GUARDIAN_SLOTS[: columns.guardians_in_file]:
        name, relation = getattr(row, f"g{n}_name"), getattr(row, f"g{n}_relation")
        cipher, index = getattr(row, f"g{n}_phone_cipher"), getattr(row, f"g{n}_phone_index")
        if cipher is not None and index is not None and name and relation:
            staged.append((name, relation, cipher, index))
    return staged


def compare_existing(
    session: Session, import_id: int, school_code: str, columns: FileColumns, result: ImportResult
) -> None:
    """Mark each staged row of a student already at this school changed or unchanged, and
    note in ``result`` every field a changed one differs in."""
    repository = ImportRepository(session)
    pairs = repository.existing_pairs(import_id)
    if not pairs:
        return
    classes = {c.id: (c.grade, c.name) for c in RegistryRepository(session).classes_of(school_code)}
    guardians = repository.guardians_by_student([student.id for _, student in pairs])
    national = repository.national_by_student([student.id for _, student in pairs])
    changed: list[int] = []
    unchanged: list[int] = []
    for row, student in pairs:
        current = guardians.get(student.id, [])[: columns.guardians_in_file]
        fields = _differences(row, student, current, classes, columns)
        if row.record_cipher is not None and row.sensitive_cipher is not None:
            file_record = records.staged(row.record_cipher, row.sensitive_cipher)
            stored = records.stored(national.get(student.id))
            # the record's members as they are now: the guardians may have changed since
            record = members.reconciled(stored, guardians.get(student.id, []))
            fields += compare.differences(record, file_record)
        if not fields:
            unchanged.append(row.row)
            continue
        changed.append(row.row)
        result.note_change(RowChange(row.row, mask(student.registry_no), fields))
    repository.set_kind(import_id, changed, "changed")
    repository.set_kind(import_id, unchanged, "unchanged")


def _differences(
    row: ImportRow,
    student: Student,
    current: list[Guardian],
    classes: dict[int, tuple[int, str]],
    columns: FileColumns,
) -> list[FieldChange]:
    """The fields the file would change, registry value beside the file's."""
    found: list[FieldChange] = []
    if row.name != student.name:
        found.append(FieldChange("name", "姓名", student.name, row.name))
    if row.gender != student.gender:
        found.append(
            FieldChange("gender", "性别", Gender(student.gender).label, Gender(row.gender).label)
        )
    if row.birth_date != student.birth_date:
        found.append(
            FieldChange(
                "birth_date", "出生日期", student.birth_date.isoformat(), row.birth_date.isoformat()
            )
        )
    registry_class = classes.get(student.class_id or -1)
    if columns.has_class and _class_of(row) != registry_class:
        found.append(
            FieldChange("class", "班级", _class_label(registry_class), _class_label(_class_of(row)))
        )
    staged = _staged(row, columns)
    if [(name, relation, index) for name, relation, _, index in staged] != [
        (g.name, g.relation, g.phone_index) for g in current
    ]:
        ring = keyring()
        found.append(
            FieldChange(
                "guardians",
                "监护人",
                "；".join(_guardian_label(g.name, g.relation, g.phone) for g in current),
                "；".join(
                    _guardian_label(name, relation, _phone(ring, cipher))
                    for name, relation, cipher, _ in staged
                ),
            )
        )
    return found


def _class_label(school_class: tuple[int, str] | None) -> str:
    return school_class[1] if school_class and school_class[1] else "未分班"


def _guardian_label(name: str, relation: str, phone: str) -> str:
    return f"{name}（{relation_label(relation)}）{mask_phone(phone)}"


def check_admissions(session: Session, import_id: int) -> None:
    """Rejects each row to admit whose name, gender or birth date is not the registry's."""
    repository = ImportRepository(session)
    mismatched = [
        row.row
        for row, student in repository.existing_pairs(import_id, kind="admitted")
        if (row.name, row.gender, row.birth_date)
        != (student.name, student.gender, student.birth_date)
    ]
    repository.reject(import_id, mismatched, "STUDENT_DETAILS_MISMATCH")


def apply_admissions(
    session: Session,
    clock: Clock,
    principal: Principal,
    import_id: int,
    school_code: str,
    columns: FileColumns,
) -> None:
    """Each student who left another school is admitted here, one by one (see
    ``admission``), in the file's class and with the file's guardians."""
    repository, registry = ImportRepository(session), RegistryRepository(session)
    school = registry.school(school_code)
    assert school is not None
    for row, student in repository.existing_pairs(import_id, kind="admitted"):
        school_class = None
        if columns.has_class and row.grade is not None and row.class_name:
            school_class = registry.class_named(school_code, row.grade, row.class_name)
        old = registry.guardians_of(student.id)
        admission.admit(
            session,
            clock,
            principal,
            student=student,
            school=school,
            class_id=school_class.id if school_class else None,
            guardians=_guardian_rows(student.id, row, columns, old),
        )
        _store_record(session, clock, student.id, row)


def _store_record(session: Session, clock: Clock, student_id: int, row: ImportRow) -> list[str]:
    """The row's national record, if its file has one, over the student's; returns the
    columns it changed."""
    if row.record_cipher is None or row.sensitive_cipher is None:
        return []
    file_record = records.staged(row.record_cipher, row.sensitive_cipher)
    current = records.stored(records.record_of(session, student_id))
    changed = [change.field for change in compare.differences(current, file_record)]
    if changed:
        records.store(session, student_id, file_record, clock.now())
    return changed


def _class_of(row: ImportRow) -> tuple[int, str] | None:
    return (row.grade, row.class_name or "") if row.grade is not None else None


def ensure_classes(
    session: Session,
    clock: Clock,
    principal: Principal,
    import_id: int,
    school_code: str,
    *,
    update: bool,
) -> None:
    """The classes the rows to write name (an existing student's only with ``update``)."""
    registry = RegistryRepository(session)
    for grade, name in ImportRepository(session).class_pairs(import_id, changed=update):
        if registry.class_named(school_code, grade, name) is None:
            schools.create_class(
                session, clock, principal, school_code=school_code, grade=grade, name=name
            )


def apply_changed(
    session: Session, clock: Clock, principal: Principal, import_id: int, columns: FileColumns
) -> None:
    """Each changed student is corrected, audited and published one by one."""
    repository, registry = ImportRepository(session), RegistryRepository(session)
    for row, student in repository.existing_pairs(import_id, kind="changed"):
        school = registry.school(student.school_code)
        assert school is not None
        old_guardians = registry.guardians_of(student.id)
        before = events.snapshot(student, school, old_guardians)
        _update(registry, student, row, columns)
        new_guardians = _guardian_rows(student.id, row, columns, old_guardians)
        registry.replace_guardians(student.id, new_guardians)
        after = events.snapshot(student, school, new_guardians)
        changed = sorted(key for key, value in before.items() if after[key] != value)
        national = _store_record(session, clock, student.id, row)
        if national:  # named, not shown: the audit entry keeps the fields that changed
            changed.append("national_record")
            before["national_record"], after["national_record"] = "", "、".join(national)
        student.updated_at = clock.now()
        events.record_student_change(
            session,
            clock,
            principal,
            event_type=events.GUARDIANS_CHANGED
            if changed == ["guardians"]
            else events.STUDENT_CORRECTED,
            student=student,
            audit_payload={
                "before": {k: before[k] for k in changed},
                "after": {k: after[k] for k in changed},
                "reason": IMPORT_REASON,
                "import_id": import_id,
            },
            extra={"changed": changed, "import_id": import_id},
            bulk=True,
        )


def _update(
    registry: RegistryRepository, student: Student, row: ImportRow, columns: FileColumns
) -> None:
    student.name, student.gender, student.birth_date = row.name, row.gender, row.birth_date
    if not columns.has_class:
        return
    if row.grade is not None and row.class_name:
        school_class = registry.class_named(student.school_code, row.grade, row.class_name)
        student.class_id = school_class.id if school_class else None
    else:
        student.class_id = None


def _guardian_rows(
    student_id: int, row: ImportRow, columns: FileColumns, old: list[Guardian]
) -> list[Guardian]:
    """The guardians after the import: the file's, then the student's guardians the file
    does not speak for (see ``FileColumns.guardians_in_file``), as they were."""
    ring = keyring()
    staged = [
        (name, relation, _phone(ring, cipher), index)
        for name, relation, cipher, index in _staged(row, columns)
    ]
    staged += [
        (g.name, g.relation, g.phone, g.phone_index) for g in old[columns.guardians_in_file :]
    ]
    rows: list[Any] = []
    for rank, (name, relation, phone, index) in enumerate(staged, start=1):
        rows.append(
            Guardian(
                student_id=student_id,
                rank=rank,
                name=name,
                relation=relation,
                phone=phone,
                phone_index=index,
            )
        )
    return rows


def _phone(ring: Keyring, cipher: bytes) -> str:
    return ring.decrypt(cipher, purpose="guardian.phone")


def apply_import(
    session: Session,
    clock: Clock,
    principal: Principal,
    run: ImportRun,
    result: ImportResult,
    columns: FileColumns,
    seen: Disclosed,
    *,
    update: bool,
) -> None:
    """Write a checked import: its classes, new students set-wise, admitted students one
    by one, existing students whose values differ only with ``update`` (one by one, each
    a correction with the import as its reason), the run's counts and one summary audit
    entry; then drop the staging table."""
    repository = ImportRepository(session)
    now = clock.now()
    ensure_classes(session, clock, principal, run.id, run.school_code, update=update)
    repository.insert_new(run.id, run.school_code, now)
    if update:
        apply_changed(session, clock, principal, run.id, columns)
    apply_admissions(session, clock, principal, run.id, run.school_code, columns)
    run.new, run.changed = result.new, result.changed
    run.unchanged, run.rejected = result.unchanged, result.rejected
    audit.record(
        session,
        clock,
        events.actor_of(principal),
        action="registry.imported",
        subject=f"import:{run.id}",
        school_code=run.school_code,
        payload={
            "file": run.filename,
            "sha256": run.sha256,
            **result.counts(),
            "differs": result.differs,
            "update": update,
            **seen.audit_payload(),
        },
    )
    repository.drop_staging()
