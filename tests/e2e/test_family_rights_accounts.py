"""Which accounts are the child's, for the family's copy and its erasure (both
databases): one revoked when a guardian-verified registration reclaimed the number (a
child who forgot a password) still holds the child's learning records; a student's own
request made before the account was linked stands once it is; a request whose requester
may no longer ask is shown as lapsed, not withdrawn."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.conftest import Headers
from tests.e2e.test_accounts_api import REGISTRATION, guardian_consents, register_and_consent
from tests.e2e.test_accounts_api import sign_in as student_sign_in
from tests.e2e.test_family_rights_api import (
    child_id,
    container,
    count,
    drain,
    graduated_child,
    purge,
    run_due,
    studying_child,
)
from tests.e2e.test_parents_api import GUARDIAN, parent_headers, replace_guardian_phone
from tests.registry_world import PASSWORD
from xueji.platform.models import LearningRecord, StudentAccount


def test_an_account_revoked_by_a_reclaim_is_the_childs_to_copy_and_erase(
    client: TestClient, as_user: Headers
) -> None:
    _, parent = studying_child(client, as_user)  # chen2016, with a learning record
    student_id = child_id(client, parent)
    container(client).clock.advance(minutes=5)
    register_and_consent(client, dict(REGISTRATION, student_no="chen2016b"))  # reclaims
    drain(client)
    copy = client.get(f"/api/v1/me/export?student_id={student_id}", headers=parent).json()
    accounts = {a["student_no"]: a for a in copy["accounts"]}
    assert set(accounts) == {"chen2016", "chen2016b"}
    assert accounts["chen2016"]["learning_records"]
    asked = client.post("/api/v1/me/erasure", json={"student_id": student_id}, headers=parent)
    assert asked.status_code == 202, asked.text
    container(client).clock.advance(days=16)
    assert run_due(client) == 1
    assert count(client, StudentAccount) == 0 and count(client, LearningRecord) == 0


def test_a_students_request_made_before_the_link_stands_once_linked(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    assert client.post("/api/v1/accounts", json=REGISTRATION).status_code == 201
    student = student_sign_in(client)
    asked = client.post("/api/v1/me/erasure", json={}, headers=student)
    assert asked.status_code == 202, asked.text
    assert guardian_consents(client, student)["status"] == "active"
    listed = client.get("/api/v1/me/erasure", headers=student).json()
    assert [(r["id"], r["state"]) for r in listed] == [(asked.json()["id"], "waiting")]
    container(client).clock.advance(days=16)
    assert run_due(client) == 1
    assert count(client, StudentAccount) == 0


def test_a_request_its_parent_may_no_longer_make_is_shown_as_lapsed(
    client: TestClient, as_user: Headers
) -> None:
    student, parent = studying_child(client, as_user)
    student_id = child_id(client, parent)
    asked = client.post("/api/v1/me/erasure", json={"student_id": student_id}, headers=parent)
    assert asked.status_code == 202, asked.text
    replace_guardian_phone(client, as_user("haikou-admin"))
    drain(client)  # the old phone's binding ends
    container(client).clock.advance(days=16)
    assert run_due(client) == 0 and count(client, StudentAccount) == 1
    student = student_sign_in(client)  # a new session, sixteen days on
    [shown] = client.get("/api/v1/me/erasure", headers=student).json()
    assert shown["state"] == "lapsed" and shown["state_label"].startswith("已失效")
    assert parent_headers(client, GUARDIAN)  # the parent account itself stays


def test_retention_runs_from_the_day_the_child_left(client: TestClient, as_user: Headers) -> None:
    """A school's new name republishes every student: the three years (here 365 days) are
    still counted from graduation."""
    graduated_child(client, as_user)
    clock = container(client).clock
    clock.advance(days=364)
    renamed = client.patch(
        "/api/v1/schools/1144060401",
        json={"name": "佛山市禅城区海口实验小学", "reason": "学校更名"},
        headers=region_admin(client),  # a new session: a year on
    )
    assert renamed.status_code == 200, renamed.text
    drain(client)
    clock.advance(days=2)
    assert purge(client, retention_days=365) == 1


def region_admin(client: TestClient) -> dict[str, str]:
    signed = client.post("/api/v1/session", json={"username": "foshan", "password": PASSWORD})
    return {"Authorization": f"Bearer {signed.json()['token']}"}
