"""All SQL of the registry."""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, func, select

from xueji.db.repository import Repository
from xueji.domain.statuses import TransferStatus
from xueji.registry.enrollment.models import EnrollmentChange, Transfer
from xueji.registry.models import ActivationCode, Guardian, Region, School, SchoolClass, Student


class RegistryRepository(Repository):
    # regions and schools
    def region(self, code: str) -> Region | None:
        return self.session.get(Region, code)

    def school(self, code: str) -> School | None:
        return self.session.get(School, code)

    def school_by_name(self, name: str) -> School | None:
        return self.session.scalar(select(School).where(School.name == name))

    def schools(self, condition: ColumnElement[bool]) -> list[School]:
        return list(self.session.scalars(select(School).where(condition).order_by(School.code)))

    # classes
    def school_class(self, class_id: int) -> SchoolClass | None:
        return self.session.get(SchoolClass, class_id)

    def classes_of(self, school_code: str) -> list[SchoolClass]:
        return list(
            self.session.scalars(
                select(SchoolClass)
                .where(SchoolClass.school_code == school_code)
                .order_by(SchoolClass.grade, SchoolClass.name)
            )
        )

    def class_named(self, school_code: str, grade: int, name: str) -> SchoolClass | None:
        return self.session.scalar(
            select(SchoolClass).where(
                SchoolClass.school_code == school_code,
                SchoolClass.grade == grade,
                SchoolClass.name == name,
            )
        )

    # students
    def student_by_index(self, registry_no_index: bytes, *, lock: bool = False) -> Student | None:
        statement = select(Student).where(Student.registry_no_index == registry_no_index)
        if lock:
            statement = statement.with_for_update()
        return self.session.scalar(statement)

    def student_by_id(self, student_id: int, *, lock: bool = True) -> Student | None:
        return self.session.get(Student, student_id, with_for_update=lock)

    def activation_code(self, student_id: int, *, lock: bool = False) -> ActivationCode | None:
        statement = select(ActivationCode).where(ActivationCode.student_id == student_id)
        return self.session.scalar(statement.with_for_update() if lock else statement)

    def students_of_school(self, school_code: str) -> list[Student]:
        return list(
            self.session.scalars(
                select(Student).where(Student.school_code == school_code).order_by(Student.id)
            )
        )

    def students_by_index(self, indexes: list[bytes]) -> list[Student]:
        return list(
            self.session.scalars(select(Student).where(Student.registry_no_index.in_(indexes)))
        )

    def search_students(
        self,
        condition: ColumnElement[bool],
        *,
        name: str | None,
        registry_no_index: bytes | None,
        school_code: str | None,
        status: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Student], int]:
        statement = (
            select(Student).join(School, School.code == Student.school_code).where(condition)
        )
        if name:
            statement = statement.where(Student.name.contains(name, autoescape=True))
        if registry_no_index:
            statement = statement.where(Student.registry_no_index == registry_no_index)
        if school_code:
            statement = statement.where(Student.school_code == school_code)
        if status:
            statement = statement.where(Student.status == status)
        total = self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = self.session.scalars(
            statement.order_by(Student.school_code, Student.class_id, Student.name, Student.id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows), int(total)

    def numbers_in(
        self,
        condition: ColumnElement[bool],
        *,
        school_code: str | None,
        status: str | None,
        cap: int,
    ) -> list[tuple[int, str]] | None:
        """(id, registry number) of the students matching, decrypted; None if there are
        more than ``cap``."""
        statement = (
            select(Student.id, Student.registry_no)
            .join(School, School.code == Student.school_code)
            .where(condition)
        )
        if school_code:
            statement = statement.where(Student.school_code == school_code)
        if status:
            statement = statement.where(Student.status == status)
        rows = self.session.execute(statement.limit(cap + 1)).all()
        if len(rows) > cap:
            return None
        return [(student_id, number) for student_id, number in rows]

    def students_by_ids(self, ids: list[int], *, limit: int, offset: int) -> list[Student]:
        if not ids:
            return []
        return list(
            self.session.scalars(
                select(Student)
                .where(Student.id.in_(ids))
                .order_by(Student.school_code, Student.class_id, Student.name, Student.id)
                .limit(limit)
                .offset(offset)
            )
        )

    # guardians
    def guardians_of(self, student_id: int) -> list[Guardian]:
        return list(
            self.session.scalars(
                select(Guardian).where(Guardian.student_id == student_id).order_by(Guardian.rank)
            )
        )

    def replace_guardians(self, student_id: int, guardians: list[Guardian]) -> None:
        self.session.execute(delete(Guardian).where(Guardian.student_id == student_id))
        self.session.flush()
        self.session.add_all(guardians)
        self.session.flush()

    def students_with_phone(self, phone_index: bytes, *, lock: bool = False) -> list[Student]:
        """``lock``: share-lock the students (PostgreSQL), so a change to their guardians
        waits until the caller's binding is committed and then sees it."""
        statement = select(Student).where(
            Student.id.in_(select(Guardian.student_id).where(Guardian.phone_index == phone_index))
        )
        if lock:
            statement = statement.with_for_update(read=True)
        return list(self.session.scalars(statement))

    # enrollment history and transfers
    def changes_of(self, student_id: int) -> list[EnrollmentChange]:
        return list(
            self.session.scalars(
                select(EnrollmentChange)
                .where(EnrollmentChange.student_id == student_id)
                .order_by(EnrollmentChange.at.desc(), EnrollmentChange.id.desc())
            )
        )

    def transfer(self, transfer_id: int, *, lock: bool = False) -> Transfer | None:
        statement = select(Transfer).where(Transfer.id == transfer_id)
        if lock:
            statement = statement.with_for_update()
        return self.session.scalar(statement)

    def open_transfer_of(self, student_id: int) -> Transfer | None:
        return self.session.scalar(
            select(Transfer).where(
                Transfer.student_id == student_id, Transfer.status == TransferStatus.REQUESTED
            )
        )

    def transfers_for(self, school_code: str) -> list[Transfer]:
        return list(
            self.session.scalars(
                select(Transfer)
                .where(
                    (Transfer.from_school_code == school_code)
                    | (Transfer.to_school_code == school_code)
                )
                .order_by(Transfer.requested_at.desc())
            )
        )
