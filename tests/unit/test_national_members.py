"""A record's family members paired with the registry's guardians as they are now."""

from __future__ import annotations

from dataclasses import dataclass

from xueji.registry.national.members import reconciled


@dataclass
class Guardian:
    name: str
    relation: str
    phone: str


FATHER = {"m1_name": "陈大明", "m1_relation": "51", "m1_guardian": "1", "m1_phone": "13800138001"}
MOTHER = {"m2_name": "林秀英", "m2_relation": "52", "m2_guardian": "0", "m2_workplace": "某厂"}


def members(values: dict[str, str]) -> list[tuple[str, str, str, str]]:
    return [
        (
            values.get(f"m{n}_name", ""),
            values.get(f"m{n}_relation", ""),
            values.get(f"m{n}_guardian", ""),
            values.get(f"m{n}_phone", ""),
        )
        for n in range(1, 5)
        if values.get(f"m{n}_name")
    ]


def test_without_a_record_the_guardians_are_the_members() -> None:
    found = reconciled({}, [Guardian("陈大明", "51", "13800138001")])
    assert members(found) == [("陈大明", "51", "1", "13800138001")]


def test_a_guardian_keeps_their_member_and_takes_the_registry_phone() -> None:
    found = reconciled(FATHER | MOTHER, [Guardian("陈大明", "51", "13900139001")])
    assert members(found) == [("陈大明", "51", "1", "13900139001"), ("林秀英", "52", "0", "")]


def test_a_guardian_whose_name_was_corrected_keeps_their_member() -> None:
    found = reconciled(FATHER | {"m1_document_no": "X"}, [Guardian("陈达明", "51", "13800138001")])
    assert members(found) == [("陈达明", "51", "1", "13800138001")]
    assert found["m1_document_no"] == "X"


def test_a_member_becoming_a_guardian_and_one_ceasing_to_be() -> None:
    found = reconciled(FATHER | MOTHER, [Guardian("林秀英", "52", "13700137002")])
    assert members(found) == [
        ("陈大明", "51", "0", "13800138001"),
        ("林秀英", "52", "1", "13700137002"),
    ]
    assert found["m2_workplace"] == "某厂"


def test_a_guardian_added_by_hand_takes_a_free_slot_else_a_member_who_is_none() -> None:
    full = (
        FATHER
        | MOTHER
        | {
            "m3_name": "王桂兰",
            "m3_relation": "62",
            "m3_guardian": "0",
            "m4_name": "陈小红",
            "m4_relation": "77",
            "m4_guardian": "0",
            "m4_document_no": "Y",
        }
    )
    father, uncle = Guardian("陈大明", "51", "13800138001"), Guardian("林大伟", "85", "13600136000")
    found = reconciled(full, [father, uncle])
    assert members(found)[3] == ("林大伟", "85", "1", "13600136000")
    assert "m4_document_no" not in found  # the sister's, not the uncle's
    spare = reconciled(FATHER, [father, uncle])
    assert members(spare) == [
        ("陈大明", "51", "1", "13800138001"),
        ("林大伟", "85", "1", "13600136000"),
    ]
