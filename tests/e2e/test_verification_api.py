"""The verification path over HTTP on both databases: the student's diagnosis (no
registry character), the school's audited queue with differences and candidates, the
school's notice, and the refresh after the school corrects the registry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.e2e.conftest import Headers, guardian_consents
from tests.e2e.test_accounts_api import register
from tests.e2e.test_learning_api import drain
from tests.e2e.test_registry_pages import page_login
from tests.registry_world import number
from xueji.audit.models import AuditEntry
from xueji.domain import paging

QUEUE = "/api/v1/schools/1144060401/unmatched-accounts"
TYPO_SCHOOL = "佛山市禅成区海口小学"


def signed_in(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/session", json={"username": username, "password": "a good password 1"}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def audit_actions(client: TestClient) -> list[str]:
    container = client.app.state.container  # type: ignore[attr-defined]
    with container.sessions() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def by_field(diagnosis: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["field"]: item for item in diagnosis["fields"]}


def test_diagnosis_names_the_field_and_position_but_no_registry_character(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    assert register(client, school_name=TYPO_SCHOOL).json()["status"] == "pending"
    student = signed_in(client, "chen2016")
    named = client.get("/api/v1/me/diagnosis", headers=student).json()
    # before a guardian vouches for the account: which field, nothing of how
    assert by_field(named)["school_name"] == {"field": "school_name", "result": "differs"}
    assert "positions" not in json.dumps(named) and "differences" not in json.dumps(named)
    guardian_consents(client, student)
    response = client.get("/api/v1/me/diagnosis", headers=student)
    assert response.status_code == 200
    body = response.json()
    fields = by_field(body)
    assert [f["field"] for f in body["fields"]] == [
        "registry_no",
        "name",
        "gender",
        "birth_date",
        "school_name",
    ]
    assert fields["name"]["result"] == "match" and fields["registry_no"]["result"] == "match"
    assert fields["school_name"]["result"] == "homophone"
    assert fields["school_name"]["positions"] == [4]
    assert any("学校全称" in step for step in body["next_steps"])
    assert any("学籍基本信息表" in step for step in body["next_steps"])
    assert "城" not in response.text, "the registry's character must not leak"


def test_diagnosis_of_an_unknown_number_checks_nothing_else(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    register(client, registry_no=number(sequence="011"))
    body = client.get("/api/v1/me/diagnosis", headers=signed_in(client, "chen2016")).json()
    assert [f["result"] for f in body["fields"]] == ["differs"] + ["unchecked"] * 4
    assert "G 加本人 18 位身份证号" in body["next_steps"][0]


def test_queue_shows_differences_beside_the_registry_and_is_audited(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    register(client, school_name=TYPO_SCHOOL)
    response = client.get(QUEUE, headers=admin)
    assert response.status_code == 200
    [item] = response.json()
    assert item["student_no"] == "chen2016" and item["student_id"]
    assert item["entered"]["school_name"] == TYPO_SCHOOL
    assert item["registry"]["school_name"] == "佛山市禅城区海口小学"
    assert item["differences"] == {
        "school_name": [{"position": 4, "expected": "城", "entered": "成", "kind": "homophone"}]
    }
    assert item["candidates"] == []
    assert "unmatched_accounts.viewed" in audit_actions(client)
    pdf = client.get(f"/students/{item['student_id']}/info-sheet.pdf", headers=admin)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_wrong_number_brings_ranked_candidates_never_a_link(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    register(client, registry_no=number(sequence="011"))
    [item] = client.get(QUEUE, headers=admin).json()
    assert item["registry"] is None and item["student_id"] is None
    [candidate] = item["candidates"]
    assert candidate["name"] == "陈小明" and candidate["score"] >= 80
    assert "*" in candidate["registry_no"]
    status = client.get("/api/v1/me/diagnosis", headers=signed_in(client, "chen2016")).json()
    assert status["status"] == "pending"


def test_only_the_schools_own_administrators_see_its_queue(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    register(client, school_name=TYPO_SCHOOL)
    other = client.get(QUEUE, headers=as_user("huajing-admin"))
    missing = client.get(
        "/api/v1/schools/1199999999/unmatched-accounts", headers=as_user("huajing-admin")
    )
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert client.get(QUEUE, headers=as_user("haikou-teacher")).status_code == 404
    assert client.get(QUEUE, headers=as_user("foshan")).status_code == 200
    assert client.get(QUEUE, headers=as_user("guangzhou")).status_code == 404


def test_the_school_tells_the_student_their_entry_is_wrong(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    register(client, name="陈晓明")
    [item] = client.get(QUEUE, headers=admin).json()
    url = f"{QUEUE}/{item['account_id']}/notices"
    bad = client.post(url, json={"fields": ["nickname"]}, headers=admin)
    assert bad.status_code == 422 and bad.json()["code"] == "NOTICE_FIELDS_INVALID"
    sent = client.post(url, json={"fields": ["name"], "message": "请按户口簿填写"}, headers=admin)
    assert sent.status_code == 201
    elsewhere = client.post(url, json={"fields": ["name"]}, headers=as_user("huajing-admin"))
    assert elsewhere.status_code == 404
    body = client.get("/api/v1/me/diagnosis", headers=signed_in(client, "chen2016")).json()
    assert body["notices"][0]["fields"] == ["name"]
    assert body["notices"][0]["message"] == "请按户口簿填写"
    assert "unmatched_accounts.notified" in audit_actions(client)


def test_a_long_queue_comes_a_page_at_a_time_and_every_account_can_be_notified(
    client: TestClient, as_user: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    admin = as_user("haikou-admin")
    for n in range(5):
        assert register(client, student_no=f"wait{n}", school_name=TYPO_SCHOOL).status_code == 201
    first = client.get(QUEUE, headers=admin)
    assert first.status_code == 200 and first.headers["X-Total-Count"] == "5"
    seen = first.json()
    link = first.headers["Link"]
    while link:
        assert link.endswith('>; rel="next"')
        following = client.get(link[1 : link.index(">")], headers=admin)
        assert following.status_code == 200 and following.headers["X-Total-Count"] == "5"
        seen += following.json()
        link = following.headers.get("Link", "")
    assert [item["student_no"] for item in seen] == [f"wait{n}" for n in range(5)]
    url = f"{QUEUE}/{seen[-1]['account_id']}/notices"
    assert client.post(url, json={"fields": ["school_name"]}, headers=admin).status_code == 201
    too_many = client.get(QUEUE, params={"limit": 501}, headers=admin)
    assert too_many.status_code == 422 and too_many.json()["code"] == "PAGE_SIZE_INVALID"
    page = client.get("/schools/1144060401/unmatched", headers=admin)
    assert "共 5 个未激活账号，本页显示 2 个" in page.text
    assert f"?after={seen[1]['account_id']}" in page.text
    token = page_login(client, "haikou-admin")
    after, third = seen[1]["account_id"], seen[2]["account_id"]
    notified = client.post(
        f"/schools/1144060401/unmatched/{third}/notices",
        data={"fields": "name", "after": str(after), "csrf_token": token},
        follow_redirects=False,
    )
    assert notified.status_code == 303, "back to the same page, at the account"
    assert notified.headers["location"].endswith(f"&after={after}#account-{third}")


def test_after_the_school_corrects_the_registry_the_account_activates_and_signs_in_by_number(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    corrected = client.patch(
        f"/api/v1/students/{number()}", json={"name": "陈晓明", "reason": "录入错误"}, headers=admin
    )
    assert corrected.status_code == 200
    drain(client)
    register(client, name="陈小明")  # the child's real name; the registry now differs
    student = signed_in(client, "chen2016")
    assert client.get("/api/v1/me/diagnosis", headers=student).json()["status"] == "pending"
    guardian_consents(client, student)  # the family vouches while the record is still wrong
    fixed = client.patch(
        f"/api/v1/students/{number()}",
        json={"name": "陈小明", "reason": "按户口簿更正"},
        headers=admin,
    )
    assert fixed.status_code == 200
    drain(client)
    after = client.get("/api/v1/me/diagnosis", headers=student).json()
    assert after["status"] == "active" and after["next_steps"] == []
    assert client.get("/api/v1/me/capabilities", headers=student).json()["linked"] is True
    assert client.get(QUEUE, headers=admin).json() == []
    again = client.post(
        "/api/v1/session",
        json={"username": number().lower(), "password": "a good password 1"},
    )
    assert again.status_code == 200


def test_queue_page_shows_the_difference_and_sends_a_notice(
    client: TestClient, as_user: Headers
) -> None:
    from tests.e2e.test_registry_pages import page_login

    as_user("haikou-admin")
    register(client, school_name=TYPO_SCHOOL)
    token = page_login(client, "haikou-admin")
    page = client.get("/schools/1144060401/unmatched")
    assert page.status_code == 200
    assert "第 5 个字符：学籍“城”，填写“成”（同音字）" in page.text
    assert "打印学籍基本信息表" in page.text
    [item] = client.get(QUEUE).json()
    sent = client.post(
        f"/schools/1144060401/unmatched/{item['account_id']}/notices",
        data={"fields": ["school_name"], "message": "", "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    client.cookies.clear()
    student_token = signed_in(client, "chen2016")
    home = client.get("/student", headers=student_token)
    assert "学校提醒：您填写的学校全称有误" in home.text
    assert "学籍基本信息表" in home.text
