"""Small things a clerk, a parent or a student meets every day on the pages: times in
Beijing time, the class beside each student, only the enrollment changes the student's
status allows, and refusals that say exactly what is wrong."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.e2e.conftest import Headers
from tests.e2e.test_parents_api import APPLICATION, STRANGER, parent_headers, sign_up
from tests.e2e.test_registry_pages import page_login
from tests.import_files_helper import row, write_csv
from tests.registry_world import HAIKOU, number
from xueji.registry.lookup import lookup


def test_a_parents_page_shows_beijing_time(client: TestClient, as_user: Headers) -> None:
    as_user("haikou-admin")
    assert sign_up(client, STRANGER).status_code == 201
    parent = parent_headers(client, STRANGER)
    created = client.post("/api/v1/phone-change-applications", json=APPLICATION, headers=parent)
    assert created.status_code == 201, created.text
    client.get("/login")
    token = client.cookies["xueji_csrf"]
    client.post(
        "/login",
        data={"username": STRANGER, "password": "parent password 1", "csrf_token": token},
    )
    page = client.get("/parent").text
    assert "2026-11-29 16:00" in page and "2026-11-29 08:00" not in page  # 08:00 UTC


def test_the_student_list_shows_each_students_class(client: TestClient, as_user: Headers) -> None:
    as_user("haikou-admin")
    page_login(client, "haikou-admin")
    page = client.get("/students").text
    assert "<th>班级</th>" in page and "三年级(1)班" in page


def test_the_student_page_offers_only_the_changes_the_status_allows(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    page_login(client, "haikou-admin")
    url = f"/api/v1/students/{number()}"
    with client.app.state.container.sessions() as session:  # type: ignore[attr-defined]
        record = lookup(session, registry_no=number())
    assert record is not None
    student_id = record.student_id
    suspend = client.post(
        url + "/enrollment-changes", json={"kind": "suspend", "reason": "病休"}, headers=admin
    )
    assert suspend.status_code in (200, 201), suspend.text
    page = client.get(f"/students/{student_id}").text
    offered = page.split('<select name="kind" required>')[1].split("</select>")[0]
    assert "复学" in offered and "退学" in offered and "休学" not in offered
    client.post(
        url + "/enrollment-changes", json={"kind": "withdraw", "reason": "迁居"}, headers=admin
    )
    page = client.get(f"/students/{student_id}").text
    offered = page.split('<select name="kind" required>')[1].split("</select>")[0]
    assert "重新入学" in offered and "复学" not in offered and "退学" not in offered


def test_import_refusals_say_which_date(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    admin = as_user("haikou-admin")
    rows = [
        row(number(sequence="061"), "周一", birth="2016-02-12"),
        row(number("440604", "20170301", "062"), "周二", birth="2017-02-30"),
    ]
    files = {"file": ("a.csv", write_csv(tmp_path / "a.csv", rows).read_bytes(), "text/csv")}
    body = client.post(
        f"/api/v1/schools/{HAIKOU}/imports", files=files, data={"dry_run": "true"}, headers=admin
    ).json()
    messages = {e["row"]: e["message"] for e in body["errors"]}
    assert "学籍号中的出生日期为 2016-02-11" in messages[2]
    assert "不存在" in messages[3] and "2 月 30 日" in messages[3]


def test_the_registration_form_names_the_digit_that_is_wrong(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    client.get("/register")
    form = {
        "csrf_token": client.cookies["xueji_csrf"],
        "student_no": "chen2016",
        "password": "a good password 1",
        "registry_no": "G445222202508211234",  # the check digit should be 0
        "name": "陈小明",
        "gender": "1",
        "birth_date": "2016-02-11",
        "school_name": "佛山市禅城区海口小学",
    }
    refused = client.post("/register", data=form)
    assert refused.status_code == 422
    assert "最后一位应为“0”，实际为“4”" in refused.text
