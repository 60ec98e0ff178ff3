"""The small base every module's repository builds on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


class Repository:
    """Holds the session; subclasses hold all the SQL of one module."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        """Add a new row and flush, so its generated id and defaults can be read at once."""
        self.session.add(row)
        self.session.flush()

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def insert(self, table: Any) -> Any:
        """A dialect ``INSERT`` that supports ``on_conflict_do_*`` on SQLite and PostgreSQL."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)
