"""A parent's view of their children: status, what the child can use, and the archive —
read-only, and only for children bound through a guardian phone."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.db.crypto import blind_index
from xueji.domain.enrollment import EnrollmentStatus
from xueji.domain.masking import mask
from xueji.parents.repository import ParentRepository
from xueji.parents.service import own_parent_account
from xueji.platform.repository import PlatformRepository
from xueji.platform.service import REGISTRY_PURPOSE
from xueji.registry.lookup import lookup

KINDS = ("course", "homework", "live")


def children_of(session: Session, principal: Principal) -> list[dict[str, Any]]:
    parent = own_parent_account(session, principal)
    platform = PlatformRepository(session)
    result = []
    for student_id in ParentRepository(session).live_children(parent.id):
        record = lookup(session, student_id=student_id)
        if record is None:
            continue
        projection = platform.projection(student_id)
        status = EnrollmentStatus(projection.status if projection else record.status)
        region = projection.region_code if projection else record.region_code
        class_id = projection.class_id if projection else record.class_id
        counts = Counter(r.kind for r in platform.visible_resources(region, class_id))
        archive = platform.archive(blind_index(record.registry_no, purpose=REGISTRY_PURPOSE))
        result.append(
            {
                "student_id": student_id,
                "registry_no": mask(record.registry_no),
                "name": record.name,
                "school_name": record.school_name,
                "status": str(status),
                "status_label": status.label,
                "resources": {kind: counts.get(kind, 0) for kind in KINDS},
                "archive": [
                    {
                        "resource": resource.title,
                        "kind": resource.kind,
                        "action": entry_record.action,
                        "at": entry_record.at.isoformat(),
                    }
                    for _, entry_record, resource in archive
                ],
            }
        )
    return result
