"""Bulk import of a school's students (学籍导入) — all or nothing.

1. Every row is checked column-wise (``import_rules``); accepted rows are encrypted (for a
   large file by helper processes, see ``import_prep``) and staged in ``import_rows``
   inside the import's transaction.
2. The database classifies the staged rows: repeated in the file, at another school
   (still there: rejected; graduated or withdrawn from it: to be admitted, see
   ``admission``), new, or existing here (then compared: changed or unchanged).
3. A dry run rolls all of that back and only reports. A commit applies new rows set-wise,
   changed rows through the same audit-and-event path as a correction, admissions one by
   one like a registration by hand, records the run, and drops the (temporary) staging
   table — all in the caller's transaction, so a process killed half-way leaves the
   registry exactly as it was.

New registrations are audited by one summary entry (file name, SHA-256, counts); each
changed or admitted student gets its own entry with before and after.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth.service import Principal
from xueji.domain.clock import Clock, china_today
from xueji.domain.errors import Forbidden
from xueji.registry import events, scope
from xueji.registry.import_apply import (
    FileColumns,
    apply_admissions,
    apply_changed,
    check_admissions,
    compare_existing,
    ensure_classes,
)
from xueji.registry.import_prep import prepared_chunks
from xueji.registry.import_repository import FastStager, ImportRepository
from xueji.registry.import_rules import message_for
from xueji.registry.models import ImportRun
from xueji.registry.schools import visible_school

MAX_ERROR_DETAILS = 100_000


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "code": self.code, "message": self.message}


@dataclass
class ImportResult:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    import_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [e.as_dict() for e in self.errors],
        }


def run_import(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    school_code: str,
    path: Path,
    filename: str,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    school = visible_school(session, principal, school_code)
    scope.require_writer(principal)
    if principal.school_code != school.code:
        raise Forbidden("只能导入本校学生")
    digest = _sha256(path)
    savepoint = session.begin_nested()
    try:
        run = ImportRun(
            school_code=school.code,
            filename=filename[:255],
            sha256=digest,
            actor_id=principal.account_id,
            created_at=clock.now(),
        )
        session.add(run)
        session.flush()
        ImportRepository(session).create_staging()
        result = ImportResult(import_id=run.id)
        columns = _stage_file(session, clock, run.id, path, result, progress)
        _classify(session, run.id, school.code, result, clock, columns)
        if dry_run:
            savepoint.rollback()
            result.import_id = None
            return result
        _apply(session, clock, principal, run, result, columns)
        savepoint.commit()
        return result
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _stage_file(
    session: Session,
    clock: Clock,
    import_id: int,
    path: Path,
    result: ImportResult,
    progress: Callable[[int], None] | None,
) -> FileColumns:
    """Stages the file's rows; returns what its columns can change."""
    stager = FastStager(session)
    columns = FileColumns()
    with prepared_chunks(path, import_id, china_today(clock)) as chunks:
        for chunk in chunks:
            columns = FileColumns.without(chunk.absent)
            for row, code, message in chunk.errors:
                _note_error(result, row, code, message)
            stager.stage(chunk.rows)
            if progress is not None:
                progress(chunk.height)
    return columns


def _note_error(result: ImportResult, row: int, code: str, message: str) -> None:
    result.rejected += 1
    if len(result.errors) < MAX_ERROR_DETAILS:
        result.errors.append(RowError(row, code, message))


def _classify(
    session: Session,
    import_id: int,
    school_code: str,
    result: ImportResult,
    clock: Clock,
    columns: FileColumns,
) -> None:
    repository = ImportRepository(session)
    repository.mark_duplicates(import_id)
    repository.mark_other_school(import_id, school_code)
    check_admissions(session, import_id)
    compare_existing(session, import_id, school_code, columns)
    for row, code in repository.rejected(import_id):
        _note_error(result, row, code, message_for(code, None, today=china_today(clock)))
    result.errors.sort(key=lambda error: error.row)
    kinds = repository.count_kinds(import_id)
    result.new = kinds.get(None, 0) + kinds.get("admitted", 0)  # new to this school
    result.changed = kinds.get("changed", 0)
    result.unchanged = kinds.get("unchanged", 0)


def _apply(
    session: Session,
    clock: Clock,
    principal: Principal,
    run: ImportRun,
    result: ImportResult,
    columns: FileColumns,
) -> None:
    repository = ImportRepository(session)
    now = clock.now()
    ensure_classes(session, clock, principal, run.id, run.school_code)
    repository.insert_new(run.id, run.school_code, now, events.STUDENT_REGISTERED)
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
            "new": result.new,
            "changed": result.changed,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
        },
    )
    repository.drop_staging()
