"""Facts about single Chinese characters: readings (pypinyin) and variant forms (OpenCC)."""

from __future__ import annotations

from functools import cache

import opencc

#: OpenCC configurations that fold a form to Simplified Chinese. Only the *to simplified*
#: direction is used: simplified → traditional is one-to-many (后 → 後/后).
_TO_SIMPLIFIED = ("t2s", "tw2s", "hk2s")

#: Variant pairs that OpenCC does not fold and that occur in names (异体字 in the
#: population register); both directions are looked up.
KNOWN_VARIANTS = frozenset(
    {
        frozenset(("𠮷", "吉")),
        frozenset(("喆", "哲")),
        frozenset(("堃", "坤")),
        frozenset(("昇", "升")),
        frozenset(("淼", "渺")),
        frozenset(("犇", "奔")),
        frozenset(("甦", "苏")),
        frozenset(("綫", "线")),
        frozenset(("峯", "峰")),
        frozenset(("凉", "涼")),
    }
)


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@cache
def simplified_forms(char: str) -> frozenset[str]:
    """The character and what each configuration folds it to (plus Japanese shinjitai)."""
    forms = {char}
    for config in _TO_SIMPLIFIED:
        forms.add(_converter(config).convert(char))
    forms.add(_converter("t2s").convert(_converter("jp2t").convert(char)))
    return frozenset(form for form in forms if len(form) == 1)


def is_variant_pair(a: str, b: str) -> bool:
    """Whether two characters are forms of one character (禪/禅, 澤/泽, 𠮷/吉)."""
    if frozenset((a, b)) in KNOWN_VARIANTS:
        return True
    return bool(simplified_forms(a) & simplified_forms(b))


@cache
def toneless_readings(char: str) -> frozenset[str]:
    """Every reading of a Han character without tone (heteronyms included).

    Empty for characters pypinyin cannot read (non-Han, or Extension I which it returns
    unconverted), so such a difference is never called a homophone.
    """
    # imported here: loading pypinyin's dictionaries takes a noticeable part of a second,
    # which commands that never compare names (reconcile, import) should not pay
    from pypinyin import Style, pinyin

    readings = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    flat = {reading for group in readings for reading in group}
    return frozenset(r for r in flat if r.isascii() and r.isalpha())


def has_shared_reading(a: str, b: str) -> bool:
    return bool(toneless_readings(a) & toneless_readings(b))
