"""The learning API over HTTP on both databases: refusals answer 403 with the reason."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.conftest import Headers
from tests.e2e.test_accounts_api import REGISTRATION, register_and_consent
from tests.registry_world import number
from xueji.app import apply_registry_events
from xueji.sync.worker import run_once


def drain(client: TestClient) -> None:
    container = client.app.state.container  # type: ignore[attr-defined]
    while run_once(container.sessions, container.clock, apply_registry_events):
        pass


def test_suspended_student_is_told_why(client: TestClient, as_user: Headers) -> None:
    admin, teacher = as_user("haikou-admin"), as_user("haikou-teacher")
    register_and_consent(client)
    signed = client.post(
        "/api/v1/session", json={"username": number(), "password": REGISTRATION["password"]}
    )
    student = {"Authorization": f"Bearer {signed.json()['token']}"}
    drain(client)
    classes = client.get("/api/v1/schools/1144060401/classes", headers=admin).json()
    homework = client.post(
        f"/api/v1/classes/{classes[0]['id']}/homework", json={"title": "口算练习"}, headers=teacher
    )
    assert homework.status_code == 201, homework.text
    course = client.post(
        "/api/v1/courses", json={"title": "佛山·科学"}, headers=as_user("foshan")
    ).json()
    assert client.post(f"/api/v1/courses/{course['id']}/open", headers=student).status_code == 200
    client.post(
        f"/api/v1/students/{number()}/enrollment-changes",
        json={"kind": "suspend", "reason": "病休"},
        headers=admin,
    )
    drain(client)
    submit = client.post(
        f"/api/v1/homework/{homework.json()['id']}/submissions",
        json={"content": "答案"},
        headers=student,
    )
    assert submit.status_code == 403
    assert submit.json()["code"] == "SUSPENDED" and "休学" in submit.json()["message"]
    replay = client.get(f"/api/v1/courses/{course['id']}/replay", headers=student)
    assert replay.status_code == 200
    archive = client.get("/api/v1/me/archive", headers=student)
    assert archive.status_code == 403 and archive.json()["code"] == "SUSPENDED"
