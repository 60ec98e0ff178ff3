"""Test databases built by running the migrations: SQLite always, PostgreSQL when
``XUEJI_TEST_POSTGRES_URL`` points at a server (mandatory when XUEJI_REQUIRE_POSTGRES=1)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

import xueji.audit.models
import xueji.db.key_state
import xueji.parents.models
import xueji.platform.models
import xueji.registry.enrollment.models
import xueji.registry.imports.models
import xueji.registry.models
import xueji.rights.models
import xueji.sync.models  # noqa: F401  (all tables on the metadata)
from xueji.audit.chain import GENESIS
from xueji.config import normalise_database_url
from xueji.db import migrate
from xueji.db.base import Base
from xueji.db.engine import make_engine

BACKENDS = ["sqlite", "postgresql"]
TEMPLATE = "template.db"


def postgres_url() -> str | None:
    url = os.environ.get("XUEJI_TEST_POSTGRES_URL")
    if url:
        return normalise_database_url(url)
    if os.environ.get("XUEJI_REQUIRE_POSTGRES") == "1":
        pytest.fail("XUEJI_REQUIRE_POSTGRES=1 but XUEJI_TEST_POSTGRES_URL is not set")
    pytest.skip("PostgreSQL tests skipped: set XUEJI_TEST_POSTGRES_URL to run them")


@contextmanager
def migrated_engine(backend: str, workdir: Path, revision: str = "head") -> Iterator[Engine]:
    """A fresh database of ``backend`` migrated up to ``revision``, dropped afterwards."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{workdir / 'test.db'}")
        migrate.upgrade(engine, revision)
        engine.dispose()
        shutil.copyfile(workdir / "test.db", workdir / TEMPLATE)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    admin_url = postgres_url()
    assert admin_url is not None
    name = f"xueji_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(admin_url).set(database=name).render_as_string(False))
    try:
        migrate.upgrade(engine, revision)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reset(engine: Engine) -> None:
    """Back to the freshly migrated state. SQLite: copy the pristine file back. PostgreSQL:
    TRUNCATE (which the audit log's append-only row triggers do not see) and put back the
    audit head row the migration created."""
    if engine.dialect.name == "sqlite":
        database = Path(engine.url.database or "")
        engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(database.parent / TEMPLATE, database)
        return
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        connection.execute(
            text("INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, :genesis)"),
            {"genesis": GENESIS},
        )
