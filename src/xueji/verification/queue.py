"""The school's queue of unactivated accounts (未激活账号).

Each account shows what the student entered beside what the registry holds, the
character-level differences, and — when the registry number itself looks wrong — the
school's own records ranked by likeness (never linked automatically). From here the
administrator corrects the registry (学生信息维护, which activates the account through the
change event) or tells the student that their own entry is wrong. Every look is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth.service import Principal
from xueji.domain import candidates, names
from xueji.domain.clock import Clock
from xueji.domain.errors import NotFound, ValidationFailed
from xueji.domain.five_fields import FIELDS, FiveFields
from xueji.domain.masking import mask
from xueji.domain.paging import page_size
from xueji.domain.roles import Role
from xueji.platform import waiting
from xueji.platform.waiting import Notice, Queue, WaitingAccount
from xueji.registry import scope
from xueji.registry.events import actor_of
from xueji.registry.lookup import RegistryRecord, candidates_of_school, lookup
from xueji.registry.schools import visible_school

GENDER_LABELS = {"1": "男", "2": "女"}
QUEUE_ROLES = (Role.PLATFORM_ADMIN, Role.REGION_ADMIN, Role.SCHOOL_ADMIN)


@dataclass(frozen=True, slots=True)
class UnmatchedAccount:
    account: WaitingAccount
    record: RegistryRecord | None
    differences: dict[str, list[dict[str, Any]]]
    candidates: list[candidates.Ranked]

    def entered(self) -> dict[str, str]:
        """What the student typed. A registry number with no record at this school is
        masked: it may be another school's child, which this school must not learn."""
        values = _values(self.account.fields)
        if self.record is None:
            values["registry_no"] = mask(values["registry_no"])
        return values

    def registry(self) -> dict[str, str] | None:
        return _values(self.record.five_fields()) if self.record else None

    def as_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account.id,
            "student_no": self.account.student_no,
            "registered_at": self.account.created_at.isoformat(),
            "entered": self.entered(),
            "registry": self.registry(),
            "student_id": self.record.student_id if self.record else None,
            "differences": self.differences,
            "candidates": [
                {
                    "student_id": r.candidate.key,
                    "registry_no": mask(r.candidate.registry_no),
                    "name": r.candidate.name,
                    "gender": GENDER_LABELS.get(r.candidate.gender, r.candidate.gender),
                    "birth_date": r.candidate.birth_date.isoformat(),
                    "score": r.score,
                    "differing_digits": r.differing_digits,
                }
                for r in self.candidates
            ],
        }


def _values(five: FiveFields) -> dict[str, str]:
    """The five fields as shown side by side: what was entered, what the registry holds."""
    return {
        "registry_no": five.registry_no,
        "name": five.name,
        "gender": GENDER_LABELS.get(five.gender, five.gender),
        "birth_date": five.birth_date.isoformat(),
        "school_name": five.school_name,
    }


def _differences(entered: dict[str, str], registry: dict[str, str]) -> dict[str, list[Any]]:
    """Per field that differs, each differing character: position (in the entered value),
    the registry's character, the entered one, the kind."""
    found: dict[str, list[Any]] = {}
    for field in FIELDS:
        if field == "gender":
            if entered[field] != registry[field]:
                found[field] = [
                    {
                        "position": 0,
                        "expected": registry[field],
                        "entered": entered[field],
                        "kind": "other",
                    }
                ]
            continue
        differences = names.compare(registry[field], entered[field])
        if differences:
            found[field] = [d.as_dict() for d in differences]
    return found


def _school_queue(session: Session, principal: Principal, school_code: str) -> tuple[str, Queue]:
    """The school (if the caller may see its queue) and its queue: accounts whose number
    belongs to one of its students, or which typed its full name."""
    if principal.role not in QUEUE_ROLES:
        scope.require_staff(principal)
        raise NotFound("没有找到该学校")
    school = visible_school(session, principal, school_code)
    return school.code, queue_of(school.code, school.name, school.region_code)


def queue_of(school_code: str, school_name: str, region_code: str) -> Queue:
    """The school's queue: accounts whose number belongs to one of its students, or
    which typed its full name (and whose number is on no record)."""
    return Queue.of_school(
        registry_indexes=scope.registry_indexes_of_school(school_code),
        school_name=names.normalise(school_name),
        region_code=region_code,
        on_record=scope.on_record,
    )


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of a school's queue; ``total`` counts the whole queue, ``next_after`` is
    the ``after`` of the next page (None on the last)."""

    items: list[UnmatchedAccount]
    total: int
    next_after: int | None


def unmatched_accounts(
    session: Session,
    clock: Clock,
    principal: Principal,
    school_code: str,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> QueuePage:
    """One page of the school's waiting accounts, oldest first; the look is audited."""
    code, queue = _school_queue(session, principal, school_code)
    limit = page_size(limit)
    found = queue.page(session, after=after, limit=limit + 1)
    accounts = found[:limit]
    next_after = accounts[-1].id if len(found) > limit else None
    own_students: list[candidates.Candidate] | None = None
    items = []
    for account in accounts:
        entered = account.fields
        record = lookup(session, registry_no=entered.registry_no)
        if record is not None and record.school_code != code:
            record = None  # another school's child: not this school's to see
        differences = (
            _differences(_values(entered), _values(record.five_fields())) if record else {}
        )
        ranked: list[candidates.Ranked] = []
        if record is None or {"name", "birth_date"} <= differences.keys():
            if own_students is None:
                own_students = candidates_of_school(session, code)
            typed = candidates.Typed(
                entered.registry_no, entered.name, entered.gender, entered.birth_date
            )
            ranked = [
                r
                for r in candidates.rank(typed, own_students)
                if record is None or r.candidate.key != record.student_id
            ]
        items.append(UnmatchedAccount(account, record, differences, ranked))
    audit.record(
        session,
        clock,
        actor_of(principal),
        action="unmatched_accounts.viewed",
        subject=f"school:{code}",
        school_code=code,
        payload={"account_ids": [item.account.id for item in items]},
    )
    return QueuePage(items, queue.count(session), next_after)


NOTICE_FIELDS = frozenset(FIELDS)


def notify_student(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    school_code: str,
    account_id: int,
    fields: list[str],
    message: str,
) -> Notice:
    """Tell a student in this school's queue that their own entry is wrong."""
    code, queue = _school_queue(session, principal, school_code)
    if principal.role is not Role.SCHOOL_ADMIN:
        scope.require_writer(principal)
    account = queue.account(session, account_id)
    if account is None:
        raise NotFound("该未激活账号不在本校待处理列表中")
    chosen = [f for f in dict.fromkeys(fields) if f in NOTICE_FIELDS]
    text = message.strip()
    if not chosen or len(chosen) != len(set(fields)):
        raise ValidationFailed("请选择学生填错的项目", code="NOTICE_FIELDS_INVALID")
    if len(text) > 500:
        raise ValidationFailed("说明不超过 500 个字符", code="NOTICE_TOO_LONG")
    notice = waiting.add_notice(
        session,
        clock,
        account_id=account.id,
        school_code=code,
        fields=chosen,
        message=text,
        created_by=principal.account_id,
    )
    audit.record(
        session,
        clock,
        actor_of(principal),
        action="unmatched_accounts.notified",
        subject=f"student_account:{account.id}",
        school_code=code,
        payload={"fields": chosen},
    )
    return notice
