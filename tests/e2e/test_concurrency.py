"""Fifty clients at once against ``xueji serve``, as at the start of a school day: on
SQLite (one process, as ``make run`` starts it) and on PostgreSQL (two processes). No
answer is a server error, and every write that was acknowledged is there afterwards."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import TEST_MASTER_KEY
from tests.databases import migrated_engine
from tests.e2e.conftest import XUEJI, _free_port, _wait_until_up, cli_env
from tests.load_mix import drive, registry_values
from xueji.db.engine import make_engine, make_session_factory
from xueji.db.scope import transaction
from xueji.platform.models import StudentAccount

CLIENTS = 50
SECONDS = 30


def _serve(env: dict[str, str], var_dir: Path, *extra: str) -> Iterator[str]:
    """A migrated instance with the demo loaded, trusting 127.0.0.1 as its proxy."""
    env = {**env, "XUEJI_TRUSTED_PROXIES": "127.0.0.1"}
    for command in (("db", "upgrade"), ("demo", "load")):
        done = subprocess.run([str(XUEJI), *command], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    port = _free_port()
    with (var_dir / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [str(XUEJI), "serve", "--port", str(port), *extra],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _check(base: str, database_url: str) -> None:
    outcome, students = asyncio.run(drive(base, clients=CLIENTS, seconds=SECONDS))
    assert outcome.unexpected == []
    assert not any(status >= 500 for _, status in outcome.statuses)
    writes = sum(n for (name, status), n in outcome.statuses.items() if status < 300)
    assert writes > CLIENTS  # the mix did real work, not only refusals
    held = asyncio.run(registry_values(base, students))
    assert held == [(s.name, s.status) for s in students]
    engine = make_engine(database_url)
    try:
        with transaction(make_session_factory(engine, writes=False)) as session:
            kept = set(
                session.scalars(
                    select(StudentAccount.student_no).where(
                        StudentAccount.student_no.in_(outcome.registered)
                    )
                )
            )
    finally:
        engine.dispose()
    assert kept == set(outcome.registered)


def test_fifty_clients_on_sqlite_get_no_server_error_and_lose_no_write(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    for base in _serve(env, tmp_path):
        _check(base, f"sqlite:///{tmp_path / 'xueji.db'}")


@pytest.mark.postgres
def test_fifty_clients_on_postgresql_with_two_processes(tmp_path: Path) -> None:
    with migrated_engine("postgresql", tmp_path) as engine:
        url = engine.url.render_as_string(hide_password=False)
        env = cli_env(tmp_path, XUEJI_DATABASE_URL=url, XUEJI_SECRET_KEY=TEST_MASTER_KEY.decode())
        for base in _serve(env, tmp_path, "--workers", "2"):
            _check(base, url)
