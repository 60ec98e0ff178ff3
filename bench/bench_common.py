"""What several benchmarks share: throw-away PostgreSQL databases, a migrated container,
and a school filled through the real import."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from import_bench_data import write_file
from xueji.auth.service import Principal
from xueji.config import Settings
from xueji.container import Container
from xueji.db import migrate
from xueji.db.engine import make_engine
from xueji.db.scope import transaction
from xueji.domain.roles import Role
from xueji.registry import schools
from xueji.registry.imports.service import run_import

SCHOOL = "1144060401"
SCHOOL_NAME = "佛山市禅城区海口小学"
SECRET = "bench-key-" * 4
XUEJI = Path(sys.executable).parent / "xueji"


def fresh_postgres(admin_url: str) -> tuple[str, str]:
    name = f"xueji_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(False), name


def drop_postgres(admin_url: str, name: str) -> None:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def container_for(database_url: str, workdir: Path) -> Container:
    container = Container.build(
        Settings(var_dir=workdir, database_url=database_url, secret_key=SECRET)
    )
    migrate.upgrade(container.engine)
    return container


def create_school(container: Container) -> None:
    platform = Principal(None, "bench", Role.PLATFORM_ADMIN, None, None, "bench")
    with transaction(container.sessions) as session:
        schools.create_school(
            session,
            container.clock,
            platform,
            school_code=SCHOOL,
            name=SCHOOL_NAME,
            region_code="440604",
        )


def import_students(container: Container, csv: Path) -> tuple[float, int]:
    """Imports the file for the school through the real importer; (seconds, new rows)."""
    operator = Principal.operator(school_code=SCHOOL, name="bench")
    start = time.perf_counter()
    with transaction(container.sessions) as session:
        result = run_import(
            session,
            container.clock,
            operator,
            school_code=SCHOOL,
            path=csv,
            filename=csv.name,
            dry_run=False,
        )
    assert result.rejected == 0, result.errors[:3]
    return time.perf_counter() - start, result.new


def seeded_registry(container: Container, workdir: Path, students: int) -> Path:
    """A school with ``students`` imported students; returns the CSV they came from."""
    create_school(container)
    csv = write_file(workdir / "students.csv", students)
    import_students(container, csv)
    return csv


def env_for(database_url: str, workdir: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
    env.update(XUEJI_DATABASE_URL=database_url, XUEJI_SECRET_KEY=SECRET, XUEJI_VAR_DIR=str(workdir))
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:
        return subprocess.Popen(
            [str(XUEJI), *args], env=env, stdout=handle, stderr=subprocess.STDOUT
        )


def wait_until_up(base: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("xueji serve exited early")
        try:
            httpx.get(base + "/login", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("xueji serve did not start")


def stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        process.wait(timeout=30)
