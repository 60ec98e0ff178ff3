"""A pending account's five fields, field by field: ``match``, or the kind and positions
of the difference — never a character of the registry's value — and what the student
should do next, in Chinese."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from xueji.domain.five_fields import FIELD_LABELS, FIELDS, NOT_FOUND, Mismatch

#: what proves the value, to bring to the school
PROOF = {
    "registry_no": "身份证或户口簿（学籍号为 G 加本人身份证号）",
    "name": "户口簿或身份证",
    "gender": "户口簿或身份证",
    "birth_date": "户口簿、身份证或出生医学证明",
    "school_name": "学生证或学校开具的在读证明",
}
MATCH, UNCHECKED, DIFFERS = "match", "unchecked", "differs"


@dataclass
class FieldResult:
    field: str
    result: str
    positions: list[int] = dataclasses.field(default_factory=list)
    differences: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "result": self.result,
            "positions": self.positions,
            "differences": self.differences,
        }

    def named_only(self) -> dict[str, Any]:
        """Whether the field matches, and nothing of how it differs."""
        shown = self.result if self.result in (MATCH, UNCHECKED) else DIFFERS
        return {"field": self.field, "result": shown}


def field_results(mismatches: list[Mismatch]) -> list[FieldResult]:
    """One result per field, in the order of the five fields. With an unknown number the
    other four cannot be compared: ``unchecked``."""
    if any(m.kind == NOT_FOUND for m in mismatches):
        return [
            FieldResult(name, NOT_FOUND if name == "registry_no" else UNCHECKED) for name in FIELDS
        ]
    results = []
    for name in FIELDS:
        mine = [m for m in mismatches if m.field == name]
        if not mine:
            results.append(FieldResult(name, MATCH))
            continue
        positions = sorted({p for m in mine for p in m.positions})
        differences = [{"kind": m.kind, "positions": list(m.positions)} for m in mine]
        results.append(FieldResult(name, mine[0].kind, positions, differences))
    return results


#: For an account whose five fields match and that waits for a guardian.
CONSENT_STEPS = [
    "五项信息与学籍一致，还需监护人确认：请监护人把发到其手机上的验证码告诉你，"
    "或输入学校打印的《学籍基本信息表》上的激活码；已绑定你的家长账号也可以直接确认。",
]


def next_steps(results: list[FieldResult]) -> list[str]:
    """What the student should do, field by field."""
    if all(r.result == MATCH for r in results):
        return []
    if results[0].result == NOT_FOUND:
        return [
            "学籍系统中查不到您填写的学籍号。学籍号是大写字母 G 加本人 18 位身份证号，"
            "请对照身份证逐位核对后在“更正我填写的信息”中重新提交。",
            "如果核对无误仍查不到，请带身份证或户口簿到学校，请学校信息管理员在学籍系统中"
            "核实您的学籍号；学校会在“未激活账号”中看到您的申请。",
        ]
    wrong = [r for r in results if r.result != MATCH]
    labels = "、".join(FIELD_LABELS[r.field] for r in wrong)
    proofs = "；".join(f"{FIELD_LABELS[r.field]}：{PROOF[r.field]}" for r in wrong)
    steps = [
        f"请先对照证件核对您填写的{labels}；如果是自己填错了，在“更正我填写的信息”中改正，"
        "核对一致并经监护人确认后，账号即激活。",
        f"如果确认自己填写无误，请带上（{proofs}）到学校，请信息管理员打印《学籍基本信息表》，"
        f"核对学籍中的{labels}，并在“学生信息维护”中更正。",
        "学校更正后几秒内，监护人已确认过的账号会自动激活（尚未确认的，请监护人确认），"
        "之前的学习记录会归入电子学籍档案；之后可以用 G 加身份证号或学生号登录。",
    ]
    if any(r.field == "school_name" for r in wrong):
        steps.insert(1, "学校全称必须与学籍登记的完全一致，不能使用简称或旧校名。")
    return steps
