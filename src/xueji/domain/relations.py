"""Family relations of guardians (GB/T 4761-2008 家庭关系代码), seen from the student."""

from __future__ import annotations

from xueji.domain.errors import ValidationFailed

#: code → Chinese name, for the relations a guardian of a pupil has.
RELATIONS: dict[str, str] = {
    "51": "父亲",
    "52": "母亲",
    "57": "继父",
    "58": "继母",
    "61": "祖父",
    "62": "祖母",
    "63": "外祖父",
    "64": "外祖母",
    "71": "兄",
    "75": "姐姐",
    "81": "伯父",
    "82": "伯母",
    "83": "叔父",
    "84": "婶母",
    "85": "舅父",
    "86": "舅母",
    "87": "姨父",
    "88": "姨母",
    "89": "姑父",
    "90": "姑母",
    "97": "其他亲属",
    "99": "非亲属",
}

#: What people type in the 监护人关系 column, beyond the names above.
ALIASES: dict[str, str] = {
    "父": "51",
    "爸爸": "51",
    "母": "52",
    "妈妈": "52",
    "爷爷": "61",
    "奶奶": "62",
    "外公": "63",
    "姥爷": "63",
    "外婆": "64",
    "姥姥": "64",
    "哥哥": "71",
    "其他监护人": "97",
    "其他": "97",
}

_BY_NAME = {name: code for code, name in RELATIONS.items()} | ALIASES


def parse_relation(value: str) -> str:
    """A relation code from its code or Chinese name; ``RELATION_INVALID`` otherwise."""
    text = value.strip()
    if text in RELATIONS:
        return text
    if text in _BY_NAME:
        return _BY_NAME[text]
    raise ValidationFailed(
        f"监护人关系“{text}”无法识别，请填写如 父亲、母亲、祖父、外祖母、其他监护人",
        code="RELATION_INVALID",
    )


def relation_label(code: str) -> str:
    return RELATIONS.get(code, code)
