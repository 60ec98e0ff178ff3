"""Term start: how long after a large import commits the platform has caught up.

Imports N generated students into a fresh, migrated database through the real importer,
then starts ``--workers`` ``xueji worker`` processes (the loop ``xueji serve`` runs on
SQLite) and times, from the import's commit, until every event is applied: projections,
account refreshes, parent bindings. Beside it, in the same run, the floor: the same
projection rows written in one ``INSERT … SELECT`` into a table of the same shape.

    .venv/bin/python bench/drain.py [--rows 1000000] [--postgres URL] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).parent))
from bench_common import (
    container_for,
    create_school,
    drop_postgres,
    env_for,
    fresh_postgres,
    import_students,
    start,
    stop,
)
from import_bench_data import write_file
from xueji.config import normalise_database_url
from xueji.container import Container
from xueji.platform.models import StudentProjection
from xueji.sync.models import OutboxEvent

FLOOR_TABLE = """CREATE TABLE projection_floor (
    student_id INTEGER PRIMARY KEY, status VARCHAR(16), school_code VARCHAR(10),
    region_code VARCHAR(6), class_id INTEGER, applied_sequence INTEGER,
    updated_at TIMESTAMP WITH TIME ZONE)"""
FLOOR_INSERT = """INSERT INTO projection_floor
    SELECT s.id, s.status, s.school_code, sc.region_code, s.class_id, 1, s.created_at
    FROM students s JOIN schools sc ON sc.code = s.school_code"""


def unhandled(container: Container, last: int) -> int:
    """The import's events (ids up to ``last``) not applied yet. Later events are not
    waited for: an idle worker's first daily reconciliation may publish some."""
    with container.engine.connect() as connection:
        return int(
            connection.scalar(
                select(func.count()).where(
                    OutboxEvent.id <= last,
                    OutboxEvent.handled_at.is_(None),
                    OutboxEvent.dead_at.is_(None),
                )
            )
            or 0
        )


def drain(url: str, workdir: Path, container: Container, workers: int, last: int) -> float:
    """Seconds from now (the import just committed) until its events are applied."""
    started = time.perf_counter()
    processes = [
        start(["worker"], env_for(url, workdir), workdir / f"worker-{n}.log")
        for n in range(workers)
    ]
    try:
        while unhandled(container, last):
            if any(p.poll() is not None for p in processes):
                raise RuntimeError("a worker exited; see its log in " + str(workdir))
            time.sleep(0.1)
        return time.perf_counter() - started
    finally:
        stop(*processes)


def floor(container: Container) -> float:
    with container.engine.begin() as connection:
        connection.execute(text(FLOOR_TABLE))
    started = time.perf_counter()
    with container.engine.begin() as connection:
        connection.execute(text(FLOOR_INSERT))
    return time.perf_counter() - started


def check(container: Container, students: int, last: int) -> None:
    """Every student projected, every event of the import applied exactly once."""
    with container.engine.connect() as connection:
        projected = connection.scalar(select(func.count()).select_from(StudentProjection))
        counts = set(
            connection.scalars(
                select(OutboxEvent.apply_count).where(OutboxEvent.id <= last).distinct()
            )
        )
    assert projected == students, (projected, students)
    assert counts == {1}, counts


def run(url: str, workdir: Path, rows: int, workers: int, label: str) -> None:
    container = container_for(url, workdir)
    create_school(container)
    csv = write_file(workdir / "term.csv", rows)
    seconds, new = import_students(container, csv)
    with container.engine.connect() as connection:
        events = int(connection.scalar(select(func.count()).select_from(OutboxEvent)) or 0)
        last = int(connection.scalar(select(func.max(OutboxEvent.id))) or 0)
    print(f"import      {new:,} rows in {seconds:.1f} s = {new / seconds:,.0f} rows/s ({label})")
    caught_up = drain(url, workdir, container, workers, last)
    check(container, new, last)
    bulk = floor(container)
    print(
        f"drain       {new:,} students ({events:,} events) applied {caught_up:.1f} s after the"
        f" import committed = {new / caught_up:,.0f} students/s with {workers} worker(s)"
        f" | floor (one INSERT … SELECT of the projection): {bulk:.1f} s ="
        f" {new / bulk:,.0f} rows/s | {bulk / caught_up:.2f} of the floor"
    )
    container.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="")
    parser.add_argument("--workers", type=int, default=0, help="默认 SQLite 1 个，PostgreSQL 2 个")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        if not args.postgres:
            url = f"sqlite:///{workdir / 'drain.db'}"
            run(url, workdir, args.rows, args.workers or 1, "SQLite")
            return
        admin = normalise_database_url(args.postgres)
        url, name = fresh_postgres(admin)
        try:
            run(url, workdir, args.rows, args.workers or 2, "PostgreSQL")
        finally:
            drop_postgres(admin, name)


if __name__ == "__main__":
    main()
