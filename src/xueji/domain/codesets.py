"""The national code sets of the registry record, kept as data (``data/codes/*.csv``:
``code,label[,aliases]``) with the standard each follows.

People type either the code (``01``) or its label (``汉族``); the record stores the code
and pages show the label. Aliases are what schools' rosters write for a label (``身份证``
for ``居民身份证``). Administrative divisions are not here: they have their own, dated,
list (``regions``).
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from xueji.domain.relations import ALIASES as RELATION_ALIASES
from xueji.domain.relations import FAMILY_ALIASES, FAMILY_ONLY, RELATIONS


@dataclass(frozen=True, slots=True)
class CodeSet:
    """One code set: its name in the code, its Chinese name, the standard it follows,
    and its codes (code → label) with every accepted spelling (spelling → code)."""

    name: str
    title: str
    standard: str
    labels: dict[str, str]
    spellings: dict[str, str]

    def parse(self, value: str) -> str | None:
        """The code of ``value`` (a code, a label or an alias), or None if it is none."""
        return self.spellings.get(spelling_key(value))

    def label(self, code: str) -> str:
        return self.labels.get(code, code)

    def allowed(self) -> str:
        """How to fill the field, for error messages: a code or a label, with examples."""
        first = list(self.labels.items())[:2]
        examples = "、".join(f"{code} 或 {label}" for code, label in first)
        return f"{self.title}的代码或名称，如 {examples}"


#: name → (Chinese name, standard or source)
SOURCES: dict[str, tuple[str, str]] = {
    "ethnicity": ("民族", "GB/T 3304-1991 中国各民族名称的罗马字母拼写法和代码"),
    "nationality": (
        "国籍/地区",
        "GB/T 2659 世界各国和地区名称代码（ISO 3166-1 三位字母代码；中文名取自 iso-codes 的"
        "简体中文译名，HKG、MAC、TWN 按国家标准写作中国香港、中国澳门、中国台湾）",
    ),
    "document_type": ("身份证件类型", "全国中小学生学籍信息管理系统 身份证件类型代码"),
    "overseas": ("港澳台侨外", "全国中小学生学籍信息管理系统 港澳台侨外代码"),
    "health": ("健康状况", "GB/T 2261.3-2003 健康状况代码"),
    "hukou_type": ("户口性质", "全国中小学生学籍信息管理系统 户口性质代码"),
    "admission_mode": ("入学方式", "全国中小学生学籍信息管理系统 入学方式代码"),
    "study_mode": ("就读方式", "全国中小学生学籍信息管理系统 就读方式代码"),
    "student_source": ("学生来源", "全国中小学生学籍信息管理系统 学生来源代码"),
    "disability": ("残疾类型", "GB/T 26341-2010 残疾人残疾分类和分级"),
    "inclusive": ("随班就读", "全国中小学生学籍信息管理系统 随班就读代码"),
    "political": ("政治面貌", "GB/T 4762-1984 政治面貌代码（14 少先队员为学籍系统所加）"),
    "commute": ("上下学方式", "全国中小学生学籍信息管理系统 上下学方式代码"),
    "yes_no": ("是/否", "全国中小学生学籍信息管理系统 是否标志（1 是，0 否）"),
    "relation": ("关系", "GB/T 4761-2008 家庭关系代码"),
}


def spelling_key(value: str) -> str:
    """A value as people type it: full-width letters and digits, spaces and letter case
    do not matter (``０１``, `` 汉族 ``, ``chn``)."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


@cache
def code_set(name: str) -> CodeSet:
    """The code set ``name`` (one of ``SOURCES``)."""
    title, standard = SOURCES[name]
    if name == "relation":
        # a family member may be a relation no guardian is (弟, 妹妹): the template's
        # guardian checks still refuse those for a member marked 是否监护人
        both = dict(sorted((RELATIONS | FAMILY_ONLY).items()))
        rows = [(code, label, "") for code, label in both.items()]
        extra = RELATION_ALIASES | FAMILY_ALIASES
    else:
        rows, extra = _read(name), {}
    labels = {code: label for code, label, _ in rows}
    spellings: dict[str, str] = {}
    for code, label, aliases in rows:
        for spelling in (code, label, *filter(None, aliases.split("|"))):
            spellings.setdefault(spelling_key(spelling), code)
    for alias, code in extra.items():
        spellings.setdefault(spelling_key(alias), code)
    for code in labels:  # 01 typed as 1, or kept by Excel as the number 1
        if code.isdigit() and code.startswith("0"):
            spellings.setdefault(code.lstrip("0") or "0", code)
    return CodeSet(name, title, standard, labels, spellings)


def _read(name: str) -> list[tuple[str, str, str]]:
    text = resources.files("xueji.domain").joinpath(f"data/codes/{name}.csv").read_text("utf-8")
    return [
        (row["code"], row["label"], row.get("aliases") or "")
        for row in csv.DictReader(text.splitlines())
    ]
