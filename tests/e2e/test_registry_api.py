"""The registry API over HTTP on both databases, including the rule that a record outside
the caller's scope answers exactly like one that does not exist."""

from __future__ import annotations

import io
import os
import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from tests.e2e.conftest import Headers
from tests.e2e.test_registry_pages import page_login
from tests.registry_world import HAIKOU, HUAJING, number
from xueji.audit.models import AuditEntry
from xueji.db.scope import transaction

STUDENT = {
    "registry_no": number("440604", "20160503", "002"),
    "name": "李华",
    "gender": "2",
    "birth_date": "2016-05-03",
    "school_code": HAIKOU,
    "guardians": [{"name": "李建国", "relation": "父亲", "phone": "13800138003"}],
}


def test_register_then_read_masked_and_revealed(client: TestClient, as_user: Headers) -> None:
    created = client.post("/api/v1/students", json=STUDENT, headers=as_user("haikou-admin"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["registry_no"] == "G4406**********0026"[:5] + "*" * 10 + STUDENT["registry_no"][-4:]
    assert body["guardians"][0]["phone"] == "138****8003"
    assert body["guardians"][0]["relation_label"] == "父亲"
    assert body["status_label"] == "在籍在校"
    url = f"/api/v1/students/{STUDENT['registry_no']}"
    revealed = client.get(url, params={"reveal": "true"}, headers=as_user("haikou-admin"))
    assert revealed.json()["registry_no"] == STUDENT["registry_no"]
    assert revealed.json()["guardians"][0]["phone"] == "13800138003"
    teacher = client.get(url, params={"reveal": "true"}, headers=as_user("haikou-teacher"))
    assert teacher.status_code == 404  # not in the teacher's class


def test_invalid_registration_names_the_field_in_chinese(
    client: TestClient, as_user: Headers
) -> None:
    bad = dict(STUDENT, registry_no="G445222202508211234")
    response = client.post("/api/v1/students", json=bad, headers=as_user("haikou-admin"))
    assert response.status_code == 422
    assert response.json()["code"] == "ID_CHECKSUM"
    assert response.json()["details"]["expected_check"] == "0"
    assert "校验码" in response.json()["message"]


def test_correction_and_enrollment_change(client: TestClient, as_user: Headers) -> None:
    url = f"/api/v1/students/{number()}"
    admin = as_user("haikou-admin")
    corrected = client.patch(url, json={"name": "陈晓明", "reason": "按户口簿更正"}, headers=admin)
    assert corrected.status_code == 200 and corrected.json()["name"] == "陈晓明"
    no_reason = client.patch(url, json={"name": "陈小明"}, headers=admin)
    assert no_reason.status_code == 422
    suspended = client.post(
        url + "/enrollment-changes", json={"kind": "suspend", "reason": "病休"}, headers=admin
    )
    assert suspended.json()["status"] == "suspended"
    illegal = client.post(
        url + "/enrollment-changes", json={"kind": "graduate", "reason": "x"}, headers=admin
    )
    assert illegal.status_code == 409
    assert illegal.json()["code"] == "ILLEGAL_TRANSITION"
    detail = client.get(url, headers=admin).json()
    assert [h["kind"] for h in detail["history"]] == ["suspend"]


def test_transfer_flow(client: TestClient, as_user: Headers) -> None:
    requested = client.post(
        "/api/v1/transfers",
        json={"registry_no": number(), "to_school_code": HUAJING, "reason": "迁居"},
        headers=as_user("huajing-admin"),
    )
    assert requested.status_code == 201
    asked = requested.json()
    assert asked["from_school_code"] is None and asked["student_name"] is None
    assert asked["registry_no"].startswith("G4406") and "*" in asked["registry_no"]
    transfer_id = asked["id"]
    inbox = client.get("/api/v1/transfers", headers=as_user("haikou-admin")).json()
    assert [t["id"] for t in inbox] == [transfer_id]
    assert inbox[0]["student_name"] == "陈小明", "the origin school sees whom it hands over"
    confirmed = client.post(
        f"/api/v1/transfers/{transfer_id}/confirm", headers=as_user("haikou-admin")
    )
    assert confirmed.json()["status"] == "confirmed"
    moved = client.get(f"/api/v1/students/{number()}", headers=as_user("huajing-admin"))
    assert moved.json()["school_code"] == HUAJING


OUT_OF_SCOPE = [
    ("GET", "/api/v1/students/{no}", None),
    ("GET", "/api/v1/students/{no}/info-sheet.pdf", None),
    ("GET", "/api/v1/students/{no}?reveal=true", None),
    ("PATCH", "/api/v1/students/{no}", {"name": "陈晓明", "reason": "x"}),
    ("POST", "/api/v1/students/{no}/enrollment-changes", {"kind": "suspend", "reason": "x"}),
    ("GET", "/api/v1/schools/{school}/classes", None),
    ("POST", "/api/v1/schools/{school}/classes", {"grade": 4, "name": "四年级(1)班"}),
    ("PATCH", "/api/v1/schools/{school}", {"name": "新名称", "reason": "x"}),
    ("POST", "/api/v1/students", dict(STUDENT)),
]


@pytest.mark.parametrize(("method", "path", "body"), OUT_OF_SCOPE)
def test_out_of_scope_is_indistinguishable_from_absent(
    client: TestClient, as_user: Headers, method: str, path: str, body: dict[str, object] | None
) -> None:
    """The same call on a real record of another school and on a record that does not
    exist gives the same status and the same body."""
    outsider = as_user("huajing-admin")
    real = path.format(no=number(), school=HAIKOU)
    absent = path.format(no=number(sequence="999"), school="1199999999")
    absent_body = dict(body, school_code="1199999999") if body and "school_code" in body else body
    answer = client.request(method, real, json=body, headers=outsider)
    missing = client.request(method, absent, json=absent_body, headers=outsider)
    assert answer.status_code == 404, answer.text
    assert (answer.status_code, answer.json()) == (missing.status_code, missing.json())


def test_a_returned_request_tells_the_asking_school_why(
    client: TestClient, as_user: Headers
) -> None:
    asking = as_user("huajing-admin")
    requested = client.post(
        "/api/v1/transfers",
        json={"registry_no": number(), "to_school_code": HUAJING, "reason": "迁居"},
        headers=asking,
    ).json()
    rejected = client.post(
        f"/api/v1/transfers/{requested['id']}/reject",
        json={"reason": "学籍号有误，请核对"},
        headers=as_user("haikou-admin"),
    )
    assert rejected.status_code == 200
    [seen] = client.get("/api/v1/transfers", headers=asking).json()
    assert (seen["status"], seen["decision_reason"]) == ("rejected", "学籍号有误，请核对")
    assert seen["student_name"] is None and seen["from_school_code"] is None
    page_login(client, "huajing-admin")
    assert "被退回：学籍号有误，请核对" in client.get("/transfers").text


def test_confirming_another_schools_transfer_is_404(client: TestClient, as_user: Headers) -> None:
    requested = client.post(
        "/api/v1/transfers",
        json={"registry_no": number(), "to_school_code": HUAJING, "reason": "迁居"},
        headers=as_user("huajing-admin"),
    ).json()
    response = client.post(
        f"/api/v1/transfers/{requested['id']}/confirm", headers=as_user("huajing-admin")
    )
    missing = client.post("/api/v1/transfers/999999/confirm", headers=as_user("huajing-admin"))
    assert response.status_code == 404
    assert response.json() == missing.json()


def test_registry_needs_sign_in(client: TestClient) -> None:
    response = client.get(f"/api/v1/students/{number()}")
    assert response.status_code == 401


def pdf_text(document: bytes) -> str:
    """The text a reader copies out of the PDF, as poppler (PDF viewers' engine) sees it."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is required on CI")
        pytest.skip("PDF text check skipped: install poppler-utils (pdftotext)")
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=document, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def test_info_sheet_is_a4_real_text_with_extension_b_and_audited(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    url = f"/api/v1/students/{number()}"
    client.patch(url, json={"name": "陈𠮷", "reason": "按户口簿更正"}, headers=admin)
    response = client.get(url + "/info-sheet.pdf", headers=admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert number() not in response.headers["content-disposition"]
    page = PdfReader(io.BytesIO(response.content)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = "".join(pdf_text(response.content).split())
    for expected in (
        "学籍基本信息表",
        number(),
        "陈𠮷",
        "男",
        "2016-02-11",
        "佛山市禅城区海口小学",
        "138****8001",
        "学校公章",
    ):
        assert expected in text, expected
    assert "13800138001" not in text
    teacher = client.get(url + "/info-sheet.pdf", headers=as_user("haikou-teacher"))
    assert teacher.status_code == 403
    container = client.app.state.container  # type: ignore[attr-defined]
    with transaction(container.sessions) as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "student.info_sheet_issued" in actions


def test_only_the_schools_administrator_creates_its_classes(
    client: TestClient, as_user: Headers
) -> None:
    url = f"/api/v1/schools/{HAIKOU}/classes"
    for username in ("foshan", "haikou-teacher"):
        refused = client.post(
            url, json={"grade": 4, "name": "四年级(1)班"}, headers=as_user(username)
        )
        assert refused.status_code == 403, (username, refused.text)
    admin = as_user("haikou-admin")
    long = client.post(url, json={"grade": 4, "name": "四年级" + "实验" * 30}, headers=admin)
    assert long.status_code == 422 and "不能超过 50 个字" in long.json()["message"]
    assert (
        client.post(url, json={"grade": 4, "name": "四年级(1)班"}, headers=admin).status_code == 201
    )


def test_a_refused_return_on_the_page_keeps_the_inbox_and_says_why(
    client: TestClient, as_user: Headers
) -> None:
    requested = client.post(
        "/api/v1/transfers",
        json={"registry_no": number(), "to_school_code": HUAJING, "reason": "迁居"},
        headers=as_user("huajing-admin"),
    ).json()
    page_login(client, "haikou-admin")
    url = f"/transfers/{requested['id']}/reject"
    csrf = client.cookies["xueji_csrf"]
    blank = client.post(url, data={"reason": "   ", "csrf_token": csrf})
    assert blank.status_code == 422 and "确认调档" in blank.text  # the inbox, not a bare page
    done = client.post(url, data={"reason": "学籍号有误", "csrf_token": csrf})
    assert done.status_code == 200 and "已退回该转学申请" in done.text  # followed redirect
    again = client.post(url, data={"reason": "另一个标签页", "csrf_token": csrf})
    assert again.status_code == 409 and "该转学申请已处理" in again.text
