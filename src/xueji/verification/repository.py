"""All SQL of the verification path."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, or_, select

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
        self, school_code: str, school_name: str, *, after: int | None = None, limit: int
    ) -> list[StudentAccount]:
        """One page of the school's queue, oldest account first (after account ``after``
        if given)."""
        statement = (
            select(StudentAccount)
            .where(_in_queue(school_code, school_name))
            .order_by(StudentAccount.id)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(StudentAccount.id > after)
        return list(self.session.scalars(statement))

    def count_unmatched(self, school_code: str, school_name: str) -> int:
        statement = select(func.count()).where(_in_queue(school_code, school_name))
        return int(self.session.scalar(statement.select_from(StudentAccount)) or 0)

    def unmatched_account(
        self, school_code: str, school_name: str, account_id: int
    ) -> StudentAccount | None:
        """The account if it is in the school's queue, wherever it stands in it."""
        return self.session.scalar(
            select(StudentAccount).where(
                StudentAccount.id == account_id, _in_queue(school_code, school_name)
            )
        )

    def students_of(self, school_code: str) -> list[Student]:
        return list(
            self.session.scalars(
                select(Student).where(Student.school_code == school_code).order_by(Student.id)
            )
        )


def _in_queue(school_code: str, school_name: str) -> ColumnElement[bool]:
    """Pending accounts whose registry number belongs to a student of this school, or
    which name this school in full (entered names are stored normalised)."""
    of_school = select(Student.registry_no_index).where(Student.school_code == school_code)
    return and_(
        StudentAccount.status == "pending",
        or_(
            StudentAccount.registry_index.in_(of_school),
            StudentAccount.school_name == school_name,
        ),
    )
