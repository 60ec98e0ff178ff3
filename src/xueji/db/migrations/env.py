"""Alembic environment: runs on the connection handed over by ``xueji.db.migrate``, or on
``XUEJI_DATABASE_URL`` when alembic is called from the command line."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

# Each import registers its module's tables on the metadata.
import xueji.audit.models
import xueji.auth.models
import xueji.db.key_state
import xueji.parents.models
import xueji.platform.models
import xueji.registry.enrollment.models
import xueji.registry.imports.models
import xueji.registry.models
import xueji.registry.national.models
import xueji.rights.models
import xueji.sync.models
from xueji.config import get_settings
from xueji.db.base import Base, UTCDateTime
from xueji.db.crypto import EncryptedString
from xueji.db.engine import make_engine

target_metadata = Base.metadata


def _render_item(kind: str, item: Any, autogen_context: Any) -> str | Literal[False]:
    """Render the application's column types by their storage type, so migrations do not
    import application code that may change later."""
    if kind == "type" and isinstance(item, EncryptedString):
        return "sa.LargeBinary()"
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().database_url)
    with engine.connect() as fresh:
        _run(fresh)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `xueji db upgrade`")
run_migrations_online()
