"""What the registry holds about one child, for the family's own copy (PIPL art. 45):
the record, the class, the guardians (phones masked: they are other people's), the
enrollment history, and which acts on the record were audited, when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.domain.codes import Gender
from xueji.domain.enrollment import EnrollmentStatus
from xueji.domain.masking import mask_phone
from xueji.domain.relations import relation_label
from xueji.registry.repository import RegistryRepository


def record_of(session: Session, student_id: int) -> dict[str, Any] | None:
    """The child's registry record in full (the number too: it is the family's own), or
    None if there is none."""
    repository = RegistryRepository(session)
    student = repository.student_by_id(student_id, lock=False)
    if student is None:
        return None
    school = repository.school(student.school_code)
    school_class = repository.school_class(student.class_id) if student.class_id else None
    return {
        "registry_no": student.registry_no,
        "name": student.name,
        "gender": Gender(student.gender).label,
        "birth_date": student.birth_date.isoformat(),
        "school": school.name if school else student.school_code,
        "class": school_class.name if school_class else None,
        "status": EnrollmentStatus(student.status).label,
        "guardians": [
            {
                "name": g.name,
                "relation": relation_label(g.relation),
                "phone": mask_phone(g.phone),
            }
            for g in repository.guardians_of(student_id)
        ],
        "history": [
            {
                "at": change.at.isoformat(),
                "from": EnrollmentStatus(change.from_status).label,
                "to": EnrollmentStatus(change.to_status).label,
                "reason": change.reason,
            }
            for change in repository.changes_of(student_id)
        ],
        "processing": audit.acts_on(session, f"student:{student_id}"),
    }
