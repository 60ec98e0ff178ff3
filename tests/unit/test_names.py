"""Names: normalisation keeps every real character; differences are explained by kind."""

from __future__ import annotations

import pytest

from xueji.domain.names import compare, equal, normalise, similarity


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("  张三 ", "张三"),
        ("Anna   Li", "Anna Li"),
        ("Ａｎｎａ Ｌｉ", "Anna Li"),
        ("阿卜杜•艾力", "阿卜杜·艾力"),
        ("阿卜杜・艾力", "阿卜杜·艾力"),
        ("阿卜杜．艾力", "阿卜杜·艾力"),
        ("阿卜杜‧艾力", "阿卜杜·艾力"),
        ("阿卜杜ˑ艾力", "阿卜杜·艾力"),
        ("阿卜杜.艾力", "阿卜杜·艾力"),
        ("阿卜杜 · 艾力", "阿卜杜·艾力"),
        ("St. Mary", "St. Mary"),
        ("张\u3000三", "张 三"),
        ("e\u0301", "\u00e9"),
        ("𠮷田", "𠮷田"),
        ("禪城", "禪城"),
    ],
)
def test_normalise(raw: str, normalised: str) -> None:
    assert normalise(raw) == normalised


def diff(expected: str, entered: str) -> list[tuple[int, str, str, str]]:
    return [(d.position, d.expected, d.entered, str(d.kind)) for d in compare(expected, entered)]


@pytest.mark.parametrize(
    ("registry", "entered", "differences"),
    [
        ("佛山市禅城区海口小学", "佛山市禅成区海口小学", [(4, "城", "成", "homophone")]),
        ("佛山市禅城区海口小学", "佛山市禪城区海口小学", [(3, "禅", "禪", "variant")]),
        ("佛山市禅城区海口小学", "佛山市禅城區海口小学", [(5, "区", "區", "variant")]),
        ("王小明", "王晓明", [(1, "小", "晓", "homophone")]),
        ("王明", "李明", [(0, "王", "李", "other")]),
        ("张三丰", "张丰三", [(1, "三丰", "丰三", "transposed")]),
        ("张三", "张 三", [(1, "", " ", "whitespace")]),
        ("阿卜杜·艾力", "阿卜杜艾力", [(3, "·", "", "punctuation")]),
        ("阿卜杜·艾力", "阿卜杜-艾力", [(3, "·", "-", "punctuation")]),
        ("欧阳娜娜", "欧娜娜", [(1, "阳", "", "missing")]),
        ("李娜", "李娜娜", [(1, "", "娜", "extra")]),
        ("ｶﾅ", "カナ", [(0, "ｶ", "カ", "width"), (1, "ﾅ", "ナ", "width")]),
        ("𠮷林", "吉林", [(0, "𠮷", "吉", "variant")]),
        ("𠮷林", "𠮷材", [(1, "林", "材", "other")]),
        ("海口小学", "  海口小学", []),
        ("Anna Li", "Ａｎｎａ  Li", []),
    ],
)
def test_compare(registry: str, entered: str, differences: list[tuple[int, str, str, str]]) -> None:
    assert diff(registry, entered) == differences
    assert equal(registry, entered) == (not differences)


def test_positions_count_characters_of_the_entered_value_not_code_units() -> None:
    # 𠮷 (U+20BB7) is one character although UTF-16 needs two code units for it.
    assert diff("𠮷田王", "𠮷田张") == [(2, "王", "张", "other")]


def test_positions_refer_to_the_raw_entered_value() -> None:
    assert diff("赵四", "  赵五") == [(3, "四", "五", "other")]


def test_extension_i_character_without_pinyin_is_other_not_a_crash() -> None:
    extension_i = "\U0002ebf0"
    assert diff("王" + extension_i, "王一") == [(1, extension_i, "一", "other")]


def test_similarity_ranks_the_homophone_above_an_unrelated_name() -> None:
    assert similarity("王小明", "王小明") == 100
    assert similarity("王小明", "王晓明") > similarity("王小明", "王大伟")
