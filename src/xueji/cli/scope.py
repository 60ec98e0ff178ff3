"""The CLI's unit of work: a container and one transaction per command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from xueji.config import get_settings
from xueji.container import Container
from xueji.db import migrate
from xueji.db.crypto import keyring
from xueji.db.key_state import check_key
from xueji.db.scope import transaction
from xueji.domain import regions
from xueji.domain.errors import XuejiError


def container() -> Container:
    return Container.build(get_settings())


def migrated_container() -> Container:
    """The container, refusing to work on a database whose schema is not current or
    that is written under another master key."""
    built = container()
    regions.check_lists()
    if not migrate.is_up_to_date(built.engine):
        raise XuejiError("数据库结构不是最新版本，请先运行 xueji db upgrade", code="DB_OUTDATED")
    check_key(built.engine, keyring())
    return built


@contextmanager
def unit_of_work() -> Iterator[tuple[Container, Session]]:
    built = migrated_container()
    with transaction(built.sessions) as session:
        yield built, session
