"""The student's learning pages over HTTP on both databases: one page per course,
homework and live class with the student's own records, and the archive page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.conftest import Headers
from tests.e2e.test_accounts_api import REGISTRATION, register_and_consent
from tests.e2e.test_learning_api import drain
from tests.registry_world import number


def student_page_login(client: TestClient) -> str:
    """Registers the matching student and signs in through the login form (cookie)."""
    register_and_consent(client)
    drain(client)
    client.get("/login")
    token = client.cookies.get("xueji_csrf")
    assert token
    signed = client.post(
        "/login",
        data={"username": number(), "password": REGISTRATION["password"], "csrf_token": token},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    return token


def class_homework(client: TestClient, as_user: Headers, title: str) -> int:
    admin, teacher = as_user("haikou-admin"), as_user("haikou-teacher")
    classes = client.get("/api/v1/schools/1144060401/classes", headers=admin).json()
    created = client.post(
        f"/api/v1/classes/{classes[0]['id']}/homework", json={"title": title}, headers=teacher
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_homework_page_submits_and_lists_my_submission(
    client: TestClient, as_user: Headers
) -> None:
    homework = class_homework(client, as_user, "口算练习")
    token = student_page_login(client)
    page = client.get(f"/student/resources/{homework}")
    assert page.status_code == 200 and "口算练习" in page.text and "还没有学习记录" in page.text
    done = client.post(
        f"/student/resources/{homework}/submit",
        data={"content": "3+4=7", "view": "resource", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303  # the outcome on a page of its own
    for _ in range(2):  # refreshing it shows the outcome again, and does not submit again
        shown = client.get(done.headers["location"])
        assert "作业已提交" in shown.text and shown.text.count("3+4=7") == 1
    archive = client.get("/student/archive")
    assert archive.status_code == 200
    assert "口算练习" in archive.text and "提交作业" in archive.text


def test_course_page_offers_replay_only_after_opening(client: TestClient, as_user: Headers) -> None:
    course = client.post(
        "/api/v1/courses", json={"title": "佛山·科学"}, headers=as_user("foshan")
    ).json()["id"]
    token = student_page_login(client)
    before = client.get(f"/student/resources/{course}")
    assert 'data-refused="NOT_OPENED"' in before.text
    client.post(f"/student/resources/{course}/open", data={"view": "resource", "csrf_token": token})
    after = client.get(f"/student/resources/{course}")
    assert "NOT_OPENED" not in after.text and "回放" in after.text and "打开课程" in after.text


def test_suspended_students_homework_page_says_why_and_archive_is_closed(
    client: TestClient, as_user: Headers
) -> None:
    homework = class_homework(client, as_user, "口算练习")
    token = student_page_login(client)
    client.post(
        f"/api/v1/students/{number()}/enrollment-changes",
        json={"kind": "suspend", "reason": "病休"},
        headers=as_user("haikou-admin"),
    )
    drain(client)
    page = client.get(f"/student/resources/{homework}")
    assert 'data-refused="SUSPENDED"' in page.text and "休学期间" in page.text
    refused = client.post(
        f"/student/resources/{homework}/submit",
        data={"content": "答案", "view": "resource", "csrf_token": token},
    )
    assert refused.status_code == 403 and "休学期间暂停作业提交" in refused.text
    archive = client.get("/student/archive")
    assert archive.status_code == 403 and "休学期间暂停查看电子学籍档案" in archive.text
    assert "作业" not in archive.text.split('role="alert"')[1].split("</p>")[0]
    home = client.get("/student").text
    assert "查看我的电子学籍档案" not in home  # not offered while it cannot be opened
    row = home.split(f'data-resource="{homework}"')[1].split("</tr>")[0]
    assert 'disabled title="休学期间暂停作业提交，复学后恢复"' in row
    assert 'data-refusal="SUSPENDED"' in row


def test_an_enrolled_students_list_offers_only_what_works(
    client: TestClient, as_user: Headers
) -> None:
    course = client.post(
        "/api/v1/courses", json={"title": "佛山·科学"}, headers=as_user("foshan")
    ).json()["id"]
    token = student_page_login(client)
    home = client.get("/student").text
    assert "查看我的电子学籍档案" in home
    row = home.split(f'data-resource="{course}"')[1].split("</tr>")[0]
    assert row.count("disabled") == 1 and 'data-refusal="NOT_OPENED"' in row  # replay only
    client.post(f"/student/resources/{course}/open", data={"csrf_token": token})
    row = client.get("/student").text.split(f'data-resource="{course}"')[1].split("</tr>")[0]
    assert "disabled" not in row


def test_another_regions_course_page_is_like_a_missing_one(
    client: TestClient, as_user: Headers
) -> None:
    elsewhere = client.post(
        "/api/v1/courses", json={"title": "广州·书法"}, headers=as_user("guangzhou")
    ).json()["id"]
    student_page_login(client)
    other = client.get(f"/student/resources/{elsewhere}")
    missing = client.get("/student/resources/999999")
    assert other.status_code == missing.status_code == 404
    assert "广州·书法" not in other.text
