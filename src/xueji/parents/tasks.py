"""How parent accounts follow a registry change (see ``service.follow_registry``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xueji.domain.clock import Clock
from xueji.parents import service
from xueji.registry.lookup import RegistryRecord


def follow_registry(session: Session, clock: Clock, record: RegistryRecord, sequence: int) -> None:
    """Bind parents whose phone became a guardian phone of the student, unbind those whose
    phone stopped being one; ``sequence`` is not needed: the record is the current state."""
    del sequence
    service.follow_registry(session, clock, record)
