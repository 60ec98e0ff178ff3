"""API shapes of student accounts."""

from __future__ import annotations

from pydantic import BaseModel, Field

from xueji.domain.five_fields import Mismatch
from xueji.domain.statuses import AccountStatus
from xueji.platform.models import StudentAccount


class RegistrationIn(BaseModel):
    student_no: str = Field(max_length=40)
    password: str = Field(max_length=256)
    registry_no: str = Field(max_length=40)
    name: str = Field(max_length=200)
    gender: str = Field(max_length=4)
    birth_date: str = Field(max_length=20)
    school_name: str = Field(max_length=200)


class DetailsPatch(BaseModel):
    registry_no: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, max_length=200)
    gender: str | None = Field(default=None, max_length=4)
    birth_date: str | None = Field(default=None, max_length=20)
    school_name: str | None = Field(default=None, max_length=200)


class MismatchOut(BaseModel):
    """A field that differs from the registry. ``kind`` only for an account a guardian has
    verified: until then whoever typed the fields may be a stranger holding a child's
    ID number, and learns which fields differ, nothing more."""

    field: str
    kind: str | None = None


class AccountOut(BaseModel):
    status: str
    status_label: str
    student_no: str
    verified: bool
    mismatches: list[MismatchOut]
    notice: str | None = None

    @classmethod
    def of(cls, account: StudentAccount, mismatches: list[Mismatch]) -> AccountOut:
        verified = account.verified_at is not None
        return cls(
            status=account.status,
            status_label=AccountStatus(account.status).label,
            student_no=account.student_no,
            verified=verified,
            mismatches=[
                MismatchOut(field=m.field, kind=m.kind if verified else None) for m in mismatches
            ],
            notice=account.revoked_reason if account.status == AccountStatus.REVOKED else None,
        )

    def answer(self) -> dict[str, object]:
        """The JSON body: a key with no value (``kind`` before verification) is left out."""
        return self.model_dump(exclude_none=True)


class VerificationIn(BaseModel):
    code: str = Field(max_length=20)
