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

#: Relations of a family member of the national form (成员关系) who is not the pupil's
#: guardian: younger brothers and sisters, in-laws of siblings, cousins (GB/T 4761-2008).
FAMILY_ONLY: dict[str, str] = {
    "59": "其他父母关系",
    "72": "嫂",
    "73": "弟",
    "74": "弟媳",
    "76": "姐夫",
    "77": "妹妹",
    "78": "妹夫",
    "79": "其他兄弟姐妹",
    "91": "堂兄弟、堂姐妹",
    "92": "表兄弟、表姐妹",
}

#: What people type for a family member's relation, beyond the names of ``FAMILY_ONLY``.
FAMILY_ALIASES: dict[str, str] = {
    "弟弟": "73",
    "妹": "77",
    "嫂子": "72",
    "堂兄": "91",
    "堂弟": "91",
    "堂姐": "91",
    "堂妹": "91",
    "表兄": "92",
    "表弟": "92",
    "表姐": "92",
    "表妹": "92",
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
    return RELATIONS.get(code) or FAMILY_ONLY.get(code, code)
