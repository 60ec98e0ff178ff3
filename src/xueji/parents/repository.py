"""All SQL of parent accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select

from xueji.auth.service import Principal
from xueji.db.repository import Repository
from xueji.domain.statuses import OPEN_APPLICATION_STATES
from xueji.parents.models import ParentAccount, ParentBinding, PhoneChangeApplication
from xueji.registry.scope import visible_student_ids


class ParentRepository(Repository):
    def by_account(self, account_id: int) -> ParentAccount | None:
        return self.session.scalar(
            select(ParentAccount).where(ParentAccount.account_id == account_id)
        )

    def by_phone_index(self, phone_index: bytes) -> ParentAccount | None:
        return self.session.scalar(
            select(ParentAccount).where(ParentAccount.phone_index == phone_index)
        )

    def by_phone_indexes(self, indexes: list[bytes]) -> list[ParentAccount]:
        if not indexes:
            return []
        return list(
            self.session.scalars(
                select(ParentAccount).where(ParentAccount.phone_index.in_(indexes))
            )
        )

    def live_bindings_of_student(self, student_id: int) -> list[ParentBinding]:
        return list(
            self.session.scalars(
                select(ParentBinding).where(
                    ParentBinding.student_id == student_id, ParentBinding.ended_at.is_(None)
                )
            )
        )

    def live_children(self, parent_account_id: int) -> list[int]:
        return list(
            self.session.scalars(
                select(ParentBinding.student_id)
                .where(
                    ParentBinding.parent_account_id == parent_account_id,
                    ParentBinding.ended_at.is_(None),
                )
                .order_by(ParentBinding.student_id)
            )
        )

    def application(
        self, application_id: int, *, lock: bool = False
    ) -> PhoneChangeApplication | None:
        statement = select(PhoneChangeApplication).where(
            PhoneChangeApplication.id == application_id
        )
        if lock:
            statement = statement.with_for_update()
        return self.session.scalar(statement)

    def open_applications_of_student(self, student_id: int) -> list[PhoneChangeApplication]:
        return list(
            self.session.scalars(
                select(PhoneChangeApplication).where(
                    PhoneChangeApplication.student_id == student_id,
                    PhoneChangeApplication.state.in_(OPEN_APPLICATION_STATES),
                )
            )
        )

    def count_open(self, school_codes: Sequence[str]) -> int:
        """Applications filed at these schools still waiting for a decision."""
        return int(
            self.session.scalar(
                select(func.count()).where(
                    PhoneChangeApplication.school_code.in_(school_codes),
                    PhoneChangeApplication.state.in_(OPEN_APPLICATION_STATES),
                )
            )
            or 0
        )

    def parents_of_child(self, student_id: int) -> list[tuple[ParentAccount, dt.datetime]]:
        rows = self.session.execute(
            select(ParentAccount, ParentBinding.bound_at)
            .join(ParentBinding, ParentBinding.parent_account_id == ParentAccount.id)
            .where(ParentBinding.student_id == student_id, ParentBinding.ended_at.is_(None))
            .order_by(ParentBinding.bound_at)
        )
        return [(parent, at) for parent, at in rows]

    def applications_of_child(self, student_id: int) -> list[PhoneChangeApplication]:
        return list(
            self.session.scalars(
                select(PhoneChangeApplication)
                .where(PhoneChangeApplication.student_id == student_id)
                .order_by(PhoneChangeApplication.id)
            )
        )

    def applications_of_parent(self, parent_account_id: int) -> list[PhoneChangeApplication]:
        return list(
            self.session.scalars(
                select(PhoneChangeApplication)
                .where(PhoneChangeApplication.parent_account_id == parent_account_id)
                .order_by(PhoneChangeApplication.id.desc())
            )
        )

    def applications_in_scope(
        self, principal: Principal, *, before: int | None, limit: int
    ) -> list[PhoneChangeApplication]:
        """Newest first, ``limit`` at most, older than application ``before`` if given,
        of children the staff member sees now (their current school and region, or
        class); a school's staff only those filed at their school."""
        statement = (
            select(PhoneChangeApplication)
            .where(PhoneChangeApplication.student_id.in_(visible_student_ids(principal)))
            .order_by(PhoneChangeApplication.id.desc())
            .limit(limit)
        )
        if principal.school_code:
            statement = statement.where(PhoneChangeApplication.school_code == principal.school_code)
        if before is not None:
            statement = statement.where(PhoneChangeApplication.id < before)
        return list(self.session.scalars(statement))
