"""The capabilities check runs on the event loop. On PostgreSQL it is awaited on pooled
connections that are not pinged before use: when the server drops them (a restart), the
next check must still answer. On SQLite it has a connection of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.conftest import NOW, TEST_MASTER_KEY
from tests.databases import migrated_engine
from tests.e2e.test_accounts_api import register_and_consent
from tests.registry_world import PASSWORD, build_world
from tests.registry_world import register as register_staff
from xueji.app import create_app
from xueji.config import Settings
from xueji.container import Container
from xueji.db.engine import make_engine
from xueji.db.scope import transaction
from xueji.domain.clock import FixedClock


@contextmanager
def served(engine: Engine, var_dir: Path) -> Iterator[TestClient]:
    """The app on ``engine``, with the registry world and its staff, lifespan running."""
    settings = Settings(
        var_dir=var_dir, database_url=str(engine.url), secret_key=TEST_MASTER_KEY.decode()
    )
    container = Container.build(settings, engine=engine, clock=FixedClock(NOW))
    with transaction(container.sessions) as session:
        register_staff(session, container.clock, build_world(session, container.clock))
    with TestClient(create_app(container=container)) as client:
        yield client


@pytest.fixture
def postgres_client(tmp_path: Path) -> Iterator[TestClient]:
    with migrated_engine("postgresql", tmp_path) as engine, served(engine, tmp_path) as client:
        yield client


def test_capabilities_survive_the_database_dropping_connections(
    postgres_client: TestClient,
) -> None:
    client = postgres_client
    assert client.app.state.container.async_reads is not None  # type: ignore[attr-defined]
    admin = client.post("/api/v1/session", json={"username": "haikou-admin", "password": PASSWORD})
    assert admin.status_code == 200
    student = register_and_consent(client)
    assert client.get("/api/v1/me/capabilities", headers=student).json()["linked"] is True
    engine = client.app.state.container.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        dropped = connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert dropped >= 1  # the pooled connection of the check among them
    answer = client.get("/api/v1/me/capabilities", headers=student)
    assert answer.status_code == 200 and answer.json()["linked"] is True


def test_on_sqlite_the_check_answers_while_every_pooled_connection_is_held(
    tmp_path: Path,
) -> None:
    """The check runs on the event loop on its own connection: requests in the thread
    pool holding every connection of the shared pool do not hold it (nor, waiting, every
    other request of the loop) up."""
    with migrated_engine("sqlite", tmp_path) as migrated:
        engine = make_engine(str(migrated.url), pool_size=1, max_overflow=0, pool_timeout=1)
        with served(engine, tmp_path) as client:
            student = register_and_consent(client)
            with engine.connect() as held:
                assert held.scalar(text("SELECT 1")) == 1  # the shared pool's only one
                answer = client.get("/api/v1/me/capabilities", headers=student)
            assert answer.status_code == 200 and answer.json()["linked"] is True
        engine.dispose()
