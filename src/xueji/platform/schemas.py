"""API shapes of student accounts."""

from __future__ import annotations

from pydantic import BaseModel, Field

from xueji.domain.five_fields import Mismatch
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
    field: str
    kind: str


class AccountOut(BaseModel):
    status: str
    student_no: str
    mismatches: list[MismatchOut]

    @classmethod
    def of(cls, account: StudentAccount, mismatches: list[Mismatch]) -> AccountOut:
        return cls(
            status=account.status,
            student_no=account.student_no,
            mismatches=[MismatchOut(field=m.field, kind=m.kind) for m in mismatches],
        )
