"""The family's copy as a readable A4 document: the same content as the JSON, in
Chinese, in an embedded CJK font (names with Extension B characters included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF

from xueji.domain.statuses import LearningAction
from xueji.web.pdf import FONT, cjk_document

LEARNING_ACTIONS = frozenset(str(action) for action in LearningAction)

ACTIONS = {
    "student.registered": "登记学籍",
    "student.corrected": "更正学籍信息",
    "student.guardians_changed": "更改监护人",
    "student.revealed": "查看完整学籍号和手机号",
    "student.info_sheet_issued": "打印学籍基本信息表",
    "student.status_changed": "学籍异动",
    "student.transferred": "转学",
    "student.admitted": "入学（从其他学校转入）",
    "student.national_record_corrected": "更正全国学籍信息",
    "student.sensitive_read": "查看敏感信息（健康、残疾、资助等）",
    "transfer.requested": "申请转学",
    "transfer.rejected": "转学申请未通过",
    "phone_change.applied": "家长提交联系方式变更申请",
    "phone_change.revealed": "查看申请人完整手机号",
    "phone_change.forwarded": "班主任转交申请",
    "phone_change.approved": "学校通过申请",
    "phone_change.rejected": "学校未通过申请",
    "rights.exported": "下载个人信息副本",
    "rights.erasure_requested": "申请注销平台账号",
    "rights.erasure_cancelled": "撤回注销申请",
    "rights.erasure_lapsed": "注销申请失效（申请人已无权代为申请）",
    "rights.erased": "注销平台账号",
}


REGISTRY_FIELDS = (
    ("学籍号", "registry_no"),
    ("姓名", "name"),
    ("性别", "gender"),
    ("出生日期", "birth_date"),
    ("学校", "school"),
    ("班级", "class"),
    ("学籍状态", "status"),
)
ACCOUNT_FIELDS = (
    ("状态", "status"),
    ("填写的学籍号", "registry_no"),
    ("填写的姓名", "name"),
    ("填写的出生日期", "birth_date"),
    ("填写的学校", "school_name"),
    ("注册时间", "created_at"),
)


def render(copy: dict[str, Any], *, font: Path) -> bytes:
    pdf = cjk_document(font, "个人信息副本")
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 12, "个人信息副本", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(
        0,
        5,
        f"生成时间：{copy['generated_at']}　申请人：{copy['requested_by']}。"
        "本副本包含本平台保存的该学生全部个人信息；他人的手机号已脱敏。",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if copy.get("registry"):
        _registry(pdf, copy["registry"])
    for account in copy["accounts"]:
        _account(pdf, account)
    if copy.get("family"):
        _family(pdf, copy["family"])
    return bytes(pdf.output())


def _registry(pdf: FPDF, registry: dict[str, Any]) -> None:
    _heading(pdf, "学籍信息（学校保存）")
    for label, key in REGISTRY_FIELDS:
        _line(pdf, label, registry.get(key) or "—")
    for g in registry["guardians"]:
        _line(pdf, "监护人", f"{g['name']}（{g['relation']}）{g['phone']}")
    for item in registry.get("national_record", []):
        _line(pdf, item["field"], item["value"])
    for change in registry["history"]:
        moved = f"{change['from']}→{change['to']}"
        _line(pdf, "学籍异动", f"{change['at'][:10]} {moved} {change['reason']}")
    for act in registry["processing"]:
        _line(pdf, "处理记录", f"{act['at'][:19]} {ACTIONS.get(act['action'], act['action'])}")


def _account(pdf: FPDF, account: dict[str, Any]) -> None:
    _heading(pdf, f"平台账号 {account['student_no']}")
    for label, key in ACCOUNT_FIELDS:
        _line(pdf, label, account.get(key) or "—")
    for record in account["learning_records"]:
        action = record["action"]
        label = LearningAction(action).label if action in LEARNING_ACTIONS else action
        text = f"{record['at'][:16]} {record['resource']} {label}"
        _line(pdf, "学习记录", text + (f"：{record['content']}" if record["content"] else ""))
    for notice in account["notices"]:
        _line(pdf, "学校提示", f"{notice['at'][:10]} {notice['message']}")
    for consent in account["consents"]:
        _line(pdf, "监护人同意", f"{consent['at'][:16]} {consent['guardian']}")


def _family(pdf: FPDF, family: dict[str, Any]) -> None:
    _heading(pdf, "家长")
    for parent in family["bound_parents"]:
        _line(pdf, "已绑定家长", f"{parent['name'] or '—'} {parent['phone']}")
    for a in family["phone_change_applications"]:
        who = f"{a['guardian_name']}（{a['relation']}）{a['phone']}"
        _line(pdf, "变更申请", f"{a['at'][:10]} {who} {a['state']}")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, size=13)
    pdf.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)


def _line(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(0, 6, f"{label}：{value}", new_x="LMARGIN", new_y="NEXT")
