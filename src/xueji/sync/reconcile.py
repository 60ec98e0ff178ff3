"""Reconciliation: does the platform agree with the registry?

Both sides are read in bulk into polars frames and compared with joins, so a province's
million students take seconds. They are read a batch of students at a time (a range of
student ids) and only the disagreements are kept across batches, so memory follows the
batch, not the province. Every class of disagreement is counted with a few examples (ids
only, no personal data):

- ``projection_missing``: a registry student the platform has no projection of;
- ``projection_stale``: status, school, region or class out of date;
- ``projection_behind``: the projection has not seen the student's latest event;
- ``active_account_mismatch``: an active account whose five fields no longer match;
- ``pending_account_matches``: a waiting account whose five fields now match;
- ``events_never_applied``: events older than the grace period still not handled
  (dead letters included);
- ``events_applied_twice``: an event handled more than once.

Students with an event not yet applied are in flight: counted apart, not compared, not
repaired; events waiting past the grace period and dead letters are reported as
``events_never_applied``. All of it is read from one snapshot of the database.

The repair never writes platform tables: it asks the registry to publish a
``student.resync`` event for each student concerned, and the normal consumer applies it.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import polars as pl
from sqlalchemy import Connection, or_, select
from sqlalchemy.orm import Session, sessionmaker

from xueji.db.scope import transaction
from xueji.domain.clock import Clock
from xueji.domain.five_fields import FiveFields, matches
from xueji.sync.models import OutboxEvent
from xueji.sync.reconcile_queries import (
    ACCOUNTS_COUNT_SQL,
    ACCOUNTS_SCHEMA,
    BOUNDS_SQL,
    EVENTS_SCHEMA,
    PENDING_SCHEMA,
    PENDING_SQL,
    PROJECTION_SCHEMA,
    REGISTRY_SCHEMA,
    Batch,
    active_accounts_sql,
    batches,
    projection_sql,
    registry_sql,
)
from xueji.sync.sqlite_snapshot import BATCHED, QUERIES, bound_argument, receive

EXAMPLES = 5
GRACE = dt.timedelta(seconds=60)

FIELDS = ("name", "gender", "birth_date", "school_name")


@dataclass
class Finding:
    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    student_ids: list[int] = field(default_factory=list)


@dataclass
class Report:
    students: int
    accounts: int
    in_flight: int
    seconds: float
    findings: dict[str, Finding]

    @property
    def agree(self) -> bool:
        return all(f.count == 0 for f in self.findings.values())

    @property
    def repairable_students(self) -> list[int]:
        found: set[int] = set()
        for finding in self.findings.values():
            found.update(finding.student_ids)
        return sorted(found)

    def as_json(self) -> dict[str, Any]:
        return {
            "agree": self.agree,
            "students": self.students,
            "accounts": self.accounts,
            "in_flight": self.in_flight,
            "seconds": round(self.seconds, 3),
            "disagreements": {
                name: {"count": f.count, "examples": f.examples}
                for name, f in self.findings.items()
            },
        }


LABELS = {
    "projection_missing": "平台缺少该学生的学籍投影",
    "projection_stale": "平台的学籍状态、学校、地区或班级已过时",
    "projection_behind": "平台尚未应用该学生最新的变更事件",
    "active_account_mismatch": "已激活账号的五项信息与学籍不一致",
    "pending_account_matches": "未激活账号的五项信息已与学籍一致，却仍未激活",
    "events_never_applied": "超过宽限期仍未处理的事件（含死信）",
    "events_applied_twice": "被处理了不止一次的事件",
}


FETCH_ROWS = 100_000
#: students compared at a time: memory follows this, not the size of the province
BATCH_STUDENTS = 50_000


@dataclass
class Once:
    """What is read once rather than per batch: the waiting accounts that may now match
    (with their students), the unusual events and the number of accounts."""

    pending: pl.DataFrame
    events: pl.DataFrame
    accounts: int


#: one batch's registry rows, their projections and their students' active accounts
BatchFrames = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]


def _frame(connection: Connection, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    """The query's rows as a frame, at the driver's speed and inside the caller's
    transaction: PostgreSQL streams them with ``COPY … TO STDOUT`` as CSV into a temporary
    file that polars reads; SQLite hands over tuples in batches."""
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with tempfile.TemporaryFile() as spool:
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy,
            ):
                for block in copy:
                    spool.write(block)
            spool.seek(0)
            return pl.read_csv(spool, schema=schema)
    cursor = driver.execute(sql)
    batches = []
    while rows := cursor.fetchmany(FETCH_ROWS):
        batches.append(pl.DataFrame(rows, schema=schema, orient="row"))
    return pl.concat(batches) if batches else pl.DataFrame(schema=schema)


def _unusual_events(session: Session) -> pl.DataFrame:
    """Events not handled, or handled more than once: few in a healthy system. Read
    through the ORM so timestamps arrive as aware datetimes on both databases."""
    rows = session.execute(
        select(
            OutboxEvent.id,
            OutboxEvent.student_id,
            OutboxEvent.created_at,
            OutboxEvent.handled_at.is_not(None),
            OutboxEvent.apply_count,
            OutboxEvent.dead_at.is_not(None),
        ).where(or_(OutboxEvent.handled_at.is_(None), OutboxEvent.apply_count > 1))
    ).all()
    return pl.DataFrame([tuple(row) for row in rows], schema=EVENTS_SCHEMA, orient="row")


def load_once(session: Session) -> tuple[Once, list[Batch]]:
    """The reads done once, and the batches the students are compared in."""
    connection = session.connection()
    low, high = connection.exec_driver_sql(BOUNDS_SQL).one()
    once = Once(
        pending=_frame(connection, PENDING_SQL, PENDING_SCHEMA),
        events=_unusual_events(session),
        accounts=connection.exec_driver_sql(ACCOUNTS_COUNT_SQL).scalar_one(),
    )
    return once, batches(low, high, BATCH_STUDENTS)


def load_batch(connection: Connection, batch: Batch) -> BatchFrames:
    return (
        _frame(connection, registry_sql(batch), REGISTRY_SCHEMA),
        _frame(connection, projection_sql(batch), PROJECTION_SCHEMA),
        _frame(connection, active_accounts_sql(batch), ACCOUNTS_SCHEMA),
    )


def _same_five(row: dict[str, Any], prefix: str = "") -> bool:
    """The domain's match (after its normalisation) for rows whose raw text differs."""

    def five(name: str, gender: str, birth_date: str, school_name: str) -> FiveFields:
        return FiveFields(
            "", name or "", gender or "", dt.date.fromisoformat(birth_date), school_name or ""
        )

    entered = five(*(row[f"{prefix}{f}"] for f in FIELDS))
    registry = five(*(row[f] for f in FIELDS))
    return matches(entered, registry)


def _where_same_five(frame: pl.DataFrame, same: bool) -> pl.DataFrame:
    """The rows of ``frame`` whose account and student do (``same``) or do not match."""
    if not frame.height:
        return frame
    keep = [_same_five(row, "a_") == same for row in frame.iter_rows(named=True)]
    return frame.filter(pl.Series(keep, dtype=pl.Boolean))


class Comparison:
    """All the checks, batch by batch. Each batch adds only its disagreements to the
    findings, so what is held across batches is proportional to the drift, not to the
    students. The unusual events (read once) decide who is in flight for every batch."""

    def __init__(self, events: pl.DataFrame, now: dt.datetime) -> None:
        self.events = events
        self.pending_events = events.filter(~pl.col("handled"))
        # Students whose events are not all applied (waiting, retrying or dead) are not
        # compared: their two sides may rightly differ for now. The waiting ones are in
        # flight; old and dead events are reported below.
        self.unsettled = self.pending_events.get_column("student_id").unique().implode()
        dead = set(events.filter(pl.col("dead")).get_column("student_id").to_list())
        self.in_flight = len(set(self.pending_events.get_column("student_id").to_list()) - dead)
        self.now = now
        self.students = 0
        self.findings = {name: Finding() for name in LABELS}

    def _settled(self, frame: pl.DataFrame) -> pl.LazyFrame:
        """``frame``'s rows of students that are not in flight."""
        return frame.lazy().filter(~pl.col("student_id").is_in(self.unsettled))

    def _add(self, name: str, frame: pl.DataFrame, example_columns: list[str]) -> None:
        """Counts ``frame``'s rows; the examples are the lowest student ids (the batches
        come in id order), so they do not depend on where the batches were cut."""
        finding = self.findings[name]
        finding.count += frame.height
        room = EXAMPLES - len(finding.examples)
        if room > 0 and frame.height:
            first = frame.sort(["student_id", example_columns[0]], nulls_last=True)
            finding.examples.extend(first.head(room).select(example_columns).to_dicts())
        finding.student_ids.extend(
            frame.get_column("student_id").drop_nulls().cast(pl.Int64).to_list()
        )

    def add_batch(
        self, registry: pl.DataFrame, projection: pl.DataFrame, accounts: pl.DataFrame
    ) -> None:
        """One batch of students: their projections and their active accounts."""
        self.students += registry.height
        settled = self._settled(registry)
        joined = settled.join(projection.lazy(), on="student_id", how="left")
        present = joined.filter(pl.col("applied_sequence").is_not_null())
        # one plan, run together on all cores
        missing, stale, behind, raw_differs = pl.collect_all(
            [
                joined.filter(pl.col("applied_sequence").is_null()),
                present.filter(
                    (pl.col("status") != pl.col("p_status"))
                    | (pl.col("school_code") != pl.col("p_school_code"))
                    | (pl.col("region_code") != pl.col("p_region_code"))
                    | ~pl.col("class_id").eq_missing(pl.col("p_class_id"))
                ),
                present.filter(pl.col("applied_sequence") < pl.col("event_sequence")),
                accounts.lazy()
                .join(settled, left_on="a_student_id", right_on="student_id", how="inner")
                .filter(
                    (pl.col("registry_index") != pl.col("registry_index_right"))
                    | pl.any_horizontal(pl.col(f"a_{f}") != pl.col(f) for f in FIELDS)
                ),
            ]
        )
        self._add("projection_missing", missing, ["student_id"])
        self._add(
            "projection_stale",
            stale,
            ["student_id", "status", "p_status", "school_code", "p_school_code"],
        )
        self._add("projection_behind", behind, ["student_id", "event_sequence", "applied_sequence"])
        # rows whose raw text differs: the domain's normalised comparison decides
        mismatch = _where_same_five(raw_differs, same=False)
        self._add(
            "active_account_mismatch",
            mismatch.rename({"a_student_id": "student_id"}),
            ["account_id", "student_id"],
        )

    def add_pending(self, candidates: pl.DataFrame) -> None:
        """Waiting accounts joined with the student holding their registry number (and no
        active account holding it): those whose five fields now match."""
        settled = self._settled(candidates).collect()
        matching = _where_same_five(settled, same=True).unique(
            subset="registry_index", keep="first", maintain_order=True
        )
        self._add("pending_account_matches", matching, ["account_id", "student_id"])

    def result(self) -> dict[str, Finding]:
        never = self.pending_events.filter(
            (pl.col("created_at") < self.now - GRACE) | pl.col("dead")
        )
        twice = self.events.filter(pl.col("apply_count") > 1)
        self._add("events_never_applied", never, ["event_id", "student_id"])
        self._add("events_applied_twice", twice, ["event_id", "student_id", "apply_count"])
        # these two are the consumer's to settle (retry, investigate), not the resync's
        self.findings["events_never_applied"].student_ids = []
        self.findings["events_applied_twice"].student_ids = []
        return self.findings


#: one SQLite reader per large query (and one for the rest), so they run on all cores
READER_GROUPS = [[name] for name in QUERIES]


class _Readers:
    """SQLite reader processes (``xueji.sync.sqlite_snapshot``), each streaming its
    queries over a pipe; ``groups`` says which reader reads which queries."""

    def __init__(
        self, database: str, low: int | None, high: int | None, groups: list[list[str]]
    ) -> None:
        self.batch_count = len(batches(low, high, BATCH_STUDENTS))
        self.processes: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
        self.by_query: dict[str, subprocess.Popen[bytes]] = {}
        # the reader cuts the batches itself from the same bounds and size
        command = [
            *(sys.executable, "-m", "xueji.sync.sqlite_snapshot", database),
            *(bound_argument(low), bound_argument(high), str(BATCH_STUDENTS)),
        ]
        try:
            for names in groups:
                errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
                try:
                    process = subprocess.Popen(
                        [*command, *names], stdout=subprocess.PIPE, stderr=errors
                    )
                except BaseException:
                    errors.close()
                    raise
                self.processes.append((process, errors))
                self.by_query |= dict.fromkeys(names, process)
            self.marks = {self._receive(process) for process, _ in self.processes}
        except BaseException:
            self.close()
            raise

    def _receive(self, process: subprocess.Popen[bytes]) -> bytes:
        assert process.stdout is not None
        data = receive(process.stdout)
        if data is None:
            raise self._failure(process)
        return data

    def _failure(self, process: subprocess.Popen[bytes]) -> RuntimeError:
        """A reader stopped early: its own error message, as far as it wrote one. The
        other readers may be waiting for this process to read from them: they are
        stopped."""
        process.wait()
        errors = next(errors for reader, errors in self.processes if reader is process)
        errors.seek(0)
        message = errors.read().decode(errors="replace")[-2000:]
        self.close()
        return RuntimeError(f"reading the database failed (exit {process.returncode}): {message}")

    def frame(self, query: str) -> pl.DataFrame:
        return pl.read_ipc(io.BytesIO(self._receive(self.by_query[query])))

    def once(self) -> Once:
        """What is read once; it comes first on its readers' streams (the waiting
        accounts on the active accounts' stream, so all accounts share a snapshot)."""
        pending, events = self.frame("accounts"), self.frame("once")
        return Once(pending, events, int(self._receive(self.by_query["once"])))

    def batches(self) -> Iterator[BatchFrames]:
        for _ in range(self.batch_count):
            registry, projection, accounts = (self.frame(name) for name in BATCHED)
            yield registry, projection, accounts

    def finish(self) -> None:
        """Every stream read to its end and every reader done: a reader still sending
        would otherwise wait on its pipe for ever."""
        for process, _ in self.processes:
            assert process.stdout is not None
            if process.stdout.read(1):
                self.close()
                raise RuntimeError("reading the database failed: a reader sent unread data")
            if process.wait() != 0:
                raise self._failure(process)

    def close(self) -> None:
        for process, errors in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
            errors.close()


@contextmanager
def _sqlite_snapshot(session: Session) -> Iterator[tuple[Once, Iterator[BatchFrames]]]:
    """The reads of a SQLite database, through ADBC in child processes (see
    ``xueji.sync.sqlite_snapshot`` for why not in this one), streamed a batch at a time.

    One reader per large query, so they run on all cores while this process compares.
    Each first sends the outbox's high-water mark (newest event, number handled) of its
    own snapshot; every registry change writes an event and every application stamps one,
    so equal marks mean the snapshots saw the same state. If they differ (something
    changed as the readers started), one reader reads everything in a single snapshot."""
    database = session.get_bind().engine.url.database
    assert database
    low, high = session.connection().exec_driver_sql(BOUNDS_SQL).one()
    readers = _Readers(database, low, high, READER_GROUPS)
    try:
        if len(readers.marks) != 1:
            readers.close()
            readers = _Readers(database, low, high, [list(QUERIES)])
        yield readers.once(), readers.batches()
        readers.finish()
    finally:
        readers.close()


def reconcile_committed(sessions: sessionmaker[Session], clock: Clock) -> Report:
    """The reconciliation operators and the daily job run, on the committed state in one
    snapshot: PostgreSQL in a repeatable-read transaction, SQLite through ADBC readers
    (see ``_sqlite_snapshot``)."""
    started = time.perf_counter()
    with transaction(sessions) as session:
        if session.get_bind().dialect.name == "sqlite":
            with _sqlite_snapshot(session) as (once, frames):
                return _compare(once, frames, clock, started)
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return _reconcile_in(session, clock, started)


def reconcile(session: Session, clock: Clock) -> Report:
    """The reconciliation inside the caller's transaction (sees its uncommitted work)."""
    return _reconcile_in(session, clock, time.perf_counter())


def _reconcile_in(session: Session, clock: Clock, started: float) -> Report:
    once, batch_list = load_once(session)
    connection = session.connection()
    frames = (load_batch(connection, batch) for batch in batch_list)
    return _compare(once, frames, clock, started)


def _compare(once: Once, frames: Iterable[BatchFrames], clock: Clock, started: float) -> Report:
    comparison = Comparison(once.events, clock.now())
    for registry, projection, accounts in frames:
        comparison.add_batch(registry, projection, accounts)
    comparison.add_pending(once.pending)
    findings = comparison.result()
    return Report(
        students=comparison.students,
        accounts=once.accounts,
        in_flight=comparison.in_flight,
        seconds=time.perf_counter() - started,
        findings=findings,
    )
