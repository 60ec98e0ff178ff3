"""The student's page asks for guardian codes: sent (after the redirect)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.conftest import Headers
from tests.e2e.test_accounts_api import REGISTRATION
from tests.e2e.test_guardian_consent_api import texts_to
from tests.e2e.test_parents_api import GUARDIAN


def test_the_students_page_sends_guardian_codes(client: TestClient, as_user: Headers) -> None:
    as_user("haikou-admin")
    assert client.post("/api/v1/accounts", json=REGISTRATION).status_code == 201
    client.get("/login")
    signed = client.post(
        "/login",
        data={
            "username": REGISTRATION["student_no"],
            "password": REGISTRATION["password"],
            "csrf_token": client.cookies["xueji_csrf"],
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    sent = client.post(
        "/student/guardian-codes",
        data={"csrf_token": client.cookies["xueji_csrf"]},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("sent=guardian-codes")
    assert len(texts_to(client, GUARDIAN)) == 1
