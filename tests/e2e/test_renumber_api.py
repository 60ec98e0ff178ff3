"""A student with a J number obtains a resident ID: the same record takes the G number,
the platform account stays linked, the old number says it changed."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.e2e.conftest import Headers
from tests.e2e.test_accounts_api import guardian_consents, register_and_consent
from tests.e2e.test_registry_pages import page_login
from tests.national_files import student, write_national
from tests.registry_world import HAIKOU, number
from xueji.app import drain_events
from xueji.db.scope import transaction
from xueji.registry.models import Student

PASSWORD = "a good password 1"


def j_student(client: TestClient, admin: dict[str, str], tmp_path: Path) -> tuple[str, int]:
    """A student imported with a passport (given a J number): (number, id)."""
    values = student(31, registry_no="", document_type="A", document_no="E7654321")
    path = write_national(tmp_path / "j.xlsx", [values])
    done = client.post(
        f"/api/v1/schools/{HAIKOU}/imports",
        files={"file": (path.name, path.read_bytes())},
        headers=admin,
    )
    assert done.json()["new"] == 1, done.text
    container = client.app.state.container  # type: ignore[attr-defined]
    with transaction(container.sessions) as session:
        found = session.scalars(select(Student).where(Student.name == "学生三一")).one()
        return found.registry_no, found.id


def registration_of(j_number: str) -> dict[str, str]:
    """学生三一's registration with the J number, its five fields matching."""
    return {
        "student_no": "kid31",
        "password": PASSWORD,
        "registry_no": j_number,
        "name": "学生三一",
        "gender": "1",
        "birth_date": "2016-02-11",
        "school_name": "佛山市禅城区海口小学",
    }


def test_the_record_and_the_account_follow_the_new_number(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    admin = as_user("haikou-admin")
    j_number, _ = j_student(client, admin, tmp_path)
    assert j_number.startswith("J440604")
    registration = registration_of(j_number)
    register_and_consent(client, registration)
    resident_id = number(sequence="031")[1:]
    url = f"/api/v1/students/{j_number}/resident-id"
    done = client.post(
        url, json={"resident_id": resident_id, "reason": "取得身份证"}, headers=admin
    )
    assert done.status_code == 200, done.text
    assert (
        done.json()["registry_no"].endswith(resident_id[-4:]) and "*" in done.json()["registry_no"]
    )
    drain_events(client.app.state.container)  # type: ignore[attr-defined]
    new = client.post("/api/v1/session", json={"username": resident_id, "password": PASSWORD})
    assert new.status_code == 200, new.text
    kid = {"Authorization": f"Bearer {new.json()['token']}"}
    assert client.get("/api/v1/me/capabilities", headers=kid).json()["linked"] is True
    old = client.post("/api/v1/session", json={"username": j_number, "password": PASSWORD})
    assert old.status_code == 409 and old.json()["code"] == "REGISTRY_NO_CHANGED"
    wrong = client.post("/api/v1/session", json={"username": j_number, "password": "nope nope"})
    assert wrong.status_code == 401 and "REGISTRY_NO_CHANGED" not in wrong.text
    assert client.get(f"/api/v1/students/G{resident_id}", headers=admin).status_code == 200
    assert client.get(f"/api/v1/students/{j_number}", headers=admin).status_code == 404
    record = client.get(f"/api/v1/students/G{resident_id}/record?reveal=true", headers=admin)
    shown = {f["column"]: f["value"] for f in record.json()["fields"]}
    assert (shown["document_type"], shown["document_no"]) == ("1", resident_id)
    again = client.post(
        f"/api/v1/students/G{resident_id}/resident-id",
        json={"resident_id": resident_id, "reason": "x"},
        headers=admin,
    )
    assert again.status_code == 409 and again.json()["code"] == "NOT_A_J_NUMBER"


def test_a_resident_id_that_disagrees_or_is_taken_is_refused(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    admin = as_user("haikou-admin")
    j_number, student_id = j_student(client, admin, tmp_path)
    url = f"/api/v1/students/{j_number}/resident-id"
    other_birth = number(birth="20160212", sequence="031")[1:]
    refused = client.post(url, json={"resident_id": other_birth, "reason": "x"}, headers=admin)
    assert refused.json()["code"] == "BIRTH_DATE_MISMATCH"
    female = number(sequence="032")[1:]
    assert (
        client.post(url, json={"resident_id": female, "reason": "x"}, headers=admin).json()["code"]
        == "GENDER_MISMATCH"
    )
    taken = number()[1:]  # 陈小明's
    answer = client.post(url, json={"resident_id": taken, "reason": "x"}, headers=admin)
    assert answer.status_code == 409 and answer.json()["code"] == "REGISTRY_NO_TAKEN"
    teacher = client.post(
        url,
        json={"resident_id": number(sequence="031")[1:], "reason": "x"},
        headers=as_user("haikou-teacher"),
    )
    assert teacher.status_code == 403
    token = page_login(client, "haikou-admin")
    page = client.post(
        f"/students/{student_id}/resident-id",
        data={"resident_id": number(sequence="031")[1:], "reason": "x", "csrf_token": token},
    )
    assert page.status_code == 422 and "CONFIRMATION_REQUIRED" in page.text
    confirmed = {
        "resident_id": number(sequence="031")[1:],
        "reason": "取得身份证",
        "confirmed": "true",
        "csrf_token": token,
    }
    url = f"/students/{student_id}/resident-id"
    done = client.post(url, data=confirmed, follow_redirects=False)
    assert done.status_code == 303
    shown = client.get(done.headers["location"]).text
    assert "学籍号已换为身份证号" in shown and "原学籍号" in shown
    # sent again (the back button, a second tab): the form is gone, the refusal is said
    again = client.post(url, data=confirmed)
    assert again.status_code == 409 and "NOT_A_J_NUMBER" in again.text


def test_an_account_waiting_for_consent_follows_the_new_number(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    """Registered with the J number, converted before a guardian consented: the account
    signs in with the new number and the consent then activates it."""
    admin = as_user("haikou-admin")
    j_number, _ = j_student(client, admin, tmp_path)
    registration = registration_of(j_number)
    waiting = client.post("/api/v1/accounts", json=registration).json()
    assert waiting["status"] == "awaiting_guardian"
    resident_id = number(sequence="031")[1:]
    done = client.post(
        f"/api/v1/students/{j_number}/resident-id",
        json={"resident_id": resident_id, "reason": "取得身份证"},
        headers=admin,
    )
    assert done.status_code == 200, done.text
    drain_events(client.app.state.container)  # type: ignore[attr-defined]
    new = client.post("/api/v1/session", json={"username": resident_id, "password": PASSWORD})
    assert new.status_code == 200, new.text
    kid = {"Authorization": f"Bearer {new.json()['token']}"}
    assert guardian_consents(client, kid)["status"] == "active"
    assert client.get("/api/v1/me/capabilities", headers=kid).json()["linked"] is True


def test_a_number_given_up_is_never_given_again(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    """Neither by an import of an older file still holding it nor by hand."""
    admin = as_user("haikou-admin")
    j_number, _ = j_student(client, admin, tmp_path)
    resident_id = number(sequence="031")[1:]
    client.post(
        f"/api/v1/students/{j_number}/resident-id",
        json={"resident_id": resident_id, "reason": "取得身份证"},
        headers=admin,
    )
    older = student(33, registry_no=j_number, document_type="A", document_no="E7654321")
    path = write_national(tmp_path / "older.xlsx", [older])
    done = client.post(
        f"/api/v1/schools/{HAIKOU}/imports",
        files={"file": (path.name, path.read_bytes())},
        headers=admin,
    ).json()
    assert (done["new"], [e["code"] for e in done["errors"]]) == (0, ["REGISTRY_NO_CHANGED"])
    assert "G 字头" in done["errors"][0]["message"]
    by_hand = client.post(
        "/api/v1/students",
        json={
            "registry_no": j_number,
            "name": "学生三三",
            "gender": "1",
            "birth_date": "2016-02-11",
            "school_code": HAIKOU,
            "guardians": [{"name": "陈大明", "relation": "父亲", "phone": "13800138001"}],
        },
        headers=admin,
    )
    assert by_hand.status_code == 409 and by_hand.json()["code"] == "REGISTRY_NO_CHANGED"
