"""What a reconciliation found: per class of disagreement, a count and a few examples
(ids only, no personal data), and the students a repair would republish."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXAMPLES = 5


@dataclass
class Finding:
    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    student_ids: list[int] = field(default_factory=list)


@dataclass
class Report:
    students: int
    accounts: int
    in_flight: int
    seconds: float
    findings: dict[str, Finding]

    @property
    def agree(self) -> bool:
        return all(f.count == 0 for f in self.findings.values())

    @property
    def repairable_students(self) -> list[int]:
        found: set[int] = set()
        for finding in self.findings.values():
            found.update(finding.student_ids)
        return sorted(found)

    def as_json(self) -> dict[str, Any]:
        return {
            "agree": self.agree,
            "students": self.students,
            "accounts": self.accounts,
            "in_flight": self.in_flight,
            "seconds": round(self.seconds, 3),
            "disagreements": {
                name: {"count": f.count, "examples": f.examples}
                for name, f in self.findings.items()
            },
        }


#: each class of disagreement, in Chinese for operators
LABELS = {
    "projection_missing": "平台缺少该学生的学籍投影",
    "projection_stale": "平台的学籍状态、学校、地区或班级已过时",
    "projection_behind": "平台尚未应用该学生最新的变更事件",
    "active_account_mismatch": "已激活账号的五项信息与学籍不一致",
    "pending_account_matches": "未激活账号的五项信息已与学籍一致，却仍未激活",
    "events_never_applied": "超过宽限期仍未处理的事件（含死信）",
    "events_applied_twice": "被处理了不止一次的事件",
}
