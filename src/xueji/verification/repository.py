"""All SQL of the verification path."""

from __future__ import annotations

from sqlalchemy import or_, select

from xueji.db.repository import Repository
from xueji.platform.models import StudentAccount
from xueji.registry.models import Student
from xueji.verification.models import AccountNotice


class VerificationRepository(Repository):
    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    def notices_for(self, account_id: int) -> list[AccountNotice]:
        return list(
            self.session.scalars(
                select(AccountNotice)
                .where(AccountNotice.student_account_id == account_id)
                .order_by(AccountNotice.created_at.desc(), AccountNotice.id.desc())
            )
        )

    def unmatched_for_school(
        self, school_code: str, school_name: str, *, limit: int
    ) -> list[StudentAccount]:
        """Pending accounts whose registry number belongs to a student of this school, or
        which name this school in full (entered names are stored normalised)."""
        of_school = select(Student.registry_no_index).where(Student.school_code == school_code)
        return list(
            self.session.scalars(
                select(StudentAccount)
                .where(
                    StudentAccount.status == "pending",
                    or_(
                        StudentAccount.registry_index.in_(of_school),
                        StudentAccount.school_name == school_name,
                    ),
                )
                .order_by(StudentAccount.created_at, StudentAccount.id)
                .limit(limit)
            )
        )

    def students_of(self, school_code: str) -> list[Student]:
        return list(
            self.session.scalars(
                select(Student).where(Student.school_code == school_code).order_by(Student.id)
            )
        )
