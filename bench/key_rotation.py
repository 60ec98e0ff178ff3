"""Rotating the master key of a school filled through the real import: how long the
whole rotation takes, and how long its last transaction — the one that holds the write
lock while every blind index and audit link moves to the new key — keeps writers
waiting. Beside them, in the same run, the floor: the same columns rewritten in place
by plain ``UPDATE … SET c = c`` statements (the writes alone, no cryptography).

    .venv/bin/python bench/key_rotation.py [--rows 100000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
from bench_common import SECRET, container_for, drop_postgres, fresh_postgres, seeded_registry
from xueji.config import Settings, normalise_database_url
from xueji.container import Container
from xueji.db.crypto import RotatingKeyring, keyring
from xueji.ops import key_columns, key_index_map, key_rotation

NEW_SECRET = "bench-new-key-" * 3


def floor(container: Container) -> tuple[float, float]:
    """Seconds to rewrite in place every ciphertext column (``SET c = c``, one transaction
    each) and, in one transaction as the switch does, every index column with new
    random 16-byte values: the writes alone, no cryptography."""
    postgres = container.engine.dialect.name == "postgresql"
    random16 = "decode(md5(random()::text), 'hex')" if postgres else "randomblob(16)"
    started = time.perf_counter()
    for sealed in key_columns.SEALED:
        with container.engine.begin() as connection:
            connection.execute(text(f"UPDATE {sealed.table} SET {sealed.column} = {sealed.column}"))
    middle = time.perf_counter()
    with container.engine.begin() as connection:
        for table, column, _ in key_columns.INDEXED:
            connection.execute(
                text(f"UPDATE {table} SET {column} = {random16} WHERE {column} IS NOT NULL")
            )
    return middle - started, time.perf_counter() - middle


def run(url: str, workdir: Path, rows: int, label: str) -> None:
    seeding = container_for(url, workdir)
    seeded_registry(seeding, workdir, rows)
    seeding.engine.dispose()
    rotating = Container.build(
        Settings(var_dir=workdir, database_url=url, secret_key=SECRET, new_secret_key=NEW_SECRET)
    )
    ring = keyring()
    assert isinstance(ring, RotatingKeyring)
    resealed_at = time.perf_counter()

    def batch_done() -> None:
        nonlocal resealed_at
        resealed_at = time.perf_counter()

    swept = 0.0
    sweep = key_index_map.sweep

    def timed_sweep(*args: Any) -> int:
        nonlocal swept
        began = time.perf_counter()
        try:
            return sweep(*args)
        finally:
            swept = time.perf_counter() - began

    key_index_map.sweep = timed_sweep  # type: ignore[assignment]
    started = time.perf_counter()
    result = key_rotation.rotate(
        rotating.sessions, rotating.clock, ring, batch=1000, after_batch=batch_done, grace=0
    )
    ended = time.perf_counter()
    assert not result.unmatched, result.unmatched
    # last, since it scrambles the indexes
    sealed_floor, index_floor = floor(rotating)
    key_index_map.sweep = sweep  # type: ignore[assignment]
    switch = ended - resealed_at - swept
    print(
        f"rotation    {rows:,} students ({result.rows:,} rows rewritten) in"
        f" {ended - started:.1f} s = {result.rows / (ended - started):,.0f} rows/s ({label})"
        f" | floor (the same columns rewritten, no cryptography):"
        f" {sealed_floor + index_floor:.1f} s"
    )
    print(
        f"switch      the last transaction (writers wait): {switch:.2f} s"
        f" | floor (every index column rewritten in one transaction): {index_floor:.2f} s"
    )
    print(f"sweep       the transaction after it (writers wait): {swept:.2f} s")
    rotating.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        if not args.postgres:
            run(f"sqlite:///{workdir / 'rotate.db'}", workdir, args.rows, "SQLite")
            return
        admin = normalise_database_url(args.postgres)
        url, name = fresh_postgres(admin)
        try:
            run(url, workdir, args.rows, "PostgreSQL")
        finally:
            drop_postgres(admin, name)


if __name__ == "__main__":
    main()
