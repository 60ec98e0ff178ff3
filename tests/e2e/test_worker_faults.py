"""Real ``xueji worker`` processes on PostgreSQL under faults: two workers sharing the
queue keep each student's order and apply nothing twice; a worker killed with SIGKILL in
the middle of a batch loses nothing and doubles nothing; a PostgreSQL restart only delays
events."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from tests.conftest import TEST_MASTER_KEY
from tests.databases import migrated_engine
from tests.e2e.conftest import XUEJI, cli_env
from tests.registry_world import World, build_world, number, register
from xueji.config import Settings
from xueji.container import Container
from xueji.db.scope import transaction
from xueji.domain.enrollment import ChangeKind
from xueji.platform.models import StudentProjection
from xueji.registry.enrollment import service as enrollment
from xueji.registry.events import publish_resync
from xueji.registry.models import Student
from xueji.sync.models import OutboxEvent
from xueji.sync.reconcile import service as reconcile


@pytest.fixture
def province(tmp_path: Path) -> Iterator[tuple[Container, World, str]]:
    """A fresh PostgreSQL database with the test world; the URL the workers use."""
    with migrated_engine("postgresql", tmp_path) as engine:
        url = engine.url.render_as_string(hide_password=False)
        settings = Settings(var_dir=tmp_path, database_url=url, secret_key=TEST_MASTER_KEY.decode())
        built = Container.build(settings, engine=engine)
        with transaction(built.sessions) as session:
            world = build_world(session, built.clock)
        yield built, world, url


def start_worker(url: str, var_dir: Path, name: str) -> subprocess.Popen[bytes]:
    url_with_name = url + ("&" if "?" in url else "?") + f"application_name={name}"
    with (var_dir / f"{name}.log").open("wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [str(XUEJI), "worker"],
            env=cli_env(
                var_dir,
                XUEJI_DATABASE_URL=url_with_name,
                XUEJI_SECRET_KEY=TEST_MASTER_KEY.decode(),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def pending(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(select(func.count()).where(OutboxEvent.handled_at.is_(None))) or 0
        )


def wait_for_empty_queue(engine: Engine, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while pending(engine):
        assert time.monotonic() < deadline, f"{pending(engine)} events still pending"
        time.sleep(0.2)


def seed_students(built: Container, world: World, count: int) -> list[int]:
    with transaction(built.sessions) as session:
        return [
            register(
                session, built.clock, world, registry_no=number(sequence=f"{i:03d}")
            ).student.id
            for i in range(count)
        ]


def assert_applied_once_in_order(built: Container) -> None:
    with transaction(built.sessions) as session:
        events = session.scalars(
            select(OutboxEvent).order_by(OutboxEvent.student_id, OutboxEvent.sequence)
        ).all()
        assert events and all(e.apply_count == 1 and e.handled_at for e in events)
        last: dict[int, dt.datetime] = {}
        for event in events:
            assert event.handled_at is not None
            previous = last.get(event.student_id)
            assert previous is None or previous <= event.handled_at, (
                f"student {event.student_id}: {event.sequence} applied before its predecessor"
            )
            last[event.student_id] = event.handled_at
        report = reconcile.reconcile(session, built.clock)
        assert report.agree, {k: f.count for k, f in report.findings.items() if f.count}


def stop(*workers: subprocess.Popen[bytes]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        worker.wait(timeout=20)


def test_two_workers_share_the_queue_in_order(
    province: tuple[Container, World, str], tmp_path: Path
) -> None:
    built, world, url = province
    students = seed_students(built, world, 60)
    workers = [start_worker(url, tmp_path, f"worker-{n}") for n in (1, 2)]
    try:
        for kind in (ChangeKind.SUSPEND, ChangeKind.RESUME) * 3:
            for index, _ in enumerate(students):
                with transaction(built.sessions) as session:
                    enrollment.change_enrollment(
                        session,
                        built.clock,
                        world.haikou_admin,
                        registry_no=number(sequence=f"{index:03d}"),
                        kind=kind,
                        reason="测试",
                    )
        wait_for_empty_queue(built.engine)
    finally:
        stop(*workers)
    assert_applied_once_in_order(built)
    with transaction(built.sessions) as session:
        statuses = set(session.scalars(select(StudentProjection.status)))
        assert statuses == {"enrolled"}
        assert session.scalar(select(func.max(OutboxEvent.sequence))) == 7


def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(
    province: tuple[Container, World, str], tmp_path: Path
) -> None:
    built, world, url = province
    students = seed_students(built, world, 400)
    with transaction(built.sessions) as session:
        for _ in range(5):
            publish_resync(session, built.clock, None, students)
    total = pending(built.engine)
    assert total == 400 * 6
    victim = start_worker(url, tmp_path, "victim")
    in_batch = False
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not in_batch:
            handled = total - pending(built.engine)
            with built.engine.connect() as connection:
                open_transaction = connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'victim'"
                        " AND xact_start IS NOT NULL AND state <> 'idle'"
                    )
                )
            in_batch = handled > 0 and bool(open_transaction) and pending(built.engine) > 0
        assert in_batch, "the worker never was caught inside a batch"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        if victim.poll() is None:
            victim.kill()
    left = pending(built.engine)
    assert 0 < left < total
    successor = start_worker(url, tmp_path, "successor")
    try:
        wait_for_empty_queue(built.engine)
    finally:
        stop(successor)
    assert_applied_once_in_order(built)


def _restart_command() -> list[str] | None:
    if not shutil.which("pg_ctlcluster") or not Path("/etc/postgresql").is_dir():
        return None
    version = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])
    return [
        "pg_ctlcluster",
        "--skip-systemctl-redirect",
        version[-1],
        "main",
        "restart",
        "-m",
        "fast",
    ]


def test_a_postgresql_restart_delays_events_and_loses_none(
    province: tuple[Container, World, str], tmp_path: Path
) -> None:
    command = _restart_command()
    if command is None:
        if os.environ.get("XUEJI_REQUIRE_POSTGRES") == "1":
            pytest.fail("cannot restart PostgreSQL here (pg_ctlcluster not found)")
        pytest.skip("PostgreSQL restart test needs Debian's pg_ctlcluster")
    built, world, url = province
    students = seed_students(built, world, 100)
    worker = start_worker(url, tmp_path, "survivor")
    try:
        with transaction(built.sessions) as session:
            publish_resync(session, built.clock, None, students)
        subprocess.run(command, check=True, timeout=60)
        with transaction(built.sessions) as session:
            publish_resync(session, built.clock, None, students)
        wait_for_empty_queue(built.engine)
        assert worker.poll() is None, "the worker survived the restart"
    finally:
        stop(worker)
    assert_applied_once_in_order(built)
    with transaction(built.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Student)) == 100
