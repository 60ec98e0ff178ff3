"""The family members of a national record as they are now: the registry's guardians
are the authority on who is a guardian and on a guardian's name, relation and phone
(学生信息维护 corrects them, parents' phone changes update them), while the record keeps
what only it has (a member's document, workplace, address…).

A record is written when the student is imported or corrected; the guardians may change
after. Pairing them by position would put a guardian on another member's details (the
mother's name beside the father's ID number once the father is no longer a guardian), so
each guardian is paired with the member that is the same person: the same name first
(among the members marked 是否监护人, then among all), then, for a guardian whose name was
corrected, the marked member with the same relation. A member marked 是否监护人 whom no
guardian pairs with is no longer one; a guardian no member pairs with takes a free slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from xueji.registry.national.fields import MEMBER_FIELDS, MEMBERS, member_column

#: the member fields a guardian's own data sets
GUARDIAN_FIELDS = ("name", "relation", "guardian", "phone")


class GuardianLike(Protocol):
    name: str
    relation: str
    phone: str


def reconciled(values: dict[str, str], guardians: Sequence[GuardianLike]) -> dict[str, str]:
    """``values`` (a record, column → stored value) with its members paired with the
    registry's ``guardians`` (in rank order) as the module says."""
    out = dict(values)
    named = [n for n in range(1, MEMBERS + 1) if values.get(member_column(n, "name"))]
    marked = [n for n in named if values.get(member_column(n, "guardian")) == "1"]
    pairs: dict[int, GuardianLike] = {}
    left = list(guardians)
    for pool, same in (
        (marked, "name"),
        (named, "name"),
        (marked, "relation"),
    ):
        for guardian in list(left):
            wanted = getattr(guardian, same)
            found = next(
                (
                    n
                    for n in pool
                    if n not in pairs and values.get(member_column(n, same)) == wanted
                ),
                None,
            )
            if found is not None:
                pairs[found] = guardian
                left.remove(guardian)
    # free slots first, then members who are not guardians (a guardian outranks them)
    spare = [n for n in range(1, MEMBERS + 1) if n not in named] + [
        n for n in reversed(named) if n not in pairs and n not in marked
    ]
    for guardian, n in zip(left, spare, strict=False):
        for field in MEMBER_FIELDS:
            out.pop(member_column(n, field.key), None)
        pairs[n] = guardian
    for n in marked:
        if n not in pairs:
            out[member_column(n, "guardian")] = "0"
    for n, guardian in pairs.items():
        out |= {
            member_column(n, "name"): guardian.name,
            member_column(n, "relation"): guardian.relation,
            member_column(n, "guardian"): "1",
            member_column(n, "phone"): guardian.phone,
        }
    return out
