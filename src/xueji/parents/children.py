"""A parent's view of their children: status, what the child can use, and the archive —
read-only, and only for children bound through a guardian phone."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.masking import mask
from xueji.parents.repository import ParentRepository
from xueji.parents.service import own_parent_account
from xueji.platform import learning
from xueji.registry.lookup import lookup


def children_of(session: Session, principal: Principal) -> list[dict[str, Any]]:
    parent = own_parent_account(session, principal)
    result = []
    for student_id in ParentRepository(session).live_children(parent.id):
        record = lookup(session, student_id=student_id)
        if record is None:
            continue
        overview = learning.overview_of(session, record)
        result.append(
            {
                "student_id": student_id,
                "registry_no": mask(record.registry_no),
                "name": record.name,
                "school_name": record.school_name,
                "status": str(overview.status),
                "status_label": overview.status.label,
                "resources": {str(k): n for k, n in overview.resource_counts.items()},
                "archive": overview.archive,
            }
        )
    return result
