"""The import's column-wise normalisation of names and phones agrees with the form's
per-value one: a name or phone accepted by hand is accepted in a file, and the other way
round."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from xueji.domain import names, phones
from xueji.registry.imports.files import COLUMNS
from xueji.registry.imports.rules import check_chunk, normalise_names, phone_expression
from xueji.registry.schools import normalise_class_name

NAME_PIECES = ["阿", "卜", "杜", "a", "B", " ", "\u3000", "\t", ".", "·", "Ａ", "ｂ", "-"]
NAME_PIECES += sorted(names.MIDDLE_DOT_LOOKALIKES)
PHONE_PIECES = ["1", "3", "8", "6", "0", "+", "-", " ", "(", "）", "８", "６", "＋", "－"]


def test_phones_typed_with_a_chinese_input_method_are_read() -> None:
    for typed in ("＋86 138 0013 8001", "１３８－００１３－８００１", "+86 138-0013-8001"):
        assert phones.parse_mobile(typed) == "13800138001"


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.sampled_from(NAME_PIECES), max_size=9).map("".join), min_size=1))
def test_names_normalise_in_a_file_as_in_the_form(values: list[str]) -> None:
    frame = pl.DataFrame({"name": values}).select(normalise_names(pl.col("name")))
    assert frame["name"].to_list() == [names.normalise(value) for value in values]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PHONE_PIECES), max_size=16).map("".join), min_size=1))
def test_phones_normalise_in_a_file_as_in_the_form(values: list[str]) -> None:
    frame = pl.DataFrame({"phone": values}).select(phone_expression("phone"))
    assert frame["phone"].to_list() == [phones.normalise_phone(value) for value in values]


CLASS_PIECES = ["三年级", "（", "）", "(", ")", "1", "１", " ", "\u3000", "\t", "班", "Ａ"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(CLASS_PIECES), max_size=8).map("".join), min_size=1))
def test_class_names_normalise_in_a_file_as_when_created(values: list[str]) -> None:
    frame = check_chunk(
        pl.DataFrame({key: [None] * len(values) for key in COLUMNS}).with_columns(
            pl.Series("class_name", values, dtype=pl.String)
        ),
        today=dt.date(2026, 11, 29),
    )
    assert frame["class_n"].to_list() == [normalise_class_name(value) for value in values]


def test_a_phone_with_the_country_code_and_no_plus_is_a_mobile() -> None:
    frame = pl.DataFrame({"phone": ["8613900139001", "86 138 0013 8001"]})
    assert frame.select(phone_expression("phone"))["phone"].to_list() == [
        "13900139001",
        "13800138001",
    ]
