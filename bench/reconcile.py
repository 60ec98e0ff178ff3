"""Reconciliation speed and memory: ``xueji reconcile`` over N students with N accounts.

Seeds a fresh database directly (students with encrypted numbers and blind indexes, the
platform's projection, one account per student: 99 % active, 1 % pending with a typo in
the name) and puts in a known drift (every 1000th projection says "suspended"). Then, in a
fresh process each:

1. ``xueji reconcile --json`` as an operator runs it (wall time, start-up included);
2. the reconciliation in-process, with its own peak RSS (VmHWM) and that of the largest
   child it ran (the SQLite reader processes);
3. the bare polars comparison of the same rows: the whole registry and the active accounts
   joined on the five fields in one go, after loading — the floor the reconciliation,
   which compares batch by batch, is compared with.

The report must find exactly the drift that was put in.

    .venv/bin/python bench/reconcile.py [--rows 1000000] [--postgres URL]
                                        [--sqlite-only | --postgres-only]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).parent))
from bench_common import (
    SCHOOL,
    SCHOOL_NAME,
    XUEJI,
    container_for,
    create_school,
    drop_postgres,
    env_for,
    fresh_postgres,
)
from import_bench_data import GIVEN, SURNAMES, registry_numbers
from xueji.config import normalise_database_url
from xueji.db.crypto import keyring

CHUNK = 200_000
DRIFT_EVERY = 1000
PENDING_EVERY = 100
NOW = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hiZW5jaA$" + "A" * 43


def chunks(rows: int) -> Iterator[tuple[int, int]]:
    for start in range(0, rows, CHUNK):
        yield start, min(CHUNK, rows - start)


def generated(start: int, count: int) -> dict[str, list]:  # type: ignore[type-arg]
    numbers, births = registry_numbers(start + count)
    numbers, births = numbers[start:].tolist(), births[start:]
    index = np.arange(start, start + count)
    names = [
        SURNAMES[i % 20] + GIVEN[(i // 20) % len(GIVEN)] + GIVEN[(i // 400) % len(GIVEN)]
        for i in index
    ]
    ring = keyring()
    return {
        "id": (index + 1).tolist(),
        "number": numbers,
        "birth": [d.item() for d in births],
        "gender": ["1" if int(n[17]) % 2 else "2" for n in numbers],
        "name": names,
        "index": ring.lookup_index_many(numbers, purpose="registry_no"),
        "student_cipher": ring.encrypt_many(numbers, purpose="student.registry_no"),
        "account_cipher": ring.encrypt_many(numbers, purpose="student_account.registry_no"),
    }


def tables(g: dict[str, list], moment: object) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    students, projection, accounts, student_accounts = [], [], [], []
    for k, sid in enumerate(g["id"]):
        students.append(
            (sid, g["student_cipher"][k], g["index"][k], g["name"][k], g["gender"][k],
             g["birth"][k], SCHOOL, "enrolled", 1, moment, moment)
        )  # fmt: skip
        drift = sid % DRIFT_EVERY == 0
        projection.append((sid, "suspended" if drift else "enrolled", SCHOOL, "440604", 1, moment))
        accounts.append((sid, f"s{sid:08d}", "student", "", DUMMY_HASH, True, moment))
        pending = sid % PENDING_EVERY == 7
        name = ("王" if g["name"][k][0] != "王" else "李") + g["name"][k][1:]
        student_accounts.append(
            (sid, sid, f"s{sid:08d}", g["account_cipher"][k], g["index"][k],
             name if pending else g["name"][k], g["gender"][k], g["birth"][k], SCHOOL_NAME,
             "pending" if pending else "active", None if pending else sid,
             None if pending else g["index"][k], moment, None if pending else moment)
        )  # fmt: skip
    return {
        "students (id, registry_no, registry_no_index, name, gender, birth_date, school_code,"
        " status, event_sequence, created_at, updated_at)": students,
        "student_projection (student_id, status, school_code, region_code, applied_sequence,"
        " updated_at)": projection,
        "accounts (id, username, role, display_name, password_hash, is_active,"
        " created_at)": accounts,
        "student_accounts (id, account_id, student_no, registry_no, registry_index, name,"
        " gender, birth_date, school_name, status, student_id, active_registry_index,"
        " created_at, activated_at)": student_accounts,
    }


def seed(engine: Engine, rows: int) -> None:
    postgres = engine.dialect.name == "postgresql"
    moment: object = NOW if postgres else NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    for start, count in chunks(rows):  # one transaction per chunk: a bounded WAL
        with engine.begin() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            for target, values in tables(generated(start, count), moment).items():
                if postgres:
                    with (
                        driver.cursor() as cursor,
                        cursor.copy(f"COPY {target} FROM STDIN") as copy,
                    ):  # type: ignore[attr-defined]
                        for row in values:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" * len(values[0]))
                    driver.executemany(f"INSERT INTO {target} VALUES ({marks})", values)  # type: ignore[attr-defined]
    with engine.begin() as connection:
        if postgres:
            for table in ("accounts", "student_accounts"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {rows + 1})"
                )
            connection.exec_driver_sql("ANALYZE")


RECONCILE_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from bench_common import container_for
from xueji.sync.reconcile import service as reconcile
container = container_for(sys.argv[2], Path(sys.argv[3]))
started = time.perf_counter()
report = reconcile.reconcile_committed(container.sessions, container.clock)
elapsed = time.perf_counter() - started
import resource
hwm = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
readers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_mib": int(hwm) // 1024,
                  "reader_mib": readers // 1024}))
"""

#: the floor: the same rows, already in memory, joined on the five fields
BARE_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from bench_common import container_for
from xueji.db.scope import transaction
from xueji.sync.reconcile.read_postgres import load_batch
container = container_for(sys.argv[2], Path(sys.argv[3]))
from xueji.sync.reconcile.queries import WHOLE
with transaction(container.sessions) as session:
    registry, projection, accounts = load_batch(session.connection(), WHOLE)
keys = ["registry_index", "name", "gender", "birth_date", "school_name"]
right = accounts.rename({"a_name": "name", "a_gender": "gender", "a_birth_date": "birth_date",
                         "a_school_name": "school_name"})
started = time.perf_counter()
matched = registry.join(right, on=keys, how="inner").height
print(json.dumps({"bare": time.perf_counter() - started, "matched": matched}))
"""


def child(code: str, url: str, workdir: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent), url, str(workdir)],
        env=env_for(url, workdir),
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))


def measure(label: str, url: str, workdir: Path, rows: int) -> None:
    started = time.perf_counter()
    cli = subprocess.run(
        [str(XUEJI), "reconcile", "--json"],
        env=env_for(url, workdir),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    body = json.loads(cli.stdout)
    found = {k: v["count"] for k, v in body["disagreements"].items() if v["count"]}
    expected = {"projection_stale": rows // DRIFT_EVERY}
    assert found == expected and cli.returncode == 1, (found, expected, cli.returncode)
    result = child(RECONCILE_CHILD, url, workdir) | child(BARE_CHILD, url, workdir)
    readers = (
        f" (largest reader process {result['reader_mib']:,} MiB)" if result["reader_mib"] else ""
    )
    print(
        f"{label:<10} reconcile {rows:>11,} students + {rows:,} accounts:"
        f" `xueji reconcile` {wall:6.2f} s end to end (in-process {result['seconds']:.2f} s),"
        f" peak RSS {result['peak_mib']:,} MiB{readers} | bare polars five-field join of the same"
        f" rows {result['bare']:.2f} s (reconcile/bare {result['seconds'] / result['bare']:.1f}×)"
        f" | found exactly the {rows // DRIFT_EVERY:,} drifted projections"
    )


def run(label: str, url: str, rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        container = container_for(url, workdir)
        create_school(container)
        started = time.perf_counter()
        seed(container.engine, rows)
        seeded = time.perf_counter() - started
        print(f"{label:<10} seeded {rows:,} students and accounts in {seeded:.0f} s", flush=True)
        container.engine.dispose()
        measure(label, url, workdir, rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("XUEJI_TEST_POSTGRES_URL", ""))
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args()
    if not args.postgres_only:
        with tempfile.TemporaryDirectory() as folder:
            run("SQLite", f"sqlite:///{Path(folder) / 'reconcile.db'}", args.rows)
    if args.postgres and not args.sqlite_only:
        admin = normalise_database_url(args.postgres)
        url, name = fresh_postgres(admin)
        try:
            run("PostgreSQL", url, args.rows)
        finally:
            drop_postgres(admin, name)


if __name__ == "__main__":
    main()
