"""A student's national record over HTTP: who sees which fields, sensitive reads audited,
corrections checked like the import."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.e2e.conftest import Headers
from tests.e2e.test_registry_api import pdf_text
from tests.e2e.test_registry_pages import page_login
from tests.national_files import student, write_national
from tests.registry_world import HAIKOU
from xueji.audit.models import AuditEntry
from xueji.db.scope import transaction
from xueji.registry.models import Student
from xueji.sync.models import OutboxEvent


def imported(client: TestClient, admin: dict[str, str], tmp_path: Path) -> str:
    """One student of 三年级(1)班 (the teacher's), an orphan with a chronic illness."""
    values = student(9, orphan="1", health="3", needs_aid="1")
    path = write_national(tmp_path / "one.xlsx", [values])
    done = client.post(
        f"/api/v1/schools/{HAIKOU}/imports",
        files={"file": (path.name, path.read_bytes())},
        headers=admin,
    )
    assert done.json()["new"] == 1, done.text
    return values["registry_no"]


def sensitive_reads(client: TestClient) -> int:
    container = client.app.state.container  # type: ignore[attr-defined]
    with transaction(container.sessions) as session:
        return int(
            session.scalar(
                select(func.count()).where(AuditEntry.action == "student.sensitive_read")
            )
            or 0
        )


def by_column(body: dict[str, object]) -> dict[str, str]:
    fields = body["fields"]
    assert isinstance(fields, list)
    return {f["column"]: f["text"] for f in fields}


def test_who_sees_which_fields_and_every_sensitive_read_is_audited(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    admin = as_user("haikou-admin")
    number = imported(client, admin, tmp_path)
    url = f"/api/v1/students/{number}/record"
    plain = client.get(url, headers=admin).json()
    assert by_column(plain)["ethnicity"] == "汉族"
    assert "orphan" not in by_column(plain) and "是否孤儿" in plain["withheld"]
    assert sensitive_reads(client) == 0
    full = client.get(f"{url}?reveal=true", headers=admin).json()
    assert (by_column(full)["orphan"], by_column(full)["health"]) == ("是", "有慢性病")
    assert full["withheld"] == []
    assert sensitive_reads(client) == 1
    teacher = client.get(f"{url}?reveal=true", headers=as_user("haikou-teacher")).json()
    assert by_column(teacher)["health"] == "有慢性病"
    assert "orphan" not in by_column(teacher) and "needs_aid" not in by_column(teacher)
    assert set(teacher["withheld"]) >= {"是否孤儿", "是否需要申请资助", "成员1身份证件号"}
    assert sensitive_reads(client) == 2
    region = client.get(f"{url}?reveal=true", headers=as_user("foshan"))
    assert region.status_code == 403
    assert "orphan" not in by_column(client.get(url, headers=as_user("foshan")).json())
    other = client.get(url, headers=as_user("haikou-teacher2"))
    assert other.status_code == 404


def test_a_correction_is_checked_like_the_import_and_audited(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    admin = as_user("haikou-admin")
    number = imported(client, admin, tmp_path)
    url = f"/api/v1/students/{number}/record"
    done = client.patch(
        url,
        json={"values": {"ethnicity": "回族", "talent": ""}, "reason": "核对户口簿"},
        headers=admin,
    )
    assert done.status_code == 200 and done.json() == {"changed": ["ethnicity", "talent"]}
    shown = by_column(client.get(url, headers=admin).json())
    assert (shown["ethnicity"], shown["talent"]) == ("回族", "")
    # published as an import's correction of the record is, naming no field's value
    container = client.app.state.container  # type: ignore[attr-defined]
    with transaction(container.sessions) as session:
        last = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id.desc())).first()
        assert last is not None
        assert (last.event_type, last.payload) == (
            "student.corrected",
            {"changed": ["national_record"]},
        )
    bad = client.patch(url, json={"values": {"ethnicity": "火星族"}, "reason": "x"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["code"] == "ETHNICITY_INVALID"
    assert "民族" in bad.json()["message"]
    cleared = client.patch(url, json={"values": {"health": ""}, "reason": "x"}, headers=admin)
    assert cleared.json()["code"] == "HEALTH_REQUIRED"
    unknown = client.patch(url, json={"values": {"shoe_size": "38"}, "reason": "x"}, headers=admin)
    assert unknown.json()["code"] == "RECORD_FIELD_UNKNOWN"
    mismatch = client.patch(
        url, json={"values": {"document_no": "440604201602110028"}, "reason": "x"}, headers=admin
    )
    assert mismatch.json()["code"] == "DOCUMENT_NO_MISMATCH"
    teacher = client.patch(
        url, json={"values": {"ethnicity": "01"}, "reason": "x"}, headers=as_user("haikou-teacher")
    )
    assert teacher.status_code == 403
    assert by_column(client.get(url, headers=admin).json())["ethnicity"] == "回族"


def test_the_record_pages(client: TestClient, as_user: Headers, tmp_path: Path) -> None:
    admin = as_user("haikou-admin")
    imported(client, admin, tmp_path)
    container = client.app.state.container  # type: ignore[attr-defined]
    with transaction(container.sessions) as session:
        student_id = session.scalar(select(Student.id).where(Student.name == "学生九"))
    token = page_login(client, "haikou-admin")
    page = client.get(f"/students/{student_id}/record")
    assert page.status_code == 200 and "汉族" in page.text and "是否孤儿" in page.text
    before = sensitive_reads(client)
    form = client.get(f"/students/{student_id}/record/edit")
    assert form.status_code == 200 and 'value="01" selected' in form.text
    assert sensitive_reads(client) == before + 1
    refused = client.post(
        f"/students/{student_id}/record/edit",
        data={
            **_all_fields(form.text),
            "ethnicity": "99",
            "reason": "按户口簿核对",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422 and "ETHNICITY_INVALID" in refused.text
    assert 'value="按户口簿核对"' in refused.text  # what was typed stays, the reason too
    saved = client.post(
        f"/students/{student_id}/record/edit",
        data={**_all_fields(form.text), "ethnicity": "03", "reason": "核对", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert "回族" in client.get(saved.headers["location"]).text
    teacher_token = page_login(client, "haikou-teacher")
    teacher = client.post(
        f"/students/{student_id}/record/edit",
        data={**_all_fields(form.text), "reason": "x", "csrf_token": teacher_token},
    )
    assert teacher.status_code == 403 and "ETHNICITY" not in teacher.text


def _all_fields(html: str) -> dict[str, str]:
    """The form's current values, as a browser would post them."""
    import re

    values = dict(re.findall(r'<input name="([a-z0-9_]+)" value="([^"]*)"', html))
    for name, body in re.findall(r'<select name="([a-z0-9_]+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = chosen.group(1) if chosen else ""
    return values


def test_the_info_sheet_prints_every_field_and_sensitive_ones_only_for_the_school(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    admin = as_user("haikou-admin")
    number = imported(client, admin, tmp_path)
    url = f"/api/v1/students/{number}/info-sheet.pdf"
    printed = "".join(pdf_text(client.get(url, headers=admin).content).split())
    for expected in ("全国学籍信息", "民族", "汉族", "出生地", "禅城区", "成员1姓名", "有慢性病"):
        assert expected in printed, expected
    assert "13800138001" not in printed  # phones masked
    region = "".join(pdf_text(client.get(url, headers=as_user("foshan")).content).split())
    assert "健康状况" in region and "有慢性病" not in region and "不打印" in region


def test_long_fields_wrap_inside_their_boxes_on_the_info_sheet(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    """A long address and a long workplace stay on the page, every character printed."""
    import re
    import subprocess

    admin = as_user("haikou-admin")
    number = imported(client, admin, tmp_path)
    address = "广东省佛山市禅城区祖庙街道" + "人民路一百二十三号大院" * 6
    corrected = client.patch(
        f"/api/v1/students/{number}/record",
        json={"values": {"address": address, "m1_workplace": "某" * 60}, "reason": "核对"},
        headers=admin,
    )
    assert corrected.status_code == 200, corrected.text
    document = client.get(f"/api/v1/students/{number}/info-sheet.pdf", headers=admin).content
    printed = "".join(pdf_text(document).split())
    # wrapped lines come out between the neighbouring box's: count what only they hold
    assert (printed.count("大院"), printed.count("某")) == (6, 60)
    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=document, capture_output=True, check=True
    ).stdout.decode("utf-8")
    width = float(re.search(r'<page width="([0-9.]+)"', boxes).group(1))  # type: ignore[union-attr]
    right_edges = [float(x) for x in re.findall(r'xMax="([0-9.]+)"', boxes)]
    assert right_edges and max(right_edges) <= width
