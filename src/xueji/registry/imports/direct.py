"""New students written straight into the registry while the file is read.

Staging every row and then inserting the new ones from the staging table wrote each new
student twice; on a million rows the second pass cost as much as the first. So each
prepared chunk is sorted as it arrives: a row whose number no student holds and that no
other row of the file has repeated so far becomes a student at once, with its guardians
and national record (``bulk_insert``); every other row (a student already registered here
or elsewhere, a number the file repeats) is handed back to be staged and classified as
before (``ImportRepository``). When a later row repeats a number whose first row was
already written, that student is taken out again and both rows are staged, to be rejected
as repeated. All of it happens in the import's transaction: a dry run, a refused file or
a process killed half-way leaves nothing behind.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from typing import Any

from sqlalchemy import Dialect, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from xueji.auth.service import Principal
from xueji.db.bulk import bulk_insert
from xueji.domain.clock import Clock
from xueji.registry import schools
from xueji.registry.imports.files import GUARDIAN_SLOTS
from xueji.registry.imports.repository import (
    GUARDIAN_COLUMNS,
    NATIONAL_RECORD_COLUMNS,
    STAGE_COLUMNS,
    STUDENT_COLUMNS,
)
from xueji.registry.models import Guardian, Student
from xueji.registry.national.models import NationalRecord, RegistryNoChange
from xueji.registry.repository import RegistryRepository
from xueji.sync import outbox

#: a chunk's rows column by column, in ``STAGE_COLUMNS`` order
Columns = Sequence[Sequence[Any]]
AT = {name: position for position, name in enumerate(STAGE_COLUMNS)}
#: numbers looked up per statement (SQLite allows 32,766 parameters)
LOOKUP_BATCH = 10_000


class Written:
    """The students this import wrote, as runs of consecutive ids given to consecutive
    rows (one run per chunk of a clean file): a few numbers for a million students."""

    def __init__(self) -> None:
        self._runs: list[tuple[int, int, int]] = []  # (first id, first row, length)
        self._withdrawn: set[int] = set()

    def add(self, ids: list[int], rows: list[int]) -> None:
        """``ids[i]`` was given to file row ``rows[i]``; both ascend."""
        if ids and ids[-1] - ids[0] == rows[-1] - rows[0] == len(ids) - 1:
            self._runs.append((ids[0], rows[0], len(ids)))  # the usual chunk: one run
            self._runs.sort()
            return
        start = 0
        for i in range(1, len(ids) + 1):
            if i == len(ids) or ids[i] != ids[i - 1] + 1 or rows[i] != rows[i - 1] + 1:
                self._runs.append((ids[start], rows[start], i - start))
                start = i
        self._runs.sort()

    def row_of(self, student_id: int) -> int | None:
        """The file row of a student this import wrote (None: not one of them)."""
        at = bisect.bisect_right(self._runs, (student_id, float("inf"), 0)) - 1
        if at < 0 or student_id in self._withdrawn:
            return None
        first_id, first_row, length = self._runs[at]
        offset = student_id - first_id
        return first_row + offset if offset < length else None

    def withdraw(self, student_id: int) -> None:
        self._withdrawn.add(student_id)

    @property
    def count(self) -> int:
        return sum(length for _, _, length in self._runs) - len(self._withdrawn)

    def chunks(self, size: int) -> list[tuple[int, int]]:
        """(first, last) student id of each block of ``size`` ids (``id // size``) that
        holds students of this import: what one ``students.imported`` event covers."""
        blocks: dict[int, list[int]] = {}
        for first_id, _, length in self._runs:
            last_id = first_id + length - 1
            for block in range(first_id // size, last_id // size + 1):
                low = max(first_id, block * size)
                high = min(last_id, block * size + size - 1)
                while low <= high and low in self._withdrawn:
                    low += 1
                while high >= low and high in self._withdrawn:
                    high -= 1
                if low > high:
                    continue
                span = blocks.setdefault(block, [low, high])
                span[0], span[1] = min(span[0], low), max(span[1], high)
        return [(low, high) for _, (low, high) in sorted(blocks.items())]


class DirectWriter:
    """Writes a school's new students chunk by chunk; see the module's docstring."""

    def __init__(
        self,
        session: Session,
        clock: Clock,
        principal: Principal,
        *,
        import_id: int,
        school_code: str,
    ) -> None:
        self.session, self.clock, self.principal = session, clock, principal
        self.import_id, self.school_code = import_id, school_code
        self.dialect = session.connection().dialect
        self.now = clock.now()
        self.written = Written()
        #: numbers the file has repeated so far: a later row with one of them is staged
        self.repeated: set[bytes] = set()
        #: numbers given up for a resident ID (``national.renumber``), never given again:
        #: a row with one is staged, to be refused (a few, read once)
        self.retired = {bytes(i) for i in session.scalars(select(RegistryNoChange.old_index))}
        classes = RegistryRepository(session).classes_of(school_code)
        self.classes: dict[tuple[int | None, str | None], int] = {
            (c.grade, c.name): c.id for c in classes
        }
        #: classes that graduated (学年升级) take no one: a row naming one is staged, to be
        #: refused unless its student is already there
        self.graduated = {(c.grade, c.name) for c in classes if c.graduated_in is not None}
        self._stored_now = _stored(Student.__table__.c.created_at.type, self.now, self.dialect)
        #: SQLite: the import holds the only write lock, so ``max(id) + row`` is free
        self._base = session.scalar(select(func.coalesce(func.max(Student.id), 0))) or 0
        self._sequence: str | None = None  # PostgreSQL: the students' id sequence

    def write(self, columns: Columns) -> list[tuple[Any, ...]]:
        """Writes the chunk's new students (its rows given column by column, in
        ``STAGE_COLUMNS`` order); returns the rows to stage instead.

        Optimistic: the chunk is written as it is, and only if a number in it is held
        already (the unique index refuses it: a re-imported roster, a number the file
        repeats) is that undone and the chunk sorted row by row. A new school's roster
        is thus looked up once, by the insert itself."""
        if not columns:
            return []
        staged: list[tuple[Any, ...]] = []
        graduated = bool(self.graduated) and not self.graduated.isdisjoint(
            zip(columns[AT["grade"]], columns[AT["class_name"]], strict=True)
        )
        if self.repeated or self.retired or graduated:
            later = [
                index not in self.repeated
                and index not in self.retired
                and (grade, name) not in self.graduated
                for index, grade, name in zip(
                    columns[AT["registry_index"]],
                    columns[AT["grade"]],
                    columns[AT["class_name"]],
                    strict=True,
                )
            ]
            staged = _rows(columns, [not keep for keep in later])
            columns = _select(columns, later)
        if not columns[0]:
            return staged
        known = self._known_class_ids(columns[AT["grade"]], columns[AT["class_name"]])
        if known is not None and self._insert(columns, known, tentative=True):
            return staged
        # some of its numbers are held already, or it names a class not created yet: the
        # rows are sorted first, so that a class is created only for a row written
        indexes = columns[AT["registry_index"]]
        found = self._holders(index for index in indexes if index is not None)
        ours = {index: sid for index, sid in found.items() if self.written.row_of(sid) is not None}
        staged += self._withdraw(ours)
        counts = Counter(indexes)
        self.repeated.update(index for index, count in counts.items() if count > 1)
        new = [
            index is not None and index not in found and index not in self.repeated
            for index in indexes
        ]
        staged += _rows(columns, [not fresh for fresh in new])
        if any(new):
            chosen = _select(columns, new)
            self._insert(chosen, self._class_ids(chosen[AT["grade"]], chosen[AT["class_name"]]))
        return staged

    def write_rows(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """``write`` for rows given one by one."""
        return self.write([list(column) for column in zip(*rows, strict=True)])

    def publish(self) -> None:
        """One ``students.imported`` event per block of the students written."""
        outbox.publish_ranges(
            self.session,
            self.written.chunks(outbox.CHUNK),
            import_id=self.import_id,
            created_at=self.now,
        )

    def _holders(self, indexes: Iterable[bytes]) -> dict[bytes, int]:
        """The students (id by blind index) already holding any of ``indexes``."""
        wanted = list(indexes)
        found: dict[bytes, int] = {}
        for start in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[start : start + LOOKUP_BATCH]
            parameters: tuple[Any, ...] = (batch,)
            among = "= ANY(%s)"
            if self.dialect.name != "postgresql":
                parameters, among = tuple(batch), f"IN ({', '.join('?' for _ in batch)})"
            sql = f"SELECT registry_no_index, id FROM students WHERE registry_no_index {among}"
            for index, student_id in self.session.connection().exec_driver_sql(sql, parameters):
                found[bytes(index)] = student_id
        return found

    def _withdraw(self, ours: dict[bytes, int]) -> list[tuple[Any, ...]]:
        """Takes back out the students this import wrote whose number a later row repeats;
        returns a stand-in staging row for each first row, which ``mark_duplicates`` then
        rejects with the later ones (only its row and number index are ever read)."""
        if not ours:
            return []
        ids = list(ours.values())
        for table in (Guardian, NationalRecord):
            self.session.execute(delete(table).where(table.student_id.in_(ids)))
        self.session.execute(delete(Student).where(Student.id.in_(ids)))
        stand_ins = []
        for index, student_id in ours.items():
            row = self.written.row_of(student_id)
            self.written.withdraw(student_id)
            self.repeated.add(index)
            stand_in: list[Any] = [None] * len(STAGE_COLUMNS)
            stand_in[AT["import_id"]], stand_in[AT["row"]] = self.import_id, row
            stand_in[AT["registry_index"]], stand_in[AT["registry_cipher"]] = index, b""
            for name in ("name", "gender", "g1_name", "g1_relation"):
                stand_in[AT[name]] = ""
            stand_in[AT["birth_date"]] = "1900-01-01"
            stand_in[AT["g1_phone_cipher"]], stand_in[AT["g1_phone_index"]] = b"", b""
            stand_ins.append(tuple(stand_in))
        return stand_ins

    def _insert(
        self, columns: Columns, class_ids: list[int | None], *, tentative: bool = False
    ) -> bool:
        """Students, guardians and national records for rows given column by column
        (tuples built by ``zip``: a million rows' worth costs well under a second).
        ``tentative``: if the unique index refuses any of the students, nothing is
        written and False returned."""
        at = {name: columns[position] for name, position in AT.items()}
        file_rows = at["row"]
        ids = self._ids(file_rows)
        now = self._stored_now
        students = zip(
            ids,
            at["registry_cipher"],
            at["registry_index"],
            at["name"],
            at["gender"],
            at["birth_date"],
            repeat(self.school_code),
            class_ids,
            repeat("enrolled"),
            repeat(1),
            repeat(now),
            repeat(now),
        )
        if tentative and not self._all_written(ids, list(students)):
            return False
        if not tentative:
            bulk_insert(
                self.session.connection(), Student.__tablename__, STUDENT_COLUMNS, list(students)
            )
        connection = self.session.connection()
        guardians: list[tuple[Any, ...]] = []
        for rank in GUARDIAN_SLOTS:
            parts = (at[f"g{rank}_{part}"] for part in ("name", "relation", "phone_cipher"))
            index = at[f"g{rank}_phone_index"]
            given = (value is not None for value in index)
            guardians += compress(zip(ids, repeat(rank), *parts, index), given)
        bulk_insert(connection, Guardian.__tablename__, GUARDIAN_COLUMNS, guardians)
        record, sensitive = at["record_cipher"], at["sensitive_cipher"]
        records = compress(
            zip(ids, record, sensitive, repeat(now)), (value is not None for value in record)
        )
        bulk_insert(
            connection, NationalRecord.__tablename__, NATIONAL_RECORD_COLUMNS, list(records)
        )
        self.written.add(ids, list(file_rows))
        return True

    def _all_written(self, ids: list[int], students: list[tuple[Any, ...]]) -> bool:
        """Writes the students if the unique index refuses none of them. PostgreSQL: in a
        savepoint, rolled back on the first refusal. SQLite: a savepoint would copy every
        index page the chunk touches into its journal first (a tenth of the import's
        time), so the rows go in with ``OR IGNORE`` (their ids are fresh: only a number
        can be refused) and are taken out again if any was skipped."""
        if self.dialect.name == "postgresql":
            try:
                # the savepoint is set when the session's connection is next asked for
                with self.session.begin_nested():
                    connection = self.session.connection()
                    bulk_insert(connection, Student.__tablename__, STUDENT_COLUMNS, students)
                return True
            except (IntegrityError, self.dialect.loaded_dbapi.IntegrityError):
                return False
        connection = self.session.connection()
        table = Student.__tablename__
        if bulk_insert(connection, table, STUDENT_COLUMNS, students, or_ignore=True) == len(ids):
            return True
        for start in range(0, len(ids), LOOKUP_BATCH):
            batch = ids[start : start + LOOKUP_BATCH]
            self.session.execute(delete(Student).where(Student.id.in_(batch)))
        return False

    def _ids(self, file_rows: Sequence[int]) -> list[int]:
        """Student ids for new rows, ascending. PostgreSQL hands them out from the
        sequence it shares with concurrent writers: one ``nextval`` per row, in one
        statement."""
        if self.dialect.name != "postgresql":
            return [self._base + row for row in file_rows]
        if self._sequence is None:
            self._sequence = (
                self.session.connection()
                .exec_driver_sql("SELECT pg_get_serial_sequence('students', 'id')")
                .scalar_one()
            )
        taken = self.session.connection().exec_driver_sql(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
            (self._sequence, len(file_rows)),
        )
        return sorted(sid for (sid,) in taken)

    def _known_class_ids(
        self, grades: Sequence[int | None], names: Sequence[str | None]
    ) -> list[int | None] | None:
        """The class each row names (None: none), if every one exists already; else None."""
        ids = [self.classes.get(pair) for pair in zip(grades, names, strict=True)]
        missing = any(
            found is None and grade is not None and name
            for found, grade, name in zip(ids, grades, names, strict=True)
        )
        return None if missing else ids

    def _class_ids(
        self, grades: Sequence[int | None], names: Sequence[str | None]
    ) -> list[int | None]:
        """The class each row names (None: none), each created the first time the file
        names it."""
        for grade, name in set(zip(grades, names, strict=True)) - self.classes.keys():
            if grade is not None and name:
                created = schools.create_class(
                    self.session,
                    self.clock,
                    self.principal,
                    school_code=self.school_code,
                    grade=grade,
                    name=name,
                )
                self.classes[grade, name] = created.id
        return [self.classes.get(pair) for pair in zip(grades, names, strict=True)]


def _select(columns: Columns, chosen: list[bool]) -> Columns:
    return [list(compress(column, chosen)) for column in columns]


def _rows(columns: Columns, chosen: list[bool]) -> list[tuple[Any, ...]]:
    return list(compress(zip(*columns, strict=True), chosen))


def _stored(type_: TypeEngine[Any], value: object, dialect: Dialect) -> object:
    """``value`` as a column of ``type_`` would write it (SQLite keeps datetimes as text,
    in the dialect's own format: a view joins students and events on it)."""
    processor = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor else value
