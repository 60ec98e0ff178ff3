"""All SQL of student accounts."""

from __future__ import annotations

from sqlalchemy import select

from xueji.db.repository import Repository
from xueji.platform.models import StudentAccount, StudentProjection


class PlatformRepository(Repository):
    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    def by_student_no(self, student_no: str) -> StudentAccount | None:
        return self.session.scalar(
            select(StudentAccount).where(StudentAccount.student_no == student_no)
        )

    def by_account(self, account_id: int) -> StudentAccount | None:
        return self.session.scalar(
            select(StudentAccount).where(StudentAccount.account_id == account_id)
        )

    def active_for(self, registry_index: str) -> StudentAccount | None:
        return self.session.scalar(
            select(StudentAccount).where(StudentAccount.active_registry_index == registry_index)
        )

    def with_registry_index(self, registry_index: str) -> list[StudentAccount]:
        return list(
            self.session.scalars(
                select(StudentAccount).where(StudentAccount.registry_index == registry_index)
            )
        )

    def projection(self, student_id: int) -> StudentProjection | None:
        return self.session.get(StudentProjection, student_id)

    def pending_for(self, registry_index: str) -> list[StudentAccount]:
        return list(
            self.session.scalars(
                select(StudentAccount).where(
                    StudentAccount.registry_index == registry_index,
                    StudentAccount.status == "pending",
                )
            )
        )
