"""All SQL of bulk imports: staging checked rows, classifying them against the registry,
and applying the new ones set-wise (INSERT … SELECT) inside the import's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Table,
    and_,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)

from xueji.db.bulk import bulk_insert
from xueji.db.repository import Repository
from xueji.domain.enrollment import LEFT
from xueji.registry.imports.files import GUARDIAN_SLOTS
from xueji.registry.imports.models import ImportReport, ImportRow
from xueji.registry.models import Guardian, SchoolClass, Student
from xueji.registry.national.models import NationalRecord, RegistryNoChange
from xueji.sync import outbox

R = ImportRow
#: A staged row is new when nothing rejected it and it matched no existing student
#: (those get kind changed/unchanged). Not written as an UPDATE of every row: SQLite
#: would hold all of them in memory for a ten-million-row file.
NEW = and_(R.code.is_(None), R.kind.is_(None))
STAGING: Table = ImportRow.__table__  # type: ignore[assignment]


class ImportRepository(Repository):
    def mark_duplicates(self, import_id: int) -> None:
        repeated = (
            select(R.registry_index)
            .where(R.import_id == import_id)
            .group_by(R.registry_index)
            .having(func.count() > 1)
        )
        self.session.execute(
            update(R)
            .where(R.import_id == import_id, R.registry_index.in_(repeated))
            .values(code="DUPLICATE_IN_FILE")
        )

    def mark_retired(self, import_id: int) -> None:
        """Rows with a number given up for a resident ID: it is never given again."""
        self.session.execute(
            update(R)
            .where(
                R.import_id == import_id,
                R.code.is_(None),
                R.registry_index.in_(select(RegistryNoChange.old_index)),
            )
            .values(code="REGISTRY_NO_CHANGED")
        )

    def mark_graduated_class(self, import_id: int, school_code: str) -> None:
        """Rows that name a class which graduated (学年升级): it takes no one new, so the
        row is refused — unless its student is in that class already (the school's own
        roster read back in)."""
        graduated = select(SchoolClass.id).where(
            SchoolClass.school_code == school_code,
            SchoolClass.graduated_in.is_not(None),
            SchoolClass.grade == R.grade,
            SchoolClass.name == R.class_name,
        )
        already_there = (
            select(Student.id)
            .where(
                Student.registry_no_index == R.registry_index,
                Student.class_id.in_(graduated.scalar_subquery()),
            )
            .exists()
        )
        self.session.execute(
            update(R)
            .where(
                R.import_id == import_id,
                R.code.is_(None),
                graduated.exists(),
                ~already_there,
            )
            .values(code="CLASS_GRADUATED")
        )

    def mark_other_school(self, import_id: int, school_code: str) -> None:
        """Rows of students at another school: those still there need a transfer; those
        who graduated or withdrew from it are to be admitted (kind ``admitted``)."""
        left = Student.status.in_(sorted(LEFT))
        self._mark_elsewhere(import_id, school_code, ~left, code="STUDENT_AT_OTHER_SCHOOL")
        self._mark_elsewhere(import_id, school_code, left, kind="admitted")

    def _mark_elsewhere(self, import_id: int, school_code: str, status: Any, **values: str) -> None:
        """Sets ``values`` on the unrejected rows of students at another school whose
        status matches ``status``."""
        elsewhere = select(Student.registry_no_index).where(
            Student.school_code != school_code, status
        )
        self.session.execute(
            update(R)
            .where(R.import_id == import_id, R.code.is_(None), R.registry_index.in_(elsewhere))
            .values(**values)
        )

    def reject(self, import_id: int, rows: list[int], code: str) -> None:
        self._set(import_id, rows, code=code)

    def count_kinds(self, import_id: int) -> dict[str | None, int]:
        """Accepted rows by kind (None: not yet classified)."""
        rows = self.session.execute(
            select(R.kind, func.count())
            .where(R.import_id == import_id, R.code.is_(None))
            .group_by(R.kind)
        )
        return {kind: count for kind, count in rows}

    def rejected(self, import_id: int) -> list[tuple[int, str]]:
        return [
            (row, str(code))
            for row, code in self.session.execute(
                select(R.row, R.code)
                .where(R.import_id == import_id, R.code.is_not(None))
                .order_by(R.row)
            )
        ]

    def existing_pairs(
        self, import_id: int, kind: str | None = None
    ) -> list[tuple[ImportRow, Student]]:
        """Staged rows whose student is already registered, with that student: at this
        school (``kind`` None: not yet classified, or changed/unchanged), or at the one
        they left (``kind`` admitted)."""
        of_kind = R.kind.is_(None) if kind is None else R.kind == kind
        statement = (
            select(R, Student)
            .join(Student, Student.registry_no_index == R.registry_index)
            .where(R.import_id == import_id, R.code.is_(None), of_kind)
            .order_by(R.row)
        )
        return [(row, student) for row, student in self.session.execute(statement)]

    def guardians_by_student(self, student_ids: list[int]) -> dict[int, list[Guardian]]:
        found: dict[int, list[Guardian]] = {}
        for start in range(0, len(student_ids), 10_000):
            batch = student_ids[start : start + 10_000]
            for guardian in self.session.scalars(
                select(Guardian).where(Guardian.student_id.in_(batch)).order_by(Guardian.rank)
            ):
                found.setdefault(guardian.student_id, []).append(guardian)
        return found

    def national_by_student(self, student_ids: list[int]) -> dict[int, NationalRecord]:
        found: dict[int, NationalRecord] = {}
        for start in range(0, len(student_ids), 10_000):
            batch = student_ids[start : start + 10_000]
            for national in self.session.scalars(
                select(NationalRecord).where(NationalRecord.student_id.in_(batch))
            ):
                found[national.student_id] = national
        return found

    def set_kind(self, import_id: int, rows: list[int], kind: str) -> None:
        self._set(import_id, rows, kind=kind)

    def _set(self, import_id: int, rows: list[int], **values: str) -> None:
        for start in range(0, len(rows), 10_000):
            self.session.execute(
                update(R)
                .where(R.import_id == import_id, R.row.in_(rows[start : start + 10_000]))
                .values(**values)
            )

    def class_pairs(self, import_id: int, *, changed: bool) -> list[tuple[int, str]]:
        """The classes named by the rows to write: new, admitted, and (``changed``) the
        existing students whose values the import applies."""
        kinds = ("changed", "admitted") if changed else ("admitted",)
        return [
            (int(grade or 0), str(name))
            for grade, name in self.session.execute(
                select(R.grade, R.class_name)
                .where(
                    R.import_id == import_id,
                    or_(NEW, R.kind.in_(kinds)),
                    R.grade.is_not(None),
                )
                .distinct()
            )
        ]

    def insert_new(self, import_id: int, school_code: str, now: dt.datetime) -> None:
        """Staged rows still new after classification become students, their guardians
        and their registration events (one ``students.imported`` event per chunk of
        students, ``sync.outbox``). Nearly every new student is written while the file
        is read (``direct``); a row lands here only if the student who held its number
        when it was staged holds it no longer (renumbered meanwhile by another
        transaction on PostgreSQL). Every such row gets its student id first, so
        guardians and events need no lookup of the student by its blind index.

        SQLite: the import holds the only write lock (taken when ``run_import`` wrote its
        ``imports`` row; the staging table is temporary and takes none), so
        ``max(id) + row`` is free. PostgreSQL hands ids out from a sequence shared with
        concurrent writers: the rows take ``nextval`` once, in a materialised CTE that
        four inserts read in one statement (foreign keys are checked at its end, when the
        students exist)."""
        new = and_(R.import_id == import_id, NEW)
        if self.dialect == "postgresql":
            sequence = self.session.scalar(
                select(func.pg_get_serial_sequence(Student.__tablename__, "id"))
            )
            quoted = str(sequence).replace("'", "''")  # a name from the catalog
            sid: Any = func.nextval(literal_column(f"'{quoted}'::regclass"))
            ids = select(sid.label("sid"), *STAGING.c).where(new)
            shared = ids.cte("new_rows").prefix_with("MATERIALIZED")
            statements = [
                *self._inserts_from(shared, school_code, now),
                self._events_from(shared, import_id, now),
            ]
            writes = [statement.cte(f"write_{i}") for i, statement in enumerate(statements)]
            self.session.execute(select(func.count()).select_from(shared).add_cte(*writes))
            return
        base = self.session.scalar(select(func.coalesce(func.max(Student.id), 0))) or 0
        rows = select((literal(base) + R.row).label("sid"), *STAGING.c).where(new).subquery()
        for statement in (
            *self._inserts_from(rows, school_code, now),
            self._events_from(rows, import_id, now),
        ):
            self.session.execute(statement)

    @staticmethod
    def _inserts_from(rows: Any, school_code: str, now: dt.datetime) -> list[Any]:
        """Students (the class found by an outer join, one pass rather than a lookup per
        row), their guardians and national records, from ``rows`` (staged columns plus
        sid)."""
        c = rows.c
        students = insert(Student).from_select(
            list(STUDENT_COLUMNS),
            select(
                c.sid,
                c.registry_cipher,
                c.registry_index,
                c.name,
                c.gender,
                c.birth_date,
                literal(school_code),
                SchoolClass.id,
                literal("enrolled"),
                literal(1),
                literal(now),
                literal(now),
            )
            .select_from(rows)
            .outerjoin(
                SchoolClass,
                and_(
                    SchoolClass.school_code == school_code,
                    SchoolClass.grade == c.grade,
                    SchoolClass.name == c.class_name,
                ),
            ),
        )
        guardians = [
            insert(Guardian).from_select(
                list(GUARDIAN_COLUMNS),
                select(
                    c.sid,
                    literal(rank),
                    *(c[f"g{rank}_{part}"] for part in ("name", "relation", "phone_cipher")),
                    c[f"g{rank}_phone_index"],
                ).where(c[f"g{rank}_phone_index"].is_not(None)),
            )
            for rank in GUARDIAN_SLOTS
        ]
        records = insert(NationalRecord).from_select(
            list(NATIONAL_RECORD_COLUMNS),
            select(c.sid, c.record_cipher, c.sensitive_cipher, literal(now)).where(
                c.record_cipher.is_not(None)
            ),
        )
        return [students, *guardians, records]

    def _events_from(self, rows: Any, import_id: int, now: dt.datetime) -> Any:
        return outbox.publish_chunks(
            rows, dialect=self.dialect, import_id=import_id, created_at=now
        )

    def report(self, token: str) -> ImportReport | None:
        return self.session.get(ImportReport, token)

    def forget_reports_before(self, moment: dt.datetime) -> None:
        self.session.execute(delete(ImportReport).where(ImportReport.created_at < moment))

    def create_staging(self) -> None:
        """A fresh temporary staging table for this transaction."""
        connection = self.session.connection()
        STAGING.drop(connection, checkfirst=True)
        STAGING.create(connection)

    def drop_staging(self) -> None:
        STAGING.drop(self.session.connection(), checkfirst=True)


#: what a new student's row is written with, in this order (``_inserts_from``, ``direct``)
STUDENT_COLUMNS = (
    "id",
    "registry_no",
    "registry_no_index",
    "name",
    "gender",
    "birth_date",
    "school_code",
    "class_id",
    "status",
    "event_sequence",
    "created_at",
    "updated_at",
)
#: what a new student's guardian and national record are written with, in this order
GUARDIAN_COLUMNS = ("student_id", "rank", "name", "relation", "phone", "phone_index")
NATIONAL_RECORD_COLUMNS = ("student_id", "record", "sensitive", "updated_at")
STAGE_COLUMNS = (
    "import_id",
    "row",
    "registry_index",
    "registry_cipher",
    "name",
    "gender",
    "birth_date",
    "grade",
    "class_name",
    "g1_name",
    "g1_relation",
    "g1_phone_cipher",
    "g1_phone_index",
    *(
        f"g{n}_{part}"
        for n in GUARDIAN_SLOTS[1:]
        for part in ("name", "relation", "phone_cipher", "phone_index")
    ),
    "record_cipher",
    "sensitive_cipher",
)


class FastStager(Repository):
    """Staging at the speed of the driver (``bulk_insert``). Rows are tuples in
    ``STAGE_COLUMNS`` order (dates as ISO text)."""

    def stage(self, rows: list[tuple[Any, ...]]) -> None:
        bulk_insert(self.session.connection(), STAGING.name, STAGE_COLUMNS, rows)
