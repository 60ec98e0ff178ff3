"""``xueji serve`` on SQLite applies registry events in-process: a suspension recorded by
the school changes the student's permissions within seconds, with no manual step."""

from __future__ import annotations

import time

import httpx2 as httpx

from xueji.demo.load import DEMO_PASSWORD, STUDENT_ACCOUNTS


def token(base: str, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/v1/session", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_suspension_reaches_the_students_permissions(live_server: str) -> None:
    registry_no = STUDENT_ACCOUNTS[0][1]
    student = token(live_server, registry_no)  # signs in with the registry number
    before = httpx.get(f"{live_server}/api/v1/me/capabilities", headers=student).json()
    assert before["linked"] is True and "homework.submit" in before["capabilities"]
    admin = token(live_server, "haikou-admin")
    changed = httpx.post(
        f"{live_server}/api/v1/students/{registry_no}/enrollment-changes",
        json={"kind": "suspend", "reason": "病休"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    started = time.monotonic()
    while time.monotonic() - started < 5:
        now = httpx.get(f"{live_server}/api/v1/me/capabilities", headers=student).json()
        if now["status"] == "suspended":
            break
        time.sleep(0.05)
    assert now["status"] == "suspended", "the worker did not apply the event within 5 s"
    assert now["capabilities"] == ["course.replay_cached"]
    httpx.post(
        f"{live_server}/api/v1/students/{registry_no}/enrollment-changes",
        json={"kind": "resume", "reason": "康复"},
        headers=admin,
    )
