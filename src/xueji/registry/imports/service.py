"""Bulk import of a school's students (学籍导入) — all or nothing.

1. Every row is checked column-wise (``rules``) and encrypted (for a large file by
   helper processes, see ``helpers``). Chunk by chunk, the accepted rows of students no
   one holds the number of are written as students straight away (``direct``); the
   others are staged in ``import_rows``. All inside the import's transaction.
2. The database classifies the staged rows: repeated in the file, at another school
   (still there: rejected; graduated or withdrawn from it: to be admitted, see
   ``enrollment.admission``), or existing here (then compared: changed or unchanged).
3. A dry run rolls all of that back and only reports. A commit admits students one by
   one like a registration by hand, records the run, and drops the (temporary) staging
   table — all in the caller's transaction, so a process killed half-way leaves the
   registry exactly as it was. An existing student whose file values differ is left as
   the registry has it (a correction made since the file was written must not be undone
   by importing it again) and reported field by field; with ``update`` the file's values
   are applied through the same audit-and-event path as a correction, the import as its
   reason.

New registrations are audited by one summary entry (file name, SHA-256, counts); each
changed or admitted student gets its own entry with before and after. A dry run is
audited too, and every import with the blind indexes of the numbers it found at other
schools, within a daily budget (``disclosure``).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth.service import Principal
from xueji.db.bulk import few_collections
from xueji.domain.clock import Clock, china_today
from xueji.domain.errors import Forbidden, ValidationFailed
from xueji.registry import events, scope
from xueji.registry.imports import disclosure, report
from xueji.registry.imports.apply import (
    FileColumns,
    apply_import,
    check_admissions,
    compare_existing,
)
from xueji.registry.imports.direct import DirectWriter
from xueji.registry.imports.files import SUFFIXES
from xueji.registry.imports.helpers import prepared_chunks
from xueji.registry.imports.models import ImportRun
from xueji.registry.imports.repository import FastStager, ImportRepository
from xueji.registry.imports.rules import message_for
from xueji.registry.imports.schemas import ImportResult
from xueji.registry.models import School
from xueji.registry.national import jnumbers
from xueji.registry.schools import visible_school


def import_upload(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    school_code: str,
    filename: str,
    content: BinaryIO,
    dry_run: bool,
    update: bool = False,
) -> tuple[ImportResult, str | None] | disclosure.BudgetSpent:
    """The use case behind the API and the page: run an uploaded file through the import,
    and keep an error report for its uploader if rows failed (returns the report's token).
    A file refused by the daily budget is returned, not raised: the refusal's record (the
    spent budget, its audit entry) must be committed with the request."""
    filename = Path(filename).name
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationFailed("只能导入 .xlsx 或 .csv 文件", code="IMPORT_FILE_TYPE")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as target:
            shutil.copyfileobj(content, target)
        try:
            result = run_import(
                session,
                clock,
                principal,
                school_code=school_code,
                path=path,
                filename=filename,
                dry_run=dry_run,
                update=update,
            )
        except disclosure.BudgetSpent as refused:
            return refused
        token = None
        if result.errors:
            reasons = {error.row: error.message for error in result.errors}
            token = report.keep(
                session,
                clock,
                principal,
                school_code=school_code,
                content=report.error_report(path, reasons),
            )
    return result, token


def run_import(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    school_code: str,
    path: Path,
    filename: str,
    dry_run: bool,
    update: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """``update``: existing students take the file's values where they differ; without
    it they stay as they are, and ``result.changes`` says where the file differs."""
    school = visible_school(session, principal, school_code)
    scope.require_writer(principal)
    if principal.school_code != school.code:
        raise Forbidden("只能导入本校学生")
    disclosure.refuse_if_spent(session, clock, principal, school.code)
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
        columns, written = _stage_file(
            session, clock, principal, school, run.id, path, result, progress
        )
        _classify(session, run.id, school.code, result, clock, columns)
        result.new += written
        if update:
            result.changed = result.differs
        seen = disclosure.disclosed(session, run.id)
        if dry_run:
            savepoint.rollback()
            result.import_id = None
        if disclosure.spend(session, clock, principal, school.code, seen):
            if savepoint.is_active:
                savepoint.rollback()
            raise disclosure.refusal(
                session, clock, principal, school.code, seen, filename=filename, digest=digest
            )
        if dry_run:
            _audit_dry_run(session, clock, principal, school.code, filename, digest, result, seen)
        else:
            apply_import(session, clock, principal, run, result, columns, seen, update=update)
            savepoint.commit()
        return result
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise


def _audit_dry_run(
    session: Session,
    clock: Clock,
    principal: Principal,
    school_code: str,
    filename: str,
    digest: str,
    result: ImportResult,
    seen: disclosure.Disclosed,
) -> None:
    """A dry run writes nothing but this entry: what it told whom about which numbers."""
    audit.record(
        session,
        clock,
        events.actor_of(principal),
        action="registry.import_checked",
        subject=f"school:{school_code}",
        school_code=school_code,
        payload={
            "file": filename[:255],
            "sha256": digest,
            **result.counts(),
            **seen.audit_payload(),
        },
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _stage_file(
    session: Session,
    clock: Clock,
    principal: Principal,
    school: School,
    import_id: int,
    path: Path,
    result: ImportResult,
    progress: Callable[[int], None] | None,
) -> tuple[FileColumns, int]:
    """Writes the file's new students and stages its other rows (a student of the
    national layout without a number once the whole file is read, when a J number is
    given to each, see ``jnumbers``); returns what its columns can change and how many
    students it wrote."""
    stager = FastStager(session)
    writer = DirectWriter(session, clock, principal, import_id=import_id, school_code=school.code)
    absent: frozenset[str] | None = None
    to_number: list[tuple[object, ...]] = []
    with few_collections(), prepared_chunks(path, import_id, china_today(clock)) as chunks:
        for chunk in chunks:
            # absent from the file: absent (or, for a guardian, empty) in every chunk
            absent = chunk.absent if absent is None else absent & chunk.absent
            for row, code, message in chunk.errors:
                result.note_error(row, code, message)
            for row, message in chunk.warnings:
                result.note_warning(row, message)
            stager.stage(writer.write(chunk.columns))
            to_number += chunk.assign
            if progress is not None:
                progress(chunk.height)
    if to_number:
        numbered, repeated = jnumbers.assign(session, school, to_number)
        stager.stage(writer.write_rows(numbered))
        for row in repeated:
            result.note_error(
                row,
                "DOCUMENT_IN_FILE_TWICE",
                message_for("DOCUMENT_IN_FILE_TWICE", None, today=china_today(clock)),
            )
    writer.publish()
    return FileColumns.without(absent or frozenset()), writer.written.count


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
    repository.mark_retired(import_id)
    repository.mark_graduated_class(import_id, school_code)
    repository.mark_other_school(import_id, school_code)
    check_admissions(session, import_id)
    compare_existing(session, import_id, school_code, columns, result)
    for row, code in repository.rejected(import_id):
        result.note_error(row, code, message_for(code, None, today=china_today(clock)))
    result.errors.sort(key=lambda error: error.row)
    result.warnings.sort(key=lambda warning: warning.row)
    kinds = repository.count_kinds(import_id)
    result.new = kinds.get(None, 0) + kinds.get("admitted", 0)  # new to this school
    result.changed = 0  # until the import applies them (``update``)
    result.unchanged = kinds.get("unchanged", 0)
