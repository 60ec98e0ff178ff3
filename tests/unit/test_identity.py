"""Registry numbers: normalisation, derived facts, each error code, G/J/L numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from xueji.domain.codes import Gender
from xueji.domain.errors import IdentityError
from xueji.domain.identity import check_character, normalise, parse_number, parse_resident_id

TODAY = dt.date(2026, 11, 29)


def code_of(raw: str) -> str | None:
    try:
        parse_number(raw, today=TODAY)
    except IdentityError as error:
        return error.code
    return None


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (" 11010519491231002x ", "11010519491231002X"),
        ("\u300011010519491231002X\t", "11010519491231002X"),
        ("ｇ１１０１０５１９４９１２３１００２ｘ", "G11010519491231002X"),
        ("g11010519491231002X", "G11010519491231002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
    ],
)
def test_normalise_removes_representation_noise(raw: str, normalised: str) -> None:
    assert normalise(raw) == normalised


def test_article_example_names_the_right_check_character() -> None:
    with pytest.raises(IdentityError) as caught:
        parse_number("G445222202508211234", today=TODAY)
    assert caught.value.code == "ID_CHECKSUM"
    assert caught.value.details["expected_check"] == "0"
    assert "“0”" in caught.value.message


def test_derived_facts_of_a_g_number() -> None:
    number = parse_number("G445222202508211230", today=TODAY)
    assert number.registry_no == "G445222202508211230"
    assert number.resident_id == "445222202508211230"
    assert number.birth_date == dt.date(2025, 8, 21)
    assert number.gender is Gender.MALE
    assert number.region_code == "445222"
    assert number.region == "广东省揭阳市揭西县"


def test_bare_resident_id_becomes_a_g_number_and_female_is_even() -> None:
    number = parse_number("11010519491231002X", today=TODAY)
    assert number.registry_no == "G11010519491231002X"
    assert number.gender is Gender.FEMALE
    assert number.region == "北京市朝阳区"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "ID_LENGTH"),
        ("1101051949123100", "ID_LENGTH"),
        ("G1101051949123100", "ID_LENGTH"),
        ("110105194912310021X", "ID_LENGTH"),
        ("1101051949-231002X", "ID_FORMAT"),
        ("11010519491231 02X", "ID_FORMAT"),
        ("1101051949X231002X", "ID_FORMAT"),
        ("A11010519491231002X", "ID_FORMAT"),
        ("L44060420160211123X", "ID_FORMAT"),
        ("110105201602300021", "ID_BIRTH_DATE"),
        ("110105202801010021", "ID_BIRTH_DATE"),
        ("110105189912310021", "ID_BIRTH_DATE"),
        ("999999201001010018", "ID_REGION"),
        ("11010519491231002Y", "ID_FORMAT"),
        ("110105194912310021", "ID_CHECKSUM"),
    ],
)
def test_each_failure_has_its_code(raw: str, code: str) -> None:
    assert code_of(raw) == code


def test_format_error_names_the_position_and_character() -> None:
    with pytest.raises(IdentityError) as caught:
        parse_number("1101051949-231002X", today=TODAY)
    assert caught.value.details["position"] == 11
    assert "“-”" in caught.value.message


def test_birth_today_is_accepted_and_tomorrow_is_not() -> None:
    body = "440604" + TODAY.strftime("%Y%m%d") + "002"
    assert code_of(body + check_character(body)) is None
    tomorrow = "440604" + (TODAY + dt.timedelta(days=1)).strftime("%Y%m%d") + "002"
    assert code_of(tomorrow + check_character(tomorrow)) == "ID_BIRTH_DATE"


def test_j_number_is_checked_like_an_id_number_but_has_no_resident_id() -> None:
    body = "440604201602110001"[:17]
    number = parse_number("J" + body + check_character(body), today=TODAY)
    assert number.prefix == "J"
    assert number.resident_id is None
    assert number.gender is None
    assert number.region_code == "440604"
    wrong = "0" if check_character(body) != "0" else "1"
    assert code_of("J" + body + wrong) == "ID_CHECKSUM"


def test_l_number_has_no_check_character() -> None:
    number = parse_number("L440604201602111234", today=TODAY)
    assert number.registry_no == "L440604201602111234"
    assert number.birth_date == dt.date(2016, 2, 11)
    assert code_of("L440604201602301234") == "ID_BIRTH_DATE"
    assert code_of("L999999201602111234") == "ID_REGION"


def test_parse_resident_id_refuses_registry_prefixes() -> None:
    with pytest.raises(IdentityError) as caught:
        parse_resident_id("G11010519491231002X", today=TODAY)
    assert caught.value.code == "ID_FORMAT"
