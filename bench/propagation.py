"""Propagation: from a registry change to the platform's capability change, under a
sustained stream of changes, with ``xueji worker`` processes on PostgreSQL.

Fills a fresh database through the real import, starts N ``xueji worker`` processes,
then makes ``--rate`` enrollment changes per second (suspend / resume in turn, through
the registry's own service: audited, evented) for ``--seconds``. With ``--backlog N`` an
import of N more students commits just before the changes start, so they are made while
the platform applies that import (term start); the time the backlog took is printed too.
Every event's delay (``lag_ms``: registry commit to the platform's projection — the
capability source — updated, in the same transaction) is read back; the run also checks
that every event was applied once and that the reconciliation finds both sides in
agreement.

    .venv/bin/python bench/propagation.py --postgres URL [--rate 100] [--seconds 60]
        [--backlog 1000000 --rate 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))
from bench_common import (
    SCHOOL,
    container_for,
    drop_postgres,
    env_for,
    fresh_postgres,
    import_students,
    seeded_registry,
    start,
    stop,
)
from import_bench_data import write_file
from xueji.auth.service import Principal
from xueji.config import normalise_database_url
from xueji.container import Container
from xueji.db.scope import transaction
from xueji.domain.enrollment import ChangeKind
from xueji.registry.enrollment import service as enrollment
from xueji.sync.models import OutboxEvent
from xueji.sync.ops import percentile
from xueji.sync.reconcile import service as reconcile


def wait_for_empty_queue(container: Container, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with container.engine.connect() as connection:
            left = connection.scalar(select(func.count()).where(OutboxEvent.handled_at.is_(None)))
        if not left:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{left} events still pending")
        time.sleep(0.2)


def drive_one(
    url: str, workdir: Path, numbers: list[str], rate: float, seconds: float, started: float
) -> tuple[int, float]:
    """One driver process: ``rate`` changes per second on a fixed schedule (a late change
    is made at once, not skipped). Processes, not threads, so the drivers are not the
    bottleneck of the measurement."""
    container = container_for(url, workdir)
    operator = Principal.operator(school_code=SCHOOL, name="bench")
    step = 0
    cpu = time.process_time()
    while True:
        due = started + step / rate
        if due - started >= seconds:
            return step, time.process_time() - cpu
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        number = numbers[step % len(numbers)]
        kind = ChangeKind.SUSPEND if (step // len(numbers)) % 2 == 0 else ChangeKind.RESUME
        with transaction(container.sessions) as session:
            enrollment.change_enrollment(
                session, container.clock, operator, registry_no=number, kind=kind, reason="压测"
            )
        step += 1


def drive(
    url: str, workdir: Path, numbers: list[str], rate: float, seconds: float, drivers: int
) -> tuple[int, float]:
    """``rate`` changes per second in all, from ``drivers`` processes (each its own
    students). Returns (changes, seconds). The drivers share the machine with the
    workers and PostgreSQL: their own CPU per change is printed, since on a small machine
    producing the changes competes with applying them."""
    started = time.time() + 2  # all drivers start on the same tick
    with ProcessPoolExecutor(drivers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(
                drive_one, url, workdir, numbers[i::drivers], rate / drivers, seconds, started
            )
            for i in range(drivers)
        ]
        results = [f.result() for f in futures]
    changes, cpu = sum(r[0] for r in results), sum(r[1] for r in results)
    print(f"drivers     {cpu / changes * 1000:.1f} ms CPU per registry change (audited, evented)")
    return changes, time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("XUEJI_TEST_POSTGRES_URL", ""))
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--drivers", type=int, default=2)
    parser.add_argument("--backlog", type=int, default=0, help="变更开始前导入的学生数")
    args = parser.parse_args()
    if not args.postgres:
        sys.exit("需要 --postgres URL（或 XUEJI_TEST_POSTGRES_URL）")
    admin = normalise_database_url(args.postgres)
    url, name = fresh_postgres(admin)
    try:
        with tempfile.TemporaryDirectory() as folder:
            workdir = Path(folder)
            container = container_for(url, workdir)
            csv = seeded_registry(container, workdir, args.students)
            numbers = pl.read_csv(csv, infer_schema=False).get_column("学籍号").to_list()
            workers = [
                start(["worker"], env_for(url, workdir), workdir / f"worker-{n}.log")
                for n in range(args.workers)
            ]
            try:
                wait_for_empty_queue(container)  # the import's events
                committed = backlog(container, workdir, args.backlog)
                with container.engine.connect() as connection:
                    first = int(connection.scalar(select(func.max(OutboxEvent.id))) or 0)
                changes, elapsed = drive(
                    url, workdir, numbers, args.rate, args.seconds, args.drivers
                )
                wait_for_empty_queue(container, seconds=900)
            finally:
                stop(*workers)
            report(container, first, changes, elapsed, args)
            if committed is not None:
                report_backlog(container, first, committed, args.backlog)
    finally:
        drop_postgres(admin, name)


def backlog(container: Container, workdir: Path, students: int) -> dt.datetime | None:
    """Import ``students`` more (other numbers: another county); returns when it committed."""
    if not students:
        return None
    csv = write_file(workdir / "backlog.csv", students, region="440606")
    seconds, new = import_students(container, csv)
    print(f"backlog     {new:,} students imported in {seconds:.1f} s; changes start now")
    return dt.datetime.now(dt.UTC)


def report_backlog(container: Container, first: int, committed: dt.datetime, students: int) -> None:
    with container.engine.connect() as connection:
        done = connection.scalar(
            select(func.max(OutboxEvent.handled_at)).where(
                OutboxEvent.id <= first, OutboxEvent.last_student_id.is_not(None)
            )
        )
    assert done is not None
    print(
        f"backlog     {students:,} imported students applied"
        f" {(done - committed).total_seconds():.1f} s after the import committed,"
        f" while the changes above went through"
    )


def report(
    container: Container, first: int, changes: int, elapsed: float, args: argparse.Namespace
) -> None:
    with transaction(container.sessions) as session:
        rows = session.execute(
            select(OutboxEvent.lag_ms, OutboxEvent.apply_count).where(OutboxEvent.id > first)
        ).all()
        agreement = reconcile.reconcile(session, container.clock)
    lags = [int(lag) for lag, _ in rows]
    assert len(rows) == changes, (len(rows), changes)
    assert all(count == 1 for _, count in rows), "an event was applied more than once"
    print(
        f"propagation {changes:,} changes in {elapsed:.1f} s = {changes / elapsed:.1f} changes/s"
        f" with {args.workers} workers on PostgreSQL | registry commit → capability source"
        f" updated: p50 {percentile(lags, 0.5)} ms, p95 {percentile(lags, 0.95)} ms,"
        f" p99 {percentile(lags, 0.99)} ms, max {max(lags)} ms | every event applied once;"
        f" reconciliation agrees: {agreement.agree}"
    )


if __name__ == "__main__":
    main()
