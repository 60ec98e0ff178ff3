"""Parents over HTTP on both databases: SMS codes, registration bound through the
registry (or 没有该用户), sign-in by phone, the phone-change application, and bindings
that follow guardian changes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.e2e.conftest import Headers, create_student
from tests.e2e.test_learning_api import drain
from tests.e2e.test_registry_pages import page_login
from tests.registry_world import HAIKOU, HUAJING, number, register
from xueji.audit.models import AuditEntry
from xueji.db.scope import transaction
from xueji.domain import paging
from xueji.domain.masking import mask_phone
from xueji.registry.models import School

GUARDIAN = "13800138001"  # 陈小明's guardian in the test registry
STRANGER = "13912345678"
PASSWORD = "parent password 1"
APPLICATION = {
    "registry_no": number(),
    "student_name": "陈小明",
    "guardian_name": "林秀英",
    "relation": "母亲",
}


def container(client: TestClient) -> Any:
    return client.app.state.container  # type: ignore[attr-defined]


def last_code(client: TestClient, phone: str) -> str:
    outbox = Path(container(client).settings.var_dir) / "sms-outbox.jsonl"
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    message = next(m["message"] for m in reversed(lines) if m["phone"] == mask_phone(phone))
    found = re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", message)
    assert found, message
    return found.group(0)


def sign_up(client: TestClient, phone: str) -> Any:
    sent = client.post("/api/v1/sms-codes", json={"phone": phone, "purpose": "parent_register"})
    assert sent.status_code == 202, sent.text
    return client.post(
        "/api/v1/parents",
        json={"phone": phone, "code": last_code(client, phone), "password": PASSWORD},
    )


def parent_headers(client: TestClient, phone: str) -> dict[str, str]:
    signed = client.post("/api/v1/session", json={"username": phone, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    return {"Authorization": f"Bearer {signed.json()['token']}"}


def test_sms_codes_are_checked_and_rate_limited(client: TestClient, as_user: Headers) -> None:
    as_user("haikou-admin")
    bad = client.post("/api/v1/sms-codes", json={"phone": "12345", "purpose": "parent_register"})
    assert bad.status_code == 422 and bad.json()["code"] == "PHONE_INVALID"
    odd = client.post("/api/v1/sms-codes", json={"phone": GUARDIAN, "purpose": "lottery"})
    assert odd.status_code == 422 and odd.json()["code"] == "PURPOSE_INVALID"
    first = client.post("/api/v1/sms-codes", json={"phone": GUARDIAN, "purpose": "parent_register"})
    assert first.status_code == 202 and first.json()["expires_in"] == 300
    again = client.post("/api/v1/sms-codes", json={"phone": GUARDIAN, "purpose": "parent_register"})
    assert again.status_code == 429 and again.json()["code"] == "THROTTLED"
    assert again.json()["message"] == "验证码已发送，请查收短信；如未收到，请 60 秒后再重新获取"
    container(client).clock.advance(seconds=61)
    later = client.post("/api/v1/sms-codes", json={"phone": GUARDIAN, "purpose": "parent_register"})
    assert later.status_code == 202


def test_a_guardian_phone_binds_at_registration_and_signs_in_by_phone(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    drain(client)
    response = sign_up(client, GUARDIAN)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["binding"]["code"] == "BOUND"
    [child] = body["children"]
    assert child["name"] == "陈小明" and child["school_name"] == "佛山市禅城区海口小学"
    assert "*" in child["registry_no"]
    headers = parent_headers(client, "+86 138 0013 8001")
    [mine] = client.get("/api/v1/parents/me/children", headers=headers).json()
    assert mine["status"] == "enrolled" and mine["status_label"] == "在籍在校"
    assert set(mine["resources"]) == {"course", "homework", "live"}
    assert mine["archive"] == []
    again = sign_up_again(client, GUARDIAN)
    assert again.status_code == 409 and again.json()["code"] == "PARENT_EXISTS"


def sign_up_again(client: TestClient, phone: str) -> Any:
    container(client).clock.advance(minutes=2)
    return sign_up(client, phone)


def test_an_unknown_phone_gets_an_account_bound_to_nobody(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    response = sign_up(client, STRANGER)
    assert response.status_code == 201
    assert response.json()["binding"] == {"code": "NO_SUCH_USER", "message": "没有该用户"}
    assert response.json()["children"] == []
    assert (
        client.get("/api/v1/parents/me/children", headers=parent_headers(client, STRANGER)).json()
        == []
    )


def test_a_wrong_code_creates_nothing_and_tries_are_limited(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    client.post("/api/v1/sms-codes", json={"phone": STRANGER, "purpose": "parent_register"})
    right = last_code(client, STRANGER)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        refused = client.post(
            "/api/v1/parents", json={"phone": STRANGER, "code": wrong, "password": PASSWORD}
        )
        assert refused.status_code == 422 and refused.json()["code"] == "SMS_CODE_INVALID"
    late = client.post(
        "/api/v1/parents", json={"phone": STRANGER, "code": right, "password": PASSWORD}
    )
    assert late.status_code == 422, "five wrong tries spend the code"
    signed = client.post("/api/v1/session", json={"username": STRANGER, "password": PASSWORD})
    assert signed.status_code == 401


def test_a_parent_of_two_children_in_two_schools_sees_both(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    with transaction(container(client).sessions) as session:
        world = build_world_again(session)
        register(
            session,
            container(client).clock,
            world,
            registry_no=number("440106", "20150923", "022"),
            name="陈小红",
            school=HUAJING,
            admin=world.huajing_admin,
            phone=GUARDIAN,
        )
    drain(client)
    assert sign_up(client, GUARDIAN).json()["binding"]["message"] == "已绑定 2 名学生"
    children = client.get("/api/v1/parents/me/children", headers=parent_headers(client, GUARDIAN))
    assert sorted(c["name"] for c in children.json()) == ["陈小明", "陈小红"]


def build_world_again(session: Any) -> Any:
    """The world ``as_user`` built, looked up again (principals by username)."""
    from tests.registry_world import World
    from xueji.auth import service as auth

    def who(name: str) -> Any:
        return auth.principal_by_username(session, name)

    assert session.scalar(select(School).where(School.code == HUAJING)) is not None
    return World(
        who("ops"), who("foshan"), who("guangzhou"), who("haikou-admin"),
        who("haikou-teacher"), who("haikou-teacher2"), who("huajing-admin"), 0, 0,
    )  # fmt: skip


def test_application_forwarded_and_approved_binds_the_waiting_parent(
    client: TestClient, as_user: Headers
) -> None:
    admin, teacher = as_user("haikou-admin"), as_user("haikou-teacher")
    drain(client)
    assert sign_up(client, STRANGER).json()["binding"]["code"] == "NO_SUCH_USER"
    parent = parent_headers(client, STRANGER)
    form = APPLICATION
    mismatch = client.post(
        "/api/v1/phone-change-applications", json=dict(form, student_name="王芳"), headers=parent
    )
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "APPLICATION_NOT_MATCHED"
    created = client.post("/api/v1/phone-change-applications", json=form, headers=parent)
    assert created.status_code == 201, created.text
    application = created.json()
    assert application["state"] == "submitted" and "applicant_phone" not in application
    duplicate = client.post("/api/v1/phone-change-applications", json=form, headers=parent)
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "APPLICATION_OPEN"

    url = f"/api/v1/phone-change-applications/{application['id']}"
    [seen] = client.get("/api/v1/phone-change-applications", headers=teacher).json()
    assert seen["applicant_phone"] == mask_phone(STRANGER)
    assert client.get(f"{url}?reveal=true", headers=teacher).status_code == 403
    assert client.get(url, headers=admin).json()["applicant_phone"] == mask_phone(STRANGER)
    shown = client.get(f"{url}?reveal=true", headers=admin).json()
    assert shown["applicant_phone"] == STRANGER
    assert seen["current_guardians"][0]["phone"] == "138****8001"
    assert client.post(f"{url}/approve", headers=teacher).status_code == 404
    assert client.post(f"{url}/forward", headers=teacher).json()["state"] == "forwarded"
    assert client.post(f"{url}/approve", headers=as_user("huajing-admin")).status_code == 404
    approved = client.post(f"{url}/approve", headers=admin)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert client.post(f"{url}/reject", json={"reason": "x"}, headers=admin).status_code == 409
    drain(client)
    [child] = client.get("/api/v1/parents/me/children", headers=parent).json()
    assert child["name"] == "陈小明"
    [mine] = client.get("/api/v1/phone-change-applications", headers=parent).json()
    assert mine["state"] == "approved"
    with container(client).sessions() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"phone_change.applied", "phone_change.forwarded", "phone_change.approved"} <= actions


def test_rejection_needs_a_reason_and_the_parent_sees_it(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    sign_up(client, STRANGER)
    parent = parent_headers(client, STRANGER)
    created = client.post(
        "/api/v1/phone-change-applications",
        json={
            "registry_no": number(),
            "student_name": "陈小明",
            "guardian_name": "王五",
            "relation": "其他亲属",
        },
        headers=parent,
    ).json()
    url = f"/api/v1/phone-change-applications/{created['id']}/reject"
    assert client.post(url, json={"reason": " "}, headers=admin).status_code == 422
    rejected = client.post(url, json={"reason": "无法核实与学生的关系"}, headers=admin)
    assert rejected.json()["state"] == "rejected"
    [mine] = client.get("/api/v1/phone-change-applications", headers=parent).json()
    assert mine["state"] == "rejected" and mine["reason"] == "无法核实与学生的关系"


def replace_guardian_phone(client: TestClient, admin: dict[str, str]) -> None:
    """The school gives 陈小明 a new guardian phone (学生信息维护): GUARDIAN is no longer
    on the record."""
    changed = client.patch(
        f"/api/v1/students/{number()}",
        json={
            "guardians": [{"name": "陈大明", "relation": "父亲", "phone": "13700137000"}],
            "reason": "家长更换手机号",
        },
        headers=admin,
    )
    assert changed.status_code == 200, changed.text


def test_removing_the_guardian_phone_ends_the_binding(client: TestClient, as_user: Headers) -> None:
    admin = as_user("haikou-admin")
    drain(client)
    sign_up(client, GUARDIAN)
    parent = parent_headers(client, GUARDIAN)
    assert len(client.get("/api/v1/parents/me/children", headers=parent).json()) == 1
    replace_guardian_phone(client, admin)
    drain(client)
    assert client.get("/api/v1/parents/me/children", headers=parent).json() == []


class FailingGateway:
    def send(self, phone: str, message: str) -> None:
        from xueji.sms import SmsNotSent

        raise SmsNotSent("短信发送失败，请稍后再试")


def test_a_failing_gateway_is_a_clear_error_and_still_counts_against_the_limit(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    container(client).sms = FailingGateway()
    body = {"phone": GUARDIAN, "purpose": "parent_register"}
    failed = client.post("/api/v1/sms-codes", json=body)
    assert failed.status_code == 503 and failed.json()["code"] == "SMS_NOT_SENT"
    again = client.post("/api/v1/sms-codes", json=body)
    assert again.status_code == 429, "the gateway is not asked again at once"


def test_an_open_application_follows_the_child_to_the_new_school(
    client: TestClient, as_user: Headers
) -> None:
    haikou, huajing = as_user("haikou-admin"), as_user("huajing-admin")
    sign_up(client, STRANGER)
    parent = parent_headers(client, STRANGER)
    created = client.post(
        "/api/v1/phone-change-applications", json=APPLICATION, headers=parent
    ).json()
    requested = client.post(
        "/api/v1/transfers",
        json={"registry_no": number(), "to_school_code": HUAJING, "reason": "迁居"},
        headers=huajing,
    ).json()
    client.post(f"/api/v1/transfers/{requested['id']}/confirm", headers=haikou)
    drain(client)
    assert client.get("/api/v1/phone-change-applications", headers=haikou).json() == []
    [moved] = client.get("/api/v1/phone-change-applications", headers=huajing).json()
    assert moved["id"] == created["id"] and moved["school_code"] == HUAJING
    url = f"/api/v1/phone-change-applications/{created['id']}/approve"
    assert client.post(url, headers=haikou).status_code == 404
    assert client.post(url, headers=huajing).json()["state"] == "approved"


def test_staff_lists_come_from_their_scope_a_page_at_a_time(
    client: TestClient, as_user: Headers, monkeypatch: Any
) -> None:
    huajing_no = number(region="440106", sequence="005")
    create_student(client, as_user("haikou-admin"), number(sequence="003"), "李华", HAIKOU)
    create_student(client, as_user("huajing-admin"), huajing_no, "王芳", HUAJING)
    drain(client)
    sign_up(client, STRANGER)
    parent = parent_headers(client, STRANGER)
    filed = []
    for registry_no, name in (
        (number(), "陈小明"),
        (number(sequence="003"), "李华"),
        (huajing_no, "王芳"),
    ):
        form = dict(APPLICATION, registry_no=registry_no, student_name=name)
        created = client.post("/api/v1/phone-change-applications", json=form, headers=parent)
        assert created.status_code == 201, created.text
        filed.append(created.json()["id"])

    def ids(user: str, **params: Any) -> list[int]:
        listed = client.get(
            "/api/v1/phone-change-applications", params=params, headers=as_user(user)
        )
        assert listed.status_code == 200, listed.text
        return [item["id"] for item in listed.json()]

    newest_first = filed[::-1]
    assert ids("ops") == newest_first
    assert ids("foshan") == newest_first[1:]
    assert ids("guangzhou") == newest_first[:1]
    assert ids("huajing-admin") == newest_first[:1]
    assert ids("foshan", limit=1) == newest_first[1:2]  # Guangzhou's newer one is not counted
    assert ids("ops", limit=2) == newest_first[:2]
    assert ids("ops", limit=2, before=newest_first[1]) == newest_first[2:]
    for limit in (0, 501):
        refused = client.get(
            "/api/v1/phone-change-applications", params={"limit": limit}, headers=as_user("ops")
        )
        assert refused.status_code == 422 and refused.json()["code"] == "PAGE_SIZE_INVALID"

    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    page_login(client, "ops")
    first = client.get("/phone-change-applications")
    assert first.status_code == 200 and "更早的申请" in first.text
    assert f"?before={newest_first[1]}" in first.text and "王芳" in first.text
    older = client.get("/phone-change-applications", params={"before": newest_first[1]})
    assert "陈小明" in older.text and "王芳" not in older.text and "更早的申请" not in older.text
