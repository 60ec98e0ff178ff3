"""Fifty concurrent clients sending a busy school's mix (sign-ins right and wrong,
registrations, SMS codes, corrections, enrollment changes, revealed reads) to
``xueji serve``: on SQLite (one process, as ``make run`` starts it) and on PostgreSQL
(``--workers 2``). Prints requests/s, p50 and p99 of the mix, the number of server
errors, and — measured in the same run, with the same clients — the app's own ceiling:
the same stack answering a page that touches no database (``GET /login``), and the mix's
own ceiling: the password hashes it needs (sign-ins and registrations, each an argon2id
hash of about the same cost) at this machine's hashing rate on all cores, measured in the
same run.

The mix is ``tests/load_mix.py``, the same the concurrency test drives. The clients run
on the same machine and take CPU from the service: the figures are a lower bound.

    .venv/bin/python bench/concurrency.py [--clients 50] [--seconds 30] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the mix lives in tests/
from tests.load_mix import Outcome, drive

from bench_common import (
    drop_postgres,
    env_for,
    free_port,
    fresh_postgres,
    start,
    stop,
    wait_until_up,
)
from xueji.config import normalise_database_url


async def ceiling(base: str, clients: int, seconds: float) -> Outcome:
    """The same clients asking for the sign-in page: no database, the app's own cost."""
    outcome = Outcome()

    async def client(http: httpx.AsyncClient, deadline: float) -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            answer = await http.get("/login")
            outcome.latencies_ms.append((time.perf_counter() - started) * 1000)
            outcome.statuses[("login_page", answer.status_code)] += 1

    limits = httpx.Limits(max_connections=clients + 5, max_keepalive_connections=clients + 5)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        started = time.monotonic()
        await asyncio.gather(*(client(http, started + seconds) for _ in range(clients)))
        outcome.seconds = time.monotonic() - started
    return outcome


HASHING = ("signin_ok", "signin_wrong", "register")


def hash_seconds(rounds: int = 10) -> float:
    """CPU time of one argon2id verification at the service's cost, on this machine."""
    from xueji.auth import passwords

    stored = passwords.hash_password("bench password 2026")
    started = time.process_time()
    for _ in range(rounds):
        passwords.verify_password(stored, "bench password 2026")
    return (time.process_time() - started) / rounds


def hashing_ceiling(outcome: Outcome, seconds_per_hash: float, parallel: int) -> float:
    """Requests/s the mix could reach were hashing its only cost."""
    hashed = sum(n for (name, _), n in outcome.statuses.items() if name in HASHING)
    share = hashed / max(1, outcome.requests)
    return parallel / (seconds_per_hash * share) if share else float("inf")


def line(label: str, outcome: Outcome) -> str:
    errors = sum(n for (_, status), n in outcome.statuses.items() if status >= 500)
    return (
        f"  {label:<8} {outcome.requests / outcome.seconds:8.1f} requests/s"
        f"   p50 {outcome.percentile_ms(0.5):7.1f} ms   p99 {outcome.percentile_ms(0.99):7.1f} ms"
        f"   5xx {errors}"
    )


def run(label: str, database_url: str, workdir: Path, args: argparse.Namespace) -> None:
    env = {**env_for(database_url, workdir), "XUEJI_TRUSTED_PROXIES": "127.0.0.1"}
    for command in (["db", "upgrade"], ["demo", "load"]):
        done = start(command, env, workdir / "setup.log")
        assert done.wait(timeout=300) == 0, (workdir / "setup.log").read_text()
    port = free_port()
    extra = ["--workers", "2"] if database_url.startswith("postgresql") else []
    server = start(["serve", "--port", str(port), *extra], env, workdir / "serve.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        top = asyncio.run(ceiling(base, args.clients, args.seconds))
        mix, _ = asyncio.run(drive(base, clients=args.clients, seconds=args.seconds))
    finally:
        stop(server)
    per_hash = hash_seconds()
    parallel = os.cpu_count() or 1
    hashes = hashing_ceiling(mix, per_hash, parallel)
    rate = mix.requests / mix.seconds
    print(f"{label} ({args.clients} clients, {args.seconds:.0f} s each):")
    print(line("ceiling", top))
    print(line("mix", mix))
    print(f"  mix / app ceiling: {rate / (top.requests / top.seconds):.2f}")
    print(
        f"  hashing ceiling of the mix: {hashes:.1f} requests/s (argon2id {per_hash * 1000:.1f}"
        f" ms × {parallel}); mix / hashing ceiling: {rate / hashes:.2f}"
    )
    shown = sorted(mix.statuses.items())
    print("  answers: " + ", ".join(f"{name} {status}: {n}" for (name, status), n in shown))
    if mix.unexpected:
        print(f"  UNEXPECTED ANSWERS: {len(mix.unexpected)}, e.g. {mix.unexpected[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "XUEJI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'xueji.db'}", Path(folder), args)
    admin_url = normalise_database_url(args.postgres)
    url, name = fresh_postgres(admin_url)
    try:
        with tempfile.TemporaryDirectory() as folder:
            run("PostgreSQL", url, Path(folder), args)
    finally:
        drop_postgres(admin_url, name)


if __name__ == "__main__":
    main()
