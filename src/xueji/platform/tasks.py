"""How the platform applies a registry change event: refresh its projection of the
student (status, school, region) from the registry's lookup, bring the linked account's
details to the registry's, and activate any waiting account whose five fields now match
(after a correction by the school), and bind or unbind parents whose phone became or
stopped being a guardian phone."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xueji.domain.clock import Clock
from xueji.parents import service as parents
from xueji.platform import service
from xueji.platform.projection import project
from xueji.registry.lookup import lookup
from xueji.sync.models import OutboxEvent


def apply_registry_event(session: Session, clock: Clock, event: OutboxEvent) -> None:
    record = lookup(session, student_id=event.student_id)
    if record is None:
        return
    project(session, clock, record, sequence=event.sequence)
    service.refresh_active(session, clock, record)
    service.relink_pending(session, clock, record)
    parents.follow_registry(session, clock, record)
