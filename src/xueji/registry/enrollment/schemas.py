"""API shapes of enrollment changes and transfers."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from xueji.domain.masking import mask
from xueji.registry.enrollment.models import Transfer
from xueji.registry.models import Student


class EnrollmentChangeIn(BaseModel):
    kind: Literal["suspend", "resume", "graduate", "withdraw", "reenroll"]
    reason: str = Field(max_length=1000)


class TransferIn(BaseModel):
    """``student_name``: the child's name as the asking school knows it (optional; its own
    list shows it beside the masked number)."""

    registry_no: str = Field(max_length=40)
    to_school_code: str = Field(max_length=20)
    reason: str = Field(max_length=1000)
    student_name: str = Field(default="", max_length=100)


class RejectIn(BaseModel):
    reason: str = Field(max_length=1000)


class TransferOut(BaseModel):
    """``registry_no`` is masked (the asking school typed it); the origin school and the
    student's name only for a school that may know them (``enrollment.knows_student``).
    ``decision_reason``: why the origin school returned the request."""

    id: int
    status: str
    from_school_code: str | None
    to_school_code: str
    registry_no: str
    student_name: str | None
    #: the name the asking school typed with its request (null if it gave none)
    requested_name: str | None
    reason: str
    decision_reason: str | None
    requested_at: dt.datetime
    decided_at: dt.datetime | None

    @classmethod
    def of(cls, transfer: Transfer, student: Student, *, show_origin: bool) -> TransferOut:
        return cls(
            id=transfer.id,
            status=transfer.status,
            from_school_code=transfer.from_school_code if show_origin else None,
            to_school_code=transfer.to_school_code,
            registry_no=mask(student.registry_no),
            student_name=student.name if show_origin else None,
            requested_name=transfer.requested_name,
            reason=transfer.reason,
            decision_reason=transfer.decision_reason,
            requested_at=transfer.requested_at,
            decided_at=transfer.decided_at,
        )
