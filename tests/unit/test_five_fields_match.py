"""``matches`` is ``compare(...) == []`` without locating differences: checked on the
kinds of difference the domain knows, and on random pairs."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from xueji.domain.five_fields import FiveFields, compare, matches

BIRTH = dt.date(2016, 2, 11)
REGISTRY = FiveFields("G", "陈小明", "1", BIRTH, "佛山市禅城区海口小学")


def entered(**changes: object) -> FiveFields:
    values = {
        "registry_no": "G",
        "name": "陈小明",
        "gender": "1",
        "birth_date": BIRTH,
        "school_name": "佛山市禅城区海口小学",
    }
    values.update(changes)
    return FiveFields(**values)  # type: ignore[arg-type]


def test_spellings_that_normalise_equal_match_and_real_differences_do_not() -> None:
    cases = [
        entered(),
        entered(name=" 陈小明 "),
        entered(school_name="佛山市禅城区海口小学　"),
        entered(name="陈晓明"),
        entered(school_name="佛山市禅成区海口小学"),
        entered(gender="2"),
        entered(birth_date=dt.date(2016, 2, 12)),
    ]
    for case in cases:
        assert matches(case, REGISTRY) == (not compare(case, REGISTRY)), case


@given(st.text(max_size=6), st.text(max_size=6))
def test_matches_agrees_with_compare_on_any_names(name: str, school: str) -> None:
    case = entered(name=name, school_name=school)
    assert matches(case, REGISTRY) == (not compare(case, REGISTRY))
