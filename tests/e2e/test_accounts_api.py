"""Student registration over HTTP on both databases: activation only on an exact match
and a guardian's consent; mismatches named (and, once a guardian has verified the account,
explained) without disclosing the registry; one active account per number."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.e2e.conftest import Headers, guardian_consents
from tests.registry_world import number
from xueji.auth.models import Account

REGISTRATION = {
    "student_no": "chen2016",
    "password": "a good password 1",
    "registry_no": number(),
    "name": "陈小明",
    "gender": "1",
    "birth_date": "2016-02-11",
    "school_name": "佛山市禅城区海口小学",
}


def register(client: TestClient, **changes: Any) -> Any:
    return client.post("/api/v1/accounts", json=dict(REGISTRATION, **changes))


def accounts(client: TestClient) -> int:
    container = client.app.state.container  # type: ignore[attr-defined]
    with container.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Account)) or 0)


def sign_in(client: TestClient, username: str = "chen2016") -> dict[str, str]:
    signed = client.post(
        "/api/v1/session", json={"username": username, "password": REGISTRATION["password"]}
    )
    assert signed.status_code == 200, signed.text
    return {"Authorization": f"Bearer {signed.json()['token']}"}


def register_and_consent(
    client: TestClient, registration: dict[str, str] = REGISTRATION
) -> dict[str, str]:
    """A student whose five fields match registers and a guardian consents: active.
    Returns the student's sign-in headers."""
    assert client.post("/api/v1/accounts", json=registration).json()["status"] == (
        "awaiting_guardian"
    )
    student = sign_in(client, registration["student_no"])
    assert guardian_consents(client, student)["status"] == "active"
    return student


def test_exact_match_waits_for_a_guardian_then_activates(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    response = register(client)
    assert response.status_code == 201
    assert response.json() == {
        "status": "awaiting_guardian",
        "status_label": "待监护人确认",
        "student_no": "chen2016",
        "verified": False,
        "mismatches": [],
    }
    student = sign_in(client)
    assert client.get("/api/v1/me/capabilities", headers=student).json()["linked"] is False
    assert guardian_consents(client, student)["status"] == "active"
    assert client.get("/api/v1/me/capabilities", headers=student).json()["linked"] is True


def test_one_character_off_stays_pending_and_discloses_nothing(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    response = register(client, school_name="佛山市禅成区海口小学", name="陈晓明")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    # nobody has vouched for whoever typed this: the fields are named, nothing more
    assert body["mismatches"] == [{"field": "name"}, {"field": "school_name"}]
    assert "城" not in response.text and "小明" not in response.text
    student = sign_in(client)
    verified = guardian_consents(client, student)
    assert (verified["status"], verified["verified"]) == ("pending", True)
    assert verified["mismatches"] == [
        {"field": "name", "kind": "homophone"},
        {"field": "school_name", "kind": "homophone"},
    ]


def test_unknown_number_is_not_found(client: TestClient, as_user: Headers) -> None:
    as_user("haikou-admin")
    body = register(client, registry_no=number(sequence="999")).json()
    assert body["status"] == "pending"
    assert body["mismatches"] == [{"field": "registry_no"}]


def test_malformed_input_names_each_field_and_creates_nothing(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    before = accounts(client)
    response = register(
        client,
        student_no="1abc",
        registry_no="G445222202508211234",
        gender="x",
        birth_date="2016-13-01",
        password="short",
    )
    assert response.status_code == 422
    assert response.json()["details"]["fields"] == {
        "student_no": "STUDENT_NO_INVALID",
        "password": "PASSWORD_WEAK",
        "registry_no": "ID_CHECKSUM",
        "gender": "GENDER_INVALID",
        "birth_date": "BIRTH_DATE_INVALID",
    }
    assert accounts(client) == before


def test_an_active_number_cannot_be_taken_over(client: TestClient, as_user: Headers) -> None:
    as_user("haikou-admin")
    register(client)
    owner = sign_in(client)
    assert guardian_consents(client, owner)["status"] == "active"
    taken = register(client)
    assert taken.status_code == 409 and taken.json()["code"] == "STUDENT_NO_TAKEN"
    staff_name = register(client, student_no="foshan")
    assert staff_name.status_code == 409 and staff_name.json()["code"] == "STUDENT_NO_TAKEN"
    other = register(client, student_no="mallory1")
    assert other.status_code == 201 and other.json()["status"] == "awaiting_guardian"
    assert client.get("/api/v1/me/capabilities", headers=owner).json()["linked"] is True


def test_pending_student_corrects_and_signs_in_by_registry_number(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    register(client, school_name="佛山市禅成区海口小学")
    for spelling in ("chen2016", "CHEN2016", number().lower(), "ｇ" + number()[1:]):
        signed = client.post(
            "/api/v1/session", json={"username": spelling, "password": REGISTRATION["password"]}
        )
        assert signed.status_code == 200, spelling
        assert signed.json()["role"] == "student"
    headers = {"Authorization": f"Bearer {signed.json()['token']}"}
    assert client.get("/api/v1/me/account", headers=headers).json()["status"] == "pending"
    fixed = client.patch(
        "/api/v1/me/details", json={"school_name": "佛山市禅城区海口小学"}, headers=headers
    )
    assert (fixed.json()["status"], fixed.json()["mismatches"]) == ("awaiting_guardian", [])
    assert guardian_consents(client, headers)["status"] == "active"
    again = client.patch("/api/v1/me/details", json={"name": "x"}, headers=headers)
    assert again.status_code == 409


def test_registration_checks_have_their_own_budget(client: TestClient, as_user: Headers) -> None:
    """Ten attempts at one number a day, matching or not, whoever makes them; waiting an
    hour does not buy more; the answer sends the family to the school."""
    as_user("haikou-admin")
    for attempt in range(10):
        response = register(client, student_no=f"guess{attempt}", name="陈大明")
        assert response.status_code == 201
    refused = register(client, student_no="guess10", name="陈大明")
    assert refused.status_code == 429 and refused.json()["code"] == "THROTTLED"
    assert "学校" in refused.json()["message"]
    client.app.state.container.clock.advance(hours=1)  # type: ignore[attr-defined]
    assert register(client, student_no="guess11").status_code == 429
    assert (
        client.post(
            "/api/v1/session", json={"username": "guess0", "password": REGISTRATION["password"]}
        ).status_code
        == 200
    )


def test_capabilities_answer_only_a_live_student_session(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    assert client.get("/api/v1/me/capabilities").status_code == 401
    bogus = {"Authorization": "Bearer not-a-session"}
    assert client.get("/api/v1/me/capabilities", headers=bogus).status_code == 401
    staff = client.get("/api/v1/me/capabilities", headers=admin)
    assert staff.status_code == 403 and staff.json()["code"] == "FORBIDDEN"
    register(client, name="陈晓明")
    signed = client.post(
        "/api/v1/session", json={"username": "chen2016", "password": REGISTRATION["password"]}
    ).json()
    student = {"Authorization": f"Bearer {signed['token']}"}
    pending = client.get("/api/v1/me/capabilities", headers=student).json()
    assert pending["linked"] is False and pending["status"] is None
    assert pending["region_code"] is None
    assert pending["capabilities"] == ["course.open", "course.replay_cached"]
    clock = client.app.state.container.clock  # type: ignore[attr-defined]
    clock.advance(hours=13)
    assert client.get("/api/v1/me/capabilities", headers=student).status_code == 401


def test_registry_number_signs_in_only_the_account_it_names(
    client: TestClient, as_user: Headers
) -> None:
    """Two accounts waiting for one number: the number names neither; once one is active
    it names that one."""
    as_user("haikou-admin")
    password = REGISTRATION["password"]
    register(client, student_no="first2016", name="陈晓明")
    register(client, student_no="second2016", name="陈小名")
    by_number = {"username": number(), "password": password}
    refused = client.post("/api/v1/session", json=by_number)
    assert refused.status_code == 401 and "学生号" in refused.json()["message"]
    # the same words for any failed sign-in by number: they tell no one that others
    # registered the number
    wrong = client.post("/api/v1/session", json={"username": number(), "password": "x" * 12})
    assert wrong.json() == refused.json()
    client.get("/login")
    page = client.post(
        "/login",
        data={
            "username": number(),
            "password": password,
            "csrf_token": client.cookies["xueji_csrf"],
        },
    )
    assert page.status_code == 401 and "请改用注册时自己设定的学生号登录" in page.text
    signed = client.post("/api/v1/session", json={"username": "second2016", "password": password})
    headers = {"Authorization": f"Bearer {signed.json()['token']}"}
    fixed = client.patch("/api/v1/me/details", json={"name": "陈小明"}, headers=headers)
    assert fixed.json()["status"] == "awaiting_guardian"
    assert guardian_consents(client, headers)["status"] == "active"
    signed = client.post("/api/v1/session", json=by_number)
    assert signed.status_code == 200
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {signed.json()['token']}"})
    assert me.json()["username"] == "second2016"


def test_a_student_number_that_carries_an_identifier_is_refused(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    before = accounts(client)
    for reserved in (number(), "x" + number()[1:], "chen13800138001"):
        response = register(client, student_no=reserved)
        assert response.status_code == 422, reserved
        assert response.json()["details"]["fields"] == {"student_no": "STUDENT_NO_RESERVED"}
    assert accounts(client) == before
    # the registry number itself signs the student in once registered under another name
    assert register(client).status_code == 201
    guardian_consents(client, sign_in(client))
    assert (
        client.post(
            "/api/v1/session", json={"username": number(), "password": REGISTRATION["password"]}
        ).status_code
        == 200
    )
