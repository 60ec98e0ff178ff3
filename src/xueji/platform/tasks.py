"""How the platform follows a registry change: refresh its projection of the student
(status, school, region), bring the linked account's details to the registry's, and
activate any waiting account whose five fields now match (after a correction by the
school)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xueji.domain.clock import Clock
from xueji.platform import service
from xueji.platform.projection import project
from xueji.registry.lookup import RegistryRecord


def follow_registry(session: Session, clock: Clock, record: RegistryRecord, sequence: int) -> None:
    project(session, clock, record, sequence=sequence)
    service.refresh_active(session, clock, record)
    service.relink_pending(session, clock, record)
