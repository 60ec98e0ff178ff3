"""Sign-ins and capability checks over HTTP, with wrk, against ``xueji serve`` on
PostgreSQL (one process per core) or, without ``--postgres``, on SQLite (one process).

Fills a fresh database through the real import and the real registration (every account
activated on an exact five-field match), starts ``xueji serve --workers N``, then drives:

1. ``POST /api/v1/session`` with the registry number (G + ID) and password of the
   accounts in turn — each a full argon2id verification (m=19 MiB, t=2, p=1);
2. ``GET /api/v1/me/capabilities`` with the accounts' bearer tokens in turn.

Each figure is printed beside its ceiling measured in the same run, so it travels between
machines: sign-ins beside the argon2id ceiling (the cores divided by one verification's
CPU time) and beside what the cores give when they all verify at once (measured: hashes
side by side run slower than one alone); capability checks beside the app's own ceiling
(the same stack, the same connections, answering ``GET /api/v1/health``, which touches
no database).

wrk runs on the same machine and takes CPU from the service; the figures are therefore
a lower bound. The sign-in figure is the median of three runs. Needs Debian's ``wrk``.

    .venv/bin/python bench/serve.py [--postgres URL] [--accounts 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from bench_common import (
    SCHOOL_NAME,
    container_for,
    drop_postgres,
    env_for,
    free_port,
    fresh_postgres,
    seeded_registry,
    start,
    stop,
    wait_until_up,
)
from xueji.app import apply_registry_events
from xueji.auth import service as auth
from xueji.config import normalise_database_url
from xueji.db.scope import transaction
from xueji.domain.errors import XuejiError
from xueji.platform import consent, service
from xueji.registry import activation as sheet_codes
from xueji.registry.lookup import lookup
from xueji.sync.worker import run_once

PASSWORD = "bench password 2026"


def _student_id(session, registry_no: str) -> int:  # type: ignore[no-untyped-def]
    record = lookup(session, registry_no=registry_no)
    assert record is not None
    return record.student_id


def register_accounts(container, csv: Path, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Registers ``count`` students exactly as the registry holds them; their numbers."""
    frame = pl.read_csv(csv, infer_schema=False, n_rows=count)
    numbers = []
    for index, row in enumerate(frame.iter_rows(named=True)):
        with transaction(container.sessions) as session:
            registration = service.register(
                session,
                container.clock,
                student_no=f"bench{index:06d}",
                password=PASSWORD,
                client=f"10.0.{index // 250}.{index % 250}",
                entered=service.Entered(
                    registry_no=row["学籍号"],
                    name=row["姓名"],
                    gender="1" if row["性别"] == "男" else "2",
                    birth_date=dt.date.fromisoformat(row["出生日期"]),
                    school_name=SCHOOL_NAME,
                ),
            )
            assert isinstance(registration, service.Registration), registration
            assert registration.status == "awaiting_guardian", registration.mismatches
            student = auth.principal_by_username(session, f"bench{index:06d}")
            assert student is not None
            code = sheet_codes.issue(
                session,
                container.clock,
                student_id=_student_id(session, row["学籍号"]),
                issued_by=None,
            )
            verified = consent.verify(session, container.clock, student, code=code)
            assert not isinstance(verified, XuejiError), verified
        numbers.append(row["学籍号"])
    while run_once(container.sessions, container.clock, apply_registry_events):
        pass
    return numbers


def lua_table(values: list[str]) -> str:
    return "{" + ",".join(json.dumps(v) for v in values) + "}"


SIGN_IN_SCRIPT = """
local names = %s
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i %% #names + 1
  return wrk.format(nil, "/api/v1/session", nil,
    '{"username":"' .. names[i] .. '","password":"%s"}')
end
"""

CAPABILITIES_SCRIPT = """
local tokens = %s
local i = 0
request = function()
  i = i %% #tokens + 1
  return wrk.format("GET", "/api/v1/me/capabilities", {["Authorization"] = "Bearer " .. tokens[i]})
end
"""


def wrk(base: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    done = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert match, out
        return float(match.group(1)) * units[match.group(2)]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": latency("50%"),
        "p99": latency("99%"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "socket_errors": 1.0 if socket_errors else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("XUEJI_TEST_POSTGRES_URL", ""))
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--workers", type=int, default=0, help="默认 PostgreSQL 每核一个，SQLite 一个"
    )
    parser.add_argument("--only", choices=("sign-in", "capabilities"), default=None)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("需要 wrk（apt install wrk）")
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        if not args.postgres:
            args.workers = args.workers or 1
            serve(f"sqlite:///{workdir / 'serve.db'}", workdir, args)
            return
        args.workers = args.workers or os.cpu_count() or 1
        admin = normalise_database_url(args.postgres)
        url, name = fresh_postgres(admin)
        try:
            serve(url, workdir, args)
        finally:
            drop_postgres(admin, name)


def serve(url: str, workdir: Path, args: argparse.Namespace) -> None:
    """Fill the database, start ``xueji serve`` on it, and measure."""
    container = container_for(url, workdir)
    csv = seeded_registry(container, workdir, args.students)
    numbers = register_accounts(container, csv, args.accounts)
    container.engine.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(
        ["serve", "--port", str(port), "--workers", str(args.workers)],
        env_for(url, workdir),
        workdir / "serve.log",
    )
    try:
        wait_until_up(base, server)
        run(base, workdir, numbers, args)
    finally:
        stop(server)


def argon2_cost_ms(rounds: int = 20) -> float:
    """CPU time of one password verification at the service's cost, on this machine."""
    from xueji.auth import passwords

    stored = passwords.hash_password(PASSWORD)
    started = time.process_time()
    for _ in range(rounds):
        passwords.verify_password(stored, PASSWORD)
    return (time.process_time() - started) / rounds * 1000


def argon2_together_rate(threads: int, rounds: int = 15) -> float:
    """Verifications per second with ``threads`` of them running at once (the hash
    releases the GIL): what the cores really give when they all hash — memory-hard
    hashes side by side share the memory bus and caches, so this is below ``threads``
    times one verification's rate."""
    from concurrent.futures import ThreadPoolExecutor

    from xueji.auth import passwords

    stored = passwords.hash_password(PASSWORD)

    def verify(_: int) -> bool:
        return passwords.verify_password(stored, PASSWORD)

    with ThreadPoolExecutor(threads) as pool:
        started = time.perf_counter()
        list(pool.map(verify, range(threads * rounds)))
        return threads * rounds / (time.perf_counter() - started)


def run(base: str, workdir: Path, numbers: list[str], args: argparse.Namespace) -> None:
    cores = os.cpu_count() or 1
    cost = argon2_cost_ms()
    together = argon2_together_rate(cores)
    print(
        f"argon2id    {cost:6.1f} ms CPU per verification here: at most"
        f" {1000 / cost:5.1f} sign-ins/s per core if hashing were the only work;"
        f" {cores} verifications at once: {together:5.1f} /s in all"
        f" ({together / (cores * 1000 / cost):.2f} of {cores} × one)"
    )
    if args.only != "capabilities":
        sign_in = workdir / "sign_in.lua"
        sign_in.write_text(SIGN_IN_SCRIPT % (lua_table(numbers), PASSWORD))
        runs = sorted(
            (wrk(base, sign_in, args.seconds, connections=8) for _ in range(3)),
            key=lambda run: run["rps"],
        )
        result = runs[1]  # the median of three: the machine is shared
        each = ", ".join(f"{run['rps']:.1f}" for run in runs)
        hash_ceiling = cores * 1000 / cost
        print(
            f"sign-in      {result['rps']:8.1f} /s over HTTP = {result['rps'] / cores:6.1f} /s"
            f" per core ({cores} cores, {args.workers} serve processes; median of 3 runs:"
            f" {each}) | p50"
            f" {result['p50']:.0f} ms, p99 {result['p99']:.0f} ms"
            f" | non-2xx {sum(run['non_2xx'] for run in runs):.0f}"
            f" | {result['rps'] / hash_ceiling:.2f} of the argon2id ceiling"
            f" ({hash_ceiling:.1f} /s on {cores} cores),"
            f" {result['rps'] / together:.2f} of the {cores} cores hashing at once"
            f" ({together:.1f} /s)"
        )
    if args.only == "sign-in":
        return
    tokens = []
    for number in numbers:
        signed = httpx.post(
            base + "/api/v1/session", json={"username": number, "password": PASSWORD}
        )
        signed.raise_for_status()
        tokens.append(signed.json()["token"])
    check = httpx.get(
        base + "/api/v1/me/capabilities", headers={"Authorization": f"Bearer {tokens[0]}"}
    ).json()
    assert check["linked"] and check["status"] == "enrolled", check
    capabilities = workdir / "capabilities.lua"
    capabilities.write_text(CAPABILITIES_SCRIPT % lua_table(tokens))
    health = workdir / "health.lua"
    health.write_text('wrk.path = "/api/v1/health"\n')
    for connections in (32, 8, 2):
        top = wrk(base, health, args.seconds, connections=connections)
        result = wrk(base, capabilities, args.seconds, connections=connections)
        print(
            f"capabilities {result['rps']:8.1f} requests/s with {connections:2} connections"
            f" | p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms"
            f" | non-2xx {result['non_2xx']:.0f}"
            f" | app ceiling (GET /api/v1/health) {top['rps']:.1f} /s, p99 {top['p99']:.1f} ms"
            f" | {result['rps'] / top['rps']:.2f} of the ceiling"
        )


if __name__ == "__main__":
    main()
