"""Every published test vector, with the verdict our rules give and why where they differ
from the source's (see docs/identity-numbers.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from xueji.domain.errors import IdentityError
from xueji.domain.identity import WARN_REGION_PERIOD, parse_number

TODAY = dt.date(2026, 11, 29)
VECTORS = json.loads((Path(__file__).parent / "data" / "id-vectors.json").read_text("utf-8"))

#: Our verdict for every vector: None = valid, else the error code.
OUR_VERDICT: dict[str, str | None] = {
    "360426199101010071": None,
    "44011320141005001x": None,
    "412723199010050012": None,
    "110102199101010078": None,
    "120110198012010073": None,
    "120110199212010072": None,
    "990426199112010074": "ID_REGION",
    # Codes not in use in the birth year: accepted with a warning (children are
    # registered after renamings; a registry must not refuse a number someone holds).
    "110111198012010078": None,
    "110201199312010077": None,
    "T60426199101010078": "ID_FORMAT",
    "360426199113010079": "ID_BIRTH_DATE",
    "36042619910102009X": "ID_CHECKSUM",
    "440308199901101512": None,
    # First-generation 15-digit numbers expired in 2013; a registry number needs 18.
    "610104620927690": "ID_LENGTH",
    "810000199408230021": None,
    "830000199201300022": None,
    "500154199301135886": None,
    "411082198901010002": None,
    "500154199804106120": None,
    "440308199901101513": "ID_CHECKSUM",
    "44030819990110": "ID_LENGTH",
    "111111199901101512": "ID_REGION",
    "440308199902301512": "ID_BIRTH_DATE",
    "610104620932690": "ID_LENGTH",
    "44040119580101000X": None,
    "140120197901010008": None,
    "362324198001010014": None,
    "430302199312194239": None,
    # validator.js checks only the province; county 235407 never existed.
    "235407195106112745": "ID_REGION",
    "210203197503102721": None,
    "520323197806058856": None,
    "110101491001001": "ID_LENGTH",
    "160323197806058856": "ID_REGION",
    "010203197503102721": "ID_REGION",
    "520323297806058856": "ID_BIRTH_DATE",
    "520323197802318856": "ID_BIRTH_DATE",
    "235407195106112742": "ID_REGION",
    "010101491001001": "ID_LENGTH",
    "110101491041001": "ID_LENGTH",
    "160101491001001": "ID_LENGTH",
    "110101940231001": "ID_LENGTH",
    "235407207006112742": "ID_BIRTH_DATE",
    "11010519491231002X": None,
    "110105200002290021": None,
    "110105199102290023": "ID_BIRTH_DATE",
    "110105190002290025": "ID_BIRTH_DATE",
    "110105209901010020": "ID_BIRTH_DATE",
    "110105201000010027": "ID_BIRTH_DATE",
    "000000201001010018": "ID_REGION",
    "820000201001010010": None,
    "540481202403010029": None,
    "540481201503010021": None,
    "50015420120315002X": None,
    "659012202301050010": None,
    "44011320141005001Ｘ": None,
    "３６０４２６１９９１０１０１００７１": None,
    "445222202508211234": "ID_CHECKSUM",
}


def test_every_vector_has_a_verdict() -> None:
    assert {vector["number"] for vector in VECTORS} == set(OUR_VERDICT)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector["number"])
def test_vector(vector: dict[str, str]) -> None:
    expected = OUR_VERDICT[vector["number"]]
    try:
        number = parse_number(vector["number"], today=TODAY)
    except IdentityError as error:
        assert error.code == expected, error.message
        return
    assert expected is None, f"accepted, expected {expected}"
    assert number.resident_id is not None
    assert number.registry_no == "G" + number.resident_id
    if not vector["expected"].startswith("valid"):
        assert number.warnings == (WARN_REGION_PERIOD,)
