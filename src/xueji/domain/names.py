"""Person and school names: normalisation, exact comparison and explained differences.

Normalisation removes only *representation* noise — the same text typed another way —
and never turns one character into a different one (rules and why each is safe:
``docs/names.md``). Activation then demands exact equality of the normalised values.

When two names differ, ``compare`` aligns them (optimal string alignment: edits plus
adjacent swaps) and classifies every difference so a student learns *what kind* of slip it
was — a homophone picked by the input method, a traditional form, a stray space — without
being shown the registry's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache

import unicodedata2 as unicodedata
from rapidfuzz import fuzz

from xueji.domain.errors import ValidationFailed
from xueji.domain.names_chars import has_shared_reading, is_variant_pair, toneless_readings

MIDDLE_DOT = "\u00b7"
#: Look-alikes people type for the separator of minority names (民委发〔2016〕33号: U+00B7).
#: NFKC does not unify these, so they are listed one by one.
MIDDLE_DOT_LOOKALIKES = frozenset(
    "\u2022\u30fb\uff0e\u2027\u02d1\u2219\uff65\u22c5\u0387\u16eb\u2e31\u318d\u00b7"
)
#: An ASCII full stop between two non-ASCII letters (阿依古丽.买买提) is the same separator.
_ASCII_STOP = "."


class DifferenceKind(StrEnum):
    WIDTH = "width"
    WHITESPACE = "whitespace"
    PUNCTUATION = "punctuation"
    VARIANT = "variant"
    HOMOPHONE = "homophone"
    TRANSPOSED = "transposed"
    MISSING = "missing"
    EXTRA = "extra"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference. ``position`` counts the characters of the entered value before it
    (so the first character is at 0; for ``missing``, where the character should be)."""

    position: int
    expected: str
    entered: str
    kind: DifferenceKind

    def as_dict(self) -> dict[str, str | int]:
        return {
            "position": self.position,
            "expected": self.expected,
            "entered": self.entered,
            "kind": str(self.kind),
        }


@dataclass(frozen=True, slots=True)
class Normalised:
    """A normalised value and, for each of its characters, its index in the input."""

    text: str
    origins: tuple[int, ...]
    input_length: int


@lru_cache(maxsize=65536)
def normalise(value: str) -> str:
    """The normalised form used for storage and for the exact comparison. Cached: bulk
    checks meet the same school names and common given names over and over."""
    return normalise_with_origins(value).text


def normalise_with_origins(value: str) -> Normalised:
    """NFC, full-width ASCII to ASCII, one middle dot, trimmed and collapsed spaces."""
    chars = list(unicodedata.normalize("NFC", value))
    mapped = [_map_char(chars, index) for index in range(len(chars))]
    out: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(mapped):
        if char == " ":
            if not out or out[-1] in (" ", MIDDLE_DOT):
                continue
        elif char == MIDDLE_DOT and out and out[-1] == " ":
            out.pop()
            origins.pop()
        out.append(char)
        origins.append(index)
    if out and out[-1] == " ":
        out.pop()
        origins.pop()
    return Normalised("".join(out), tuple(origins), len(chars))


def _map_char(chars: list[str], index: int) -> str:
    char = chars[index]
    if char in MIDDLE_DOT_LOOKALIKES:
        return MIDDLE_DOT
    if char == _ASCII_STOP and _between_non_ascii_letters(chars, index):
        return MIDDLE_DOT
    if char.isspace():
        return " "
    if "\uff01" <= char <= "\uff5e":
        return chr(ord(char) - 0xFEE0)
    return char


def _between_non_ascii_letters(chars: list[str], index: int) -> bool:
    """Whether the nearest non-space characters on both sides are non-ASCII letters."""
    before = next((c for c in reversed(chars[:index]) if not c.isspace()), "")
    after = next((c for c in chars[index + 1 :] if not c.isspace()), "")
    return all(c and not c.isascii() and c.isalpha() for c in (before, after))


def equal(registry_value: str, entered: str) -> bool:
    return normalise(registry_value) == normalise(entered)


def compare(registry_value: str, entered: str) -> list[Difference]:
    """Every difference between the normalised values, positioned in ``entered``."""
    expected = normalise(registry_value)
    typed = normalise_with_origins(entered)
    differences = []
    for op, i, j in _align(expected, typed.text):
        position = typed.origins[j] if j < len(typed.text) else _end_position(typed)
        if op == "swap":
            pair_e, pair_t = expected[i : i + 2], typed.text[j : j + 2]
            differences.append(Difference(position, pair_e, pair_t, DifferenceKind.TRANSPOSED))
        elif op == "sub":
            kind = classify(expected[i], typed.text[j])
            differences.append(Difference(position, expected[i], typed.text[j], kind))
        elif op == "del":
            kind = _lone_kind(expected[i], DifferenceKind.MISSING)
            differences.append(Difference(position, expected[i], "", kind))
        else:
            kind = _lone_kind(typed.text[j], DifferenceKind.EXTRA)
            differences.append(Difference(position, "", typed.text[j], kind))
    return differences


def _end_position(typed: Normalised) -> int:
    return typed.origins[-1] + 1 if typed.origins else 0


def classify(expected: str, entered: str) -> DifferenceKind:
    """Kind of a one-character substitution; the most specific kind wins."""
    if _same_compatibility_form(expected, entered) and _widths_differ(expected, entered):
        return DifferenceKind.WIDTH
    if expected.isspace() or entered.isspace():
        return DifferenceKind.WHITESPACE
    if _is_punctuation(expected) and _is_punctuation(entered):
        return DifferenceKind.PUNCTUATION
    if _same_compatibility_form(expected, entered) or is_variant_pair(expected, entered):
        return DifferenceKind.VARIANT
    if has_shared_reading(expected, entered):
        return DifferenceKind.HOMOPHONE
    return DifferenceKind.OTHER


def _lone_kind(char: str, default: DifferenceKind) -> DifferenceKind:
    if char.isspace():
        return DifferenceKind.WHITESPACE
    if _is_punctuation(char):
        return DifferenceKind.PUNCTUATION
    return default


def _same_compatibility_form(a: str, b: str) -> bool:
    return bool(unicodedata.normalize("NFKC", a) == unicodedata.normalize("NFKC", b))


def _widths_differ(a: str, b: str) -> bool:
    return bool(unicodedata.east_asian_width(a) != unicodedata.east_asian_width(b))


def _is_punctuation(char: str) -> bool:
    return char == MIDDLE_DOT or unicodedata.category(char)[0] in "PS"


def _align(a: str, b: str) -> list[tuple[str, int, int]]:
    """Optimal string alignment of ``a`` (expected) and ``b`` (entered).

    Returns the edits in order as (op, index in a, index in b) with op one of ``sub``,
    ``del`` (in a, not in b), ``ins`` (in b, not in a) and ``swap`` (adjacent pair
    reversed). rapidfuzz computes this distance but not its edit script; names are short,
    so the quadratic table costs microseconds.
    """
    rows, cols = len(a) + 1, len(b) + 1
    dist = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        dist[i][0] = i
    for j in range(cols):
        dist[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(dist[i - 1][j] + 1, dist[i][j - 1] + 1, dist[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1] and cost:
                best = min(best, dist[i - 2][j - 2] + 1)
            dist[i][j] = best
    return _backtrace(dist, a, b)


def _backtrace(dist: list[list[int]], a: str, b: str) -> list[tuple[str, int, int]]:
    i, j = len(a), len(b)
    edits: list[tuple[str, int, int]] = []
    while i > 0 or j > 0:
        here = dist[i][j]
        if i > 0 and j > 0 and a[i - 1] == b[j - 1] and here == dist[i - 1][j - 1]:
            i, j = i - 1, j - 1
        elif i > 0 and j > 0 and here == dist[i - 1][j - 1] + 1:
            edits.append(("sub", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif (
            i > 1
            and j > 1
            and a[i - 1] == b[j - 2]
            and a[i - 2] == b[j - 1]
            and here == dist[i - 2][j - 2] + 1
        ):
            edits.append(("swap", i - 2, j - 2))
            i, j = i - 2, j - 2
        elif i > 0 and here == dist[i - 1][j] + 1:
            edits.append(("del", i - 1, j))
            i -= 1
        else:
            edits.append(("ins", i, j - 1))
            j -= 1
    edits.reverse()
    return edits


@cache
def _pinyin_key(value: str) -> str:
    """The first toneless reading of each character (the character itself if none)."""
    return " ".join(min(toneless_readings(char), default=char) for char in value)


def similarity(a: str, b: str) -> float:
    """0–100, for ranking candidates: characters weigh 70 %, toneless pinyin 30 %, because
    input-method homophones are the commonest slip and should rank close."""
    na, nb = normalise(a), normalise(b)
    if na == nb:
        return 100.0
    return 0.7 * fuzz.ratio(na, nb) + 0.3 * fuzz.ratio(_pinyin_key(na), _pinyin_key(nb))


KIND_LABELS = {
    DifferenceKind.WIDTH: "全角/半角不同",
    DifferenceKind.WHITESPACE: "多余或缺少空格",
    DifferenceKind.PUNCTUATION: "标点或间隔号不同",
    DifferenceKind.VARIANT: "繁简或异体字",
    DifferenceKind.HOMOPHONE: "同音字",
    DifferenceKind.TRANSPOSED: "前后两字颠倒",
    DifferenceKind.MISSING: "缺少字符",
    DifferenceKind.EXTRA: "多出字符",
    DifferenceKind.OTHER: "其他不同的字",
}


#: The most characters a name field holds (民委发〔2016〕33号 asks for at least 50).
NAME_MAX_LENGTH = 100


def check_person_name(value: str) -> str:
    """The normalised name, or ``NAME_INVALID`` naming the first character a name cannot
    hold. Names hold letters of any script (all CJK extensions included), combining marks,
    the middle dot and single spaces between Latin words."""
    name = normalise(value)
    if not name:
        raise ValidationFailed("姓名不能为空", code="NAME_INVALID")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(f"姓名不能超过 {NAME_MAX_LENGTH} 个字符", code="NAME_INVALID")
    for index, char in enumerate(name):
        if char in (MIDDLE_DOT, " ") or unicodedata.category(char)[0] in "LM":
            continue
        raise ValidationFailed(
            f"姓名第 {index + 1} 个字符“{char}”不是姓名可用的字符",
            code="NAME_INVALID",
            position=index + 1,
        )
    if name[0] == MIDDLE_DOT or name[-1] == MIDDLE_DOT:
        raise ValidationFailed("间隔号“·”不能在姓名首尾", code="NAME_INVALID")
    return name
