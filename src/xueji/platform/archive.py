"""The electronic archive (电子学籍档案): where a linked student's learning records land."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xueji.domain.clock import Clock
from xueji.platform.models import ArchiveEntry, StudentAccount
from xueji.platform.repository import PlatformRepository


def land(session: Session, clock: Clock, account: StudentAccount) -> int:
    """Put every record of a linked account not yet in the archive into it."""
    repository = PlatformRepository(session)
    records = repository.unarchived_records(account.id)
    for record in records:
        repository.add(
            ArchiveEntry(
                registry_index=account.registry_index,
                learning_record_id=record.id,
                landed_at=clock.now(),
            )
        )
    return len(records)
