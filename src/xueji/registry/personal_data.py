"""What the registry holds about one child, for the family's own copy (PIPL art. 45):
the record, the class, the guardians (phones masked: they are other people's), the
national record, the enrollment history, and which acts on the record were audited,
when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.domain.codes import Gender
from xueji.domain.enrollment import EnrollmentStatus
from xueji.domain.masking import mask, mask_phone
from xueji.domain.relations import relation_label
from xueji.registry.national import records
from xueji.registry.national.compare import label
from xueji.registry.national.fields import NATIONAL_COLUMNS, RECORD_COLUMNS, field_of
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
        "national_record": national_record_of(session, student_id),
        "processing": audit.acts_on(session, f"student:{student_id}"),
    }


def national_record_of(session: Session, student_id: int) -> list[dict[str, str]]:
    """The national record's filled fields as (field, value) for the family's copy: the
    child's own in full, the sensitive categories included; the family members' phones
    and document numbers masked (they are other people's)."""
    national = records.record_of(session, student_id)
    values = records.stored(national)
    shown = []
    for column in RECORD_COLUMNS:
        value = values.get(column, "")
        if not value:
            continue
        kind = field_of(column).kind
        if column.startswith("m") and kind == "phone":
            text = mask_phone(value)
        elif column.startswith("m") and kind == "document":
            text = mask(value, keep_start=2, keep_end=2)
        else:
            text = label(column, value)
        shown.append({"field": NATIONAL_COLUMNS[column], "value": text})
    return shown
