"""Property tests: generated valid numbers pass, any one-digit change fails, and the bulk
validator gives the per-number validator's verdict on every input."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from xueji.domain import regions
from xueji.domain.errors import IdentityError
from xueji.domain.identity import check_character, parse_number
from xueji.domain.identity_bulk import validate_many

TODAY = dt.date(2026, 11, 29)
CODES = sorted(regions.known_codes())


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(CODES))
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.integers(min_value=0, max_value=999))
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


def verdict(raw: str) -> str | None:
    try:
        parse_number(raw, today=TODAY)
    except IdentityError as error:
        return error.code
    return None


@given(valid_numbers())
def test_every_generated_valid_number_passes(number: str) -> None:
    parsed = parse_number(number, today=TODAY)
    assert parsed.resident_id == number
    assert parsed.birth_date.strftime("%Y%m%d") == number[6:14]
    assert parsed.gender == ("1" if int(number[16]) % 2 else "2")


@given(valid_numbers(), st.integers(min_value=0, max_value=16), st.integers(1, 9))
def test_any_single_digit_change_in_the_first_17_fails(number: str, index: int, step: int) -> None:
    changed_digit = str((int(number[index]) + step) % 10)
    changed = number[:index] + changed_digit + number[index + 1 :]
    assert verdict(changed) is not None


@given(valid_numbers(), st.integers(min_value=0, max_value=16))
def test_any_single_character_change_to_a_non_digit_fails(number: str, index: int) -> None:
    changed = number[:index] + "X" + number[index + 1 :]
    assert verdict(changed) == "ID_FORMAT"


NOISE = st.text(
    alphabet=st.sampled_from(list("0123456789XxGgJjLl ０１２９Ｘｘ\u3000-·学\t")), max_size=22
)


@st.composite
def mutated_numbers(draw: st.DrawFn) -> str:
    number = draw(valid_numbers())
    prefix = draw(st.sampled_from(["", "G", "g", "J", "L", " ", "Ｇ"]))
    index = draw(st.integers(min_value=0, max_value=17))
    replacement = draw(st.sampled_from(list("0123456789Xx ０Ｘ")))
    if draw(st.booleans()):
        number = number[:index] + replacement + number[index + 1 :]
    return prefix + number


@settings(max_examples=300)
@given(st.lists(st.one_of(valid_numbers(), mutated_numbers(), NOISE), min_size=1, max_size=40))
def test_bulk_validator_agrees_with_the_single_validator(numbers: list[str]) -> None:
    frame = validate_many(numbers, today=TODAY)
    for raw, row in zip(numbers, frame.iter_rows(named=True), strict=True):
        expected = verdict(raw)
        assert row["code"] == expected, raw
        if expected is None:
            parsed = parse_number(raw, today=TODAY)
            assert row["registry_no"] == parsed.registry_no
            assert row["birth_date"] == parsed.birth_date
            assert row["gender"] == (str(parsed.gender) if parsed.gender else None)
            assert row["region_code"] == parsed.region_code
        elif expected == "ID_CHECKSUM":
            try:
                parse_number(raw, today=TODAY)
            except IdentityError as error:
                assert row["expected_check"] == error.details["expected_check"]
