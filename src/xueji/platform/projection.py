"""The platform's own view of each registry student: status, school, region."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xueji.domain.clock import Clock
from xueji.domain.enrollment import LEFT
from xueji.platform.models import StudentProjection
from xueji.platform.repository import PlatformRepository
from xueji.registry.lookup import RegistryRecord


def project(session: Session, clock: Clock, record: RegistryRecord, *, sequence: int) -> None:
    """Bring the projection to the registry's current state. Reading current state makes
    this idempotent and safe in any order: an older event never undoes a newer one."""
    repository = PlatformRepository(session)
    projection = repository.projection(record.student_id)
    if projection is None:
        repository.add(
            StudentProjection(
                student_id=record.student_id,
                status=record.status,
                school_code=record.school_code,
                region_code=record.region_code,
                class_id=record.class_id,
                applied_sequence=sequence,
                updated_at=clock.now(),
                left_at=clock.now() if record.status in LEFT else None,
            )
        )
        return
    if record.status not in LEFT:
        projection.left_at = None
    elif projection.left_at is None or projection.status not in LEFT:
        projection.left_at = clock.now()
    projection.status, projection.school_code = record.status, record.school_code
    projection.region_code, projection.class_id = record.region_code, record.class_id
    projection.applied_sequence = max(projection.applied_sequence, sequence)
    projection.updated_at = clock.now()
