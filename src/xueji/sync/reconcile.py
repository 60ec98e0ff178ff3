"""Reconciliation: does the platform agree with the registry?

Both sides are read in bulk into polars frames and compared with joins, so a province's
million students take seconds. Every class of disagreement is counted with a few
examples (ids only, no personal data):

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
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, or_, select
from sqlalchemy.orm import Session, sessionmaker

from xueji.db.scope import transaction
from xueji.domain.clock import Clock
from xueji.domain.five_fields import FiveFields, matches
from xueji.sync.models import OutboxEvent
from xueji.sync.reconcile_queries import (
    ACCOUNTS_SCHEMA,
    ACCOUNTS_SQL,
    EVENTS_SCHEMA,
    PROJECTION_SCHEMA,
    PROJECTION_SQL,
    REGISTRY_SCHEMA,
    REGISTRY_SQL,
)
from xueji.sync.sqlite_snapshot import QUERIES

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


def load(session: Session) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    connection = session.connection()
    registry = _frame(connection, REGISTRY_SQL, REGISTRY_SCHEMA)
    projection = _frame(connection, PROJECTION_SQL, PROJECTION_SCHEMA)
    accounts = _frame(connection, ACCOUNTS_SQL, ACCOUNTS_SCHEMA)
    return registry, projection, accounts, _unusual_events(session)


def _finding(frame: pl.DataFrame, example_columns: list[str], student_column: str) -> Finding:
    ids = frame.get_column(student_column).drop_nulls().cast(pl.Int64).to_list()
    examples = frame.head(EXAMPLES).select(example_columns).to_dicts()
    return Finding(count=frame.height, examples=examples, student_ids=ids)


def _same_five(row: dict[str, Any], prefix: str = "") -> bool:
    """The domain's match (after its normalisation) for rows whose raw text differs."""

    def five(name: str, gender: str, birth_date: str, school_name: str) -> FiveFields:
        return FiveFields(
            "", name or "", gender or "", dt.date.fromisoformat(birth_date), school_name or ""
        )

    entered = five(*(row[f"{prefix}{f}"] for f in FIELDS))
    registry = five(*(row[f] for f in FIELDS))
    return matches(entered, registry)


def compare_frames(
    registry: pl.DataFrame,
    projection: pl.DataFrame,
    accounts: pl.DataFrame,
    events: pl.DataFrame,
    *,
    now: dt.datetime,
) -> tuple[dict[str, Finding], int]:
    """All the checks on loaded frames; returns the findings and the in-flight count."""
    pending = events.filter(~pl.col("handled"))
    # Students whose events are not all applied (waiting, retrying or dead) are not
    # compared: their two sides may rightly differ for now. The waiting ones are in
    # flight; old and dead events are reported below.
    unsettled = set(pending.get_column("student_id").to_list())
    dead = set(events.filter(pl.col("dead")).get_column("student_id").to_list())
    in_flight = unsettled - dead
    settled = registry.lazy().filter(~pl.col("student_id").is_in(list(unsettled)))
    joined = settled.join(projection.lazy(), on="student_id", how="left")
    present = joined.filter(pl.col("applied_sequence").is_not_null())
    active_accounts = accounts.lazy().filter(pl.col("a_status") == "active")
    linked_indexes = active_accounts.select("registry_index").collect().to_series()
    # one plan, run together on all cores
    missing, stale, behind, raw_differs, candidates = pl.collect_all(
        [
            joined.filter(pl.col("applied_sequence").is_null()),
            present.filter(
                (pl.col("status") != pl.col("p_status"))
                | (pl.col("school_code") != pl.col("p_school_code"))
                | (pl.col("region_code") != pl.col("p_region_code"))
                | ~pl.col("class_id").eq_missing(pl.col("p_class_id"))
            ),
            present.filter(pl.col("applied_sequence") < pl.col("event_sequence")),
            active_accounts.join(
                settled, left_on="a_student_id", right_on="student_id", how="inner"
            ).filter(
                (pl.col("registry_index") != pl.col("registry_index_right"))
                | pl.any_horizontal(pl.col(f"a_{f}") != pl.col(f) for f in FIELDS)
            ),
            accounts.lazy()
            .filter(
                pl.col("a_status") == "pending",
                ~pl.col("registry_index").is_in(linked_indexes.implode()),
            )
            .join(settled, on="registry_index", how="inner"),
        ]
    )
    # rows whose raw text differs: the domain's normalised comparison decides
    active_mismatch = raw_differs.filter(
        pl.Series([not _same_five(row, "a_") for row in raw_differs.iter_rows(named=True)])
        if raw_differs.height
        else pl.lit(False)
    ).rename({"a_student_id": "student_id"})
    pending_matches = candidates.filter(
        pl.Series([_same_five(row, "a_") for row in candidates.iter_rows(named=True)])
        if candidates.height
        else pl.lit(False)
    ).unique(subset="registry_index", keep="first")

    never = pending.filter((pl.col("created_at") < now - GRACE) | pl.col("dead"))
    twice = events.filter(pl.col("apply_count") > 1)
    findings = {
        "projection_missing": _finding(missing, ["student_id"], "student_id"),
        "projection_stale": _finding(
            stale,
            ["student_id", "status", "p_status", "school_code", "p_school_code"],
            "student_id",
        ),
        "projection_behind": _finding(
            behind, ["student_id", "event_sequence", "applied_sequence"], "student_id"
        ),
        "active_account_mismatch": _finding(
            active_mismatch, ["account_id", "student_id"], "student_id"
        ),
        "pending_account_matches": _finding(
            pending_matches, ["account_id", "student_id"], "student_id"
        ),
        "events_never_applied": _finding(never, ["event_id", "student_id"], "student_id"),
        "events_applied_twice": _finding(
            twice, ["event_id", "student_id", "apply_count"], "student_id"
        ),
    }
    # these two are the consumer's to settle (retry, investigate), not the resync's
    findings["events_never_applied"].student_ids = []
    findings["events_applied_twice"].student_ids = []
    return findings, len(in_flight)


def _sqlite_frames(
    session: Session,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The four reads of a SQLite database, through ADBC in child processes (see
    ``xueji.sync.sqlite_snapshot`` for why not in this one), handed back as Arrow files.

    One reader per query, so they run on all cores. Each records the outbox's high-water
    mark (newest event, number handled) in its own snapshot; every registry change writes
    an event and every application stamps one, so equal marks mean the four snapshots saw
    the same state. If they differ (something changed during the read), one reader reads
    all four in a single snapshot."""
    database = session.get_bind().engine.url.database
    assert database
    with tempfile.TemporaryDirectory(prefix="xueji-reconcile-") as folder:
        _run_readers(database, folder, [[name] for name in QUERIES])
        marks = {(Path(folder) / f"{name}.mark").read_text() for name in QUERIES}
        if len(marks) != 1:
            _run_readers(database, folder, [list(QUERIES)])
        frames = [pl.read_ipc(Path(folder) / f"{name}.arrow") for name in QUERIES]
    return frames[0], frames[1], frames[2], frames[3]


def _run_readers(database: str, folder: str, groups: list[list[str]]) -> None:
    readers = [
        subprocess.Popen(
            [sys.executable, "-m", "xueji.sync.sqlite_snapshot", database, folder, *names],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for names in groups
    ]
    for reader in readers:
        _, error = reader.communicate()
        if reader.returncode:
            raise RuntimeError(f"reading the database failed: {error.decode()[-2000:]}")


def reconcile_committed(sessions: sessionmaker[Session], clock: Clock) -> Report:
    """The reconciliation operators and the daily job run, on the committed state in one
    snapshot: PostgreSQL in a repeatable-read transaction, SQLite through ADBC readers
    (see ``_sqlite_frames``)."""
    started = time.perf_counter()
    with transaction(sessions) as session:
        if session.get_bind().dialect.name == "sqlite":
            frames = _sqlite_frames(session)
        else:
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            frames = load(session)
    return _report(frames, clock, started)


def reconcile(session: Session, clock: Clock) -> Report:
    """The reconciliation inside the caller's transaction (sees its uncommitted work)."""
    return _report(load(session), clock, time.perf_counter())


def _report(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame],
    clock: Clock,
    started: float,
) -> Report:
    registry, projection, accounts, events = frames
    findings, in_flight = compare_frames(registry, projection, accounts, events, now=clock.now())
    return Report(
        students=registry.height,
        accounts=accounts.height,
        in_flight=in_flight,
        seconds=time.perf_counter() - started,
        findings=findings,
    )
