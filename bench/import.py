"""Bulk import speed and memory.

Generates an N-row CSV (valid, unique students in the template layout), imports it into a
fresh, migrated database — fully validated, encrypted, indexed, audited and published, in
one transaction — and prints rows/s next to the plain insert of the same rows in the same
run (SQLite ``executemany`` with a text primary key; PostgreSQL ``COPY`` with a primary
key), and next to the floor of the data model (``import_floor``: the same students written
straight into the real tables with their indexes and constraints). Optionally measures
peak memory (RSS) of a child process importing a larger file, with the process that
prepares the file for it (a file over 8 MiB is read, checked and encrypted in a second
process while the first writes).

Each import runs before the baselines' rows are built: a million tuples held in the
bench's own heap would slow the import's garbage collection down, which no real importing
process has to bear.

    .venv/bin/python bench/import.py [--rows 1000000] [--postgres URL] [--memory-rows N]
    .venv/bin/python bench/import.py --layout national [--rows N] [--postgres URL] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_common import (
    container_for,
    create_school,
    drop_postgres,
    fresh_postgres,
    import_students,
)
from import_bench_data import plain_rows, write_file, write_national_file
from import_floor import floor_rows, write_floor
from xueji.config import normalise_database_url
from xueji.db.bulk import bulk_insert
from xueji.db.engine import make_engine
from xueji.registry.imports.helpers import HELPERS
from xueji.registry.imports.repository import NATIONAL_RECORD_COLUMNS


def import_once(database_url: str, csv: Path, workdir: Path) -> tuple[float, int]:
    elapsed, new, _cpu = import_measured(database_url, csv, workdir)
    return elapsed, new


def import_measured(database_url: str, csv: Path, workdir: Path) -> tuple[float, int, float]:
    """Seconds, new students, and the CPU seconds the import took in this process and in
    its helpers (a database server's own not counted)."""
    container = container_for(database_url, workdir)
    create_school(container)
    before = cpu_seconds()
    elapsed, new = import_students(container, csv)
    cpu = cpu_seconds() - before
    container.engine.dispose()
    return elapsed, new, cpu


def cpu_seconds() -> float:
    """User and system CPU of this process and of its children waited for."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def sqlite_baseline(rows: list[tuple[str, ...]], workdir: Path) -> float:
    engine = make_engine(f"sqlite:///{workdir / 'plain.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE plain (registry_no TEXT PRIMARY KEY, name, gender, birth, phone)"
        )
    start = time.perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO plain VALUES (?, ?, ?, ?, ?)", rows)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def postgres_baseline(url: str, rows: list[tuple[str, ...]]) -> float:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE plain (registry_no TEXT PRIMARY KEY, name TEXT, gender TEXT, "
            "birth TEXT, phone TEXT)"
        )
    start = time.perf_counter()
    with engine.begin() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy("COPY plain FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def report(
    label: str, rows: int, elapsed: float, baseline: float, floor: tuple[float, dict[str, float]]
) -> None:
    floor_s, tables = floor
    print(
        f"{label:<10} import {rows:>10,} rows in {elapsed:7.2f} s = {rows / elapsed:>9,.0f} rows/s"
        f" | plain insert {baseline:6.2f} s = {rows / baseline:>9,.0f} rows/s"
        f" | import/plain speed ratio {baseline / elapsed:.2f}"
        f"\n{'':<10} data-model floor {floor_s:6.2f} s = {rows / floor_s:>9,.0f} rows/s"
        f" ({', '.join(f'{table} {seconds:.2f} s' for table, seconds in tables.items())})"
        f" | import/floor speed ratio {floor_s / elapsed:.2f}"
        f" | floor/plain speed ratio {baseline / floor_s:.2f}"
    )


def floor_once(
    database_url: str, rows: dict[str, list[tuple[object, ...]]], workdir: Path
) -> tuple[float, dict[str, float]]:
    container = container_for(database_url, workdir)
    create_school(container)
    elapsed = write_floor(container, rows)
    container.engine.dispose()
    return elapsed


def peak_memory(rows: int, workdir: Path) -> None:
    """Import a ``rows``-row file in a fresh child process and print its own peak RSS
    (VmHWM), the peak of its largest helper (a large file is read, checked and encrypted
    by helper processes) and their sum over all helpers as an upper bound. Not the
    bench's RUSAGE_CHILDREN: a forked child starts out counting the parent's pages, and
    this parent has just generated the file."""
    csv = write_file(workdir / f"memory-{rows}.csv", rows)
    code = (
        "import sys, resource; from pathlib import Path; sys.path.insert(0, sys.argv[3]);"
        "import importlib; bench = importlib.import_module('import');"
        "elapsed, new = bench.import_once(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[4]));"
        "hwm = open('/proc/self/status').read().split('VmHWM:')[1].split()[0];"
        "helper = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(new, f'{elapsed:.1f}', int(hwm) // 1024, helper // 1024)"
    )
    child = workdir / "child"
    child.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            f"sqlite:///{child / 'memory.db'}",
            str(csv),
            str(Path(__file__).parent),
            str(child),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"the importing child failed:\n{done.stderr[-4000:]}")
    new_text, elapsed_text, peak_text, helper_text = done.stdout.split()
    new, elapsed = int(new_text), float(elapsed_text)
    peak_mib, helper_mib = int(peak_text), int(helper_text)
    bound = peak_mib + HELPERS * helper_mib
    print(
        f"memory     import {new:>10,} rows (SQLite) in {elapsed:.0f} s"
        f" = {new / elapsed:,.0f} rows/s, peak RSS: importing process {peak_mib:,} MiB,"
        f" largest of {HELPERS} helpers {helper_mib:,} MiB, all together at most {bound:,} MiB"
    )


def national(rows: int, postgres: str, rounds: int) -> None:
    """The same students imported from the template layout and from the national one,
    each into a fresh database, one after the other, ``rounds`` times in turn (on a
    shared machine one import can be slowed by a neighbour: each round is printed, and
    the fastest import of each layout compared); beside them the floor of what the
    national layout adds: its records (of the sizes the import wrote) inserted straight
    into ``national_records`` of the template's database."""
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        csv = write_file(workdir / "students.csv", rows)
        form = write_national_file(workdir / "national.csv", csv)
        targets = [("SQLite", lambda name: (f"sqlite:///{workdir / name}.db", None))]
        admin = normalise_database_url(postgres) if postgres else ""
        if postgres:
            targets.append(("PostgreSQL", lambda _name: fresh_postgres(admin)))
        for label, database in targets:
            seconds: dict[str, list[float]] = {"template": [], "national": []}
            cpu: dict[str, list[float]] = {"template": [], "national": []}
            floors = []
            for round_ in range(1, rounds + 1):
                urls, made = {}, []
                try:
                    for layout, path in (("template", csv), ("national", form)):
                        urls[layout], name = database(f"{layout}-{label}-{round_}")
                        made.append(name)
                        elapsed, new, used = import_measured(urls[layout], path, workdir)
                        seconds[layout].append(elapsed)
                        cpu[layout].append(used)
                        assert new == rows
                    floors.append(records_floor(urls["template"], urls["national"]))
                finally:
                    for name in made:
                        if name is not None:
                            drop_postgres(admin, name)
                _print_national(label, f"round {round_}", rows, seconds, floors, -1)
            _print_national(label, f"best of {rounds}", rows, seconds, floors, None)
            national_cpu, template_cpu = min(cpu["national"]), min(cpu["template"])
            cores = os.cpu_count() or 1
            print(
                f"{'':<21} CPU of the import and its helpers: national {national_cpu:6.2f} s,"
                f" template {template_cpu:6.2f} s (ratio {template_cpu / national_cpu:.2f});"
                f" on {cores} cores at best {national_cpu / cores:.2f} s and"
                f" {template_cpu / cores:.2f} s"
                + (" (the database server's own CPU not counted)" if label != "SQLite" else "")
            )


def _print_national(
    label: str,
    which: str,
    rows: int,
    seconds: dict[str, list[float]],
    floors: list[float],
    index: int | None,
) -> None:
    """One round's figures (``index``), or the fastest of each (None)."""
    pick = min if index is None else (lambda values: values[index])
    national_s, template_s, floor = (
        pick(seconds["national"]),
        pick(seconds["template"]),
        pick(floors),
    )
    print(
        f"{label:<10} {which:<10} national layout {rows:>10,} rows in {national_s:7.2f} s"
        f" = {rows / national_s:>9,.0f} rows/s | template {template_s:7.2f} s"
        f" = {rows / template_s:>9,.0f} rows/s | national/template speed ratio"
        f" {template_s / national_s:.2f}\n{'':<21} national − template"
        f" {national_s - template_s:6.2f} s; its floor (the records alone written"
        f" into national_records) {floor:6.2f} s"
    )


def records_floor(template_url: str, national_url: str) -> float:
    """Seconds to insert, in one transaction, one national record per student of the
    template's database, with random ciphertexts of the average sizes the national
    import wrote."""
    national = make_engine(national_url)
    with national.connect() as connection:
        plain, secret = connection.exec_driver_sql(
            "SELECT avg(length(record)), avg(length(sensitive)) FROM national_records"
        ).one()
    national.dispose()
    engine = make_engine(template_url)
    with engine.connect() as connection:
        ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM students")]
    now = "2026-11-29 00:00:00+00:00"
    values = [(i, os.urandom(int(plain)), os.urandom(int(secret)), now) for i in ids]
    start = time.perf_counter()
    with engine.begin() as connection:
        bulk_insert(connection, "national_records", NATIONAL_RECORD_COLUMNS, values)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("XUEJI_TEST_POSTGRES_URL", ""))
    parser.add_argument("--memory-rows", type=int, default=0)
    parser.add_argument(
        "--layout",
        choices=("template", "national"),
        default="template",
        help="national: also import the same students in the national layout (94 columns) "
        "and print its speed beside the template's",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="with --layout national: import both layouts this many times in turn",
    )
    args = parser.parse_args()
    if args.layout == "national":
        national(args.rows, args.postgres, args.rounds)
        return
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        csv = write_file(workdir / "students.csv", args.rows)
        elapsed, new = import_once(f"sqlite:///{workdir / 'import.db'}", csv, workdir)
        pg_import = None
        if args.postgres:
            admin = normalise_database_url(args.postgres)
            url, name = fresh_postgres(admin)
            try:
                pg_import = import_once(url, csv, workdir)
            finally:
                drop_postgres(admin, name)
        rows = plain_rows(csv)
        floor = floor_rows(rows)
        baseline = sqlite_baseline(rows, workdir)
        floor_s = floor_once(f"sqlite:///{workdir / 'floor.db'}", floor, workdir)
        report("SQLite", new, elapsed, baseline, floor_s)
        if pg_import is not None:
            for purpose in ("plain", "floor"):
                url, name = fresh_postgres(admin)
                try:
                    if purpose == "plain":
                        baseline = postgres_baseline(url, rows)
                    else:
                        floor_s = floor_once(url, floor, workdir)
                finally:
                    drop_postgres(admin, name)
            report("PostgreSQL", pg_import[1], pg_import[0], baseline, floor_s)
        if args.memory_rows:
            peak_memory(args.memory_rows, workdir)


if __name__ == "__main__":
    main()
