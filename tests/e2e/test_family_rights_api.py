"""The family's rights over HTTP on both databases: the student or a bound parent gets
a full copy of the child's data (JSON and a readable PDF), every copy audited; an
erasure waits out the cooling-off period, can be withdrawn meanwhile, then takes the
child's platform accounts and learning records while the registry record stays; the
daily job also purges accounts of children who left long ago."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.e2e.conftest import Headers
from tests.e2e.test_accounts_api import REGISTRATION, register_and_consent
from tests.e2e.test_learning_api import drain
from tests.e2e.test_parents_api import GUARDIAN, STRANGER, parent_headers, sign_up_again
from tests.e2e.test_parents_api import PASSWORD as PARENT_PASSWORD
from tests.e2e.test_registry_api import pdf_text
from tests.national_files import student as national_student
from tests.registry_world import number
from xueji.audit.models import AuditEntry
from xueji.auth.models import Account
from xueji.platform.models import LearningRecord, StudentAccount
from xueji.registry.lookup import lookup
from xueji.registry.national.fields import RECORD_COLUMNS
from xueji.rights import erasure

COOLING = dt.timedelta(days=15)


def container(client: TestClient) -> Any:
    return client.app.state.container  # type: ignore[attr-defined]


def count(client: TestClient, model: type) -> int:
    with container(client).sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def actions(client: TestClient) -> list[str]:
    with container(client).sessions() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def studying_child(client: TestClient, as_user: Headers) -> tuple[dict[str, str], dict[str, str]]:
    """陈小明 registered, consented and with one learning record; his guardian's parent
    account bound. Returns (student headers, parent headers)."""
    student = register_and_consent(client)
    drain(client)
    course = client.post(
        "/api/v1/courses", json={"title": "佛山·科学"}, headers=as_user("foshan")
    ).json()
    assert client.post(f"/api/v1/courses/{course['id']}/open", headers=student).status_code == 200
    assert sign_up_again(client, GUARDIAN).status_code == 201  # after the consent code
    return student, parent_headers(client, GUARDIAN)


def graduated_child(client: TestClient, as_user: Headers) -> None:
    """``studying_child``, then graduated, and the platform has followed."""
    studying_child(client, as_user)
    graduated = client.post(
        f"/api/v1/students/{number()}/enrollment-changes",
        json={"kind": "graduate", "reason": "小学毕业"},
        headers=as_user("haikou-admin"),
    )
    assert graduated.status_code in (200, 201), graduated.text
    drain(client)


def child_id(client: TestClient, parent: dict[str, str]) -> int:
    [child] = client.get("/api/v1/parents/me/children", headers=parent).json()
    return int(child["student_id"])


def test_the_student_and_a_bound_parent_get_everything_about_the_child(
    client: TestClient, as_user: Headers
) -> None:
    student, parent = studying_child(client, as_user)
    mine = client.get("/api/v1/me/export", headers=student)
    assert mine.status_code == 200, mine.text
    copy = mine.json()
    assert copy["registry"]["registry_no"] == number() and copy["registry"]["name"] == "陈小明"
    assert copy["registry"]["guardians"][0]["phone"] == "138****8001"
    [account] = copy["accounts"]
    assert account["student_no"] == REGISTRATION["student_no"]
    assert [r["resource"] for r in account["learning_records"]] == ["佛山·科学"]
    assert account["consents"] and copy["family"]["bound_parents"][0]["phone"] == "138****8001"
    assert "student.registered" in {a["action"] for a in copy["registry"]["processing"]}

    theirs = client.get(f"/api/v1/me/export?student_id={child_id(client, parent)}", headers=parent)
    assert theirs.status_code == 200 and theirs.json()["accounts"] == copy["accounts"]
    pdf = client.get(f"/api/v1/me/export.pdf?student_id={child_id(client, parent)}", headers=parent)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "陈小明" in text and "佛山·科学" in text and number() in text
    assert "打开课程" in text and "佛山·科学 open" not in text  # labels, not codes
    # every action audited about the child has a Chinese label, none shown as a code
    assert not re.search(r"[a-z_]+\.[a-z_]+", text.replace(number(), ""))
    assert actions(client).count("rights.exported") == 3


def test_nobody_else_gets_the_copy(client: TestClient, as_user: Headers) -> None:
    _, parent = studying_child(client, as_user)
    student_id = child_id(client, parent)
    assert sign_up_again(client, STRANGER).status_code == 201
    stranger = parent_headers(client, STRANGER)
    theirs = client.get(f"/api/v1/me/export?student_id={student_id}", headers=stranger)
    assert theirs.status_code == 404
    assert client.get("/api/v1/me/export", headers=parent).json()["code"] == "CHILD_REQUIRED"
    staff = client.get("/api/v1/me/export", headers=as_user("haikou-admin"))
    assert staff.status_code == 403
    assert client.get("/api/v1/me/export").status_code == 401


def test_an_erasure_waits_can_be_withdrawn_then_takes_the_accounts_not_the_record(
    client: TestClient, as_user: Headers
) -> None:
    student, parent = studying_child(client, as_user)
    student_id = child_id(client, parent)
    clock = container(client).clock
    asked = client.post("/api/v1/me/erasure", json={"student_id": student_id}, headers=parent)
    assert asked.status_code == 202 and asked.json()["state"] == "waiting"
    assert dt.datetime.fromisoformat(asked.json()["due_at"]) == clock.now() + COOLING
    twice = client.post("/api/v1/me/erasure", json={}, headers=student)
    assert twice.status_code == 409 and twice.json()["code"] == "ERASURE_PENDING"
    # the student withdraws it within the cooling-off period
    withdrawn = client.delete(f"/api/v1/me/erasure/{asked.json()['id']}", headers=student)
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "cancelled"
    again = client.post("/api/v1/me/erasure", json={}, headers=student).json()
    clock.advance(days=14)
    assert run_due(client) == 0 and count(client, StudentAccount) == 1
    clock.advance(days=1)
    assert run_due(client) == 1
    assert count(client, StudentAccount) == 0 and count(client, LearningRecord) == 0
    gone = client.post(
        "/api/v1/session",
        json={"username": REGISTRATION["student_no"], "password": REGISTRATION["password"]},
    )
    assert gone.status_code == 401  # the account itself is gone
    parent = parent_headers(client, GUARDIAN)  # a fortnight on: a new session
    with container(client).sessions() as session:
        assert lookup(session, student_id=student_id) is not None  # the school's record stays
        assert session.scalar(select(Account).where(Account.role == "parent")) is not None
    listed = client.get(f"/api/v1/me/erasure?student_id={student_id}", headers=parent)
    [shown] = [r for r in listed.json() if r["id"] == again["id"]]
    assert shown["state"] == "done"
    assert client.delete(f"/api/v1/me/erasure/{again['id']}", headers=parent).status_code == 409
    assert {"rights.erasure_requested", "rights.erasure_cancelled", "rights.erased"} <= set(
        actions(client)
    )


def test_the_daily_job_purges_the_accounts_of_children_who_left_long_ago(
    client: TestClient, as_user: Headers
) -> None:
    graduated_child(client, as_user)
    clock = container(client).clock
    clock.advance(days=364)
    assert purge(client, retention_days=365) == 0 and count(client, StudentAccount) == 1
    clock.advance(days=2)
    assert purge(client, retention_days=365) == 1 and count(client, StudentAccount) == 0
    assert "rights.purged" in actions(client)


def run_due(client: TestClient) -> int:
    built = container(client)
    with built.sessions.begin() as session:
        return erasure.run_due(session, built.clock)


def purge(client: TestClient, *, retention_days: int) -> int:
    built = container(client)
    with built.sessions.begin() as session:
        return erasure.purge_left(session, built.clock, retention_days=retention_days)


def test_the_page_asks_for_a_ticked_confirmation_and_lets_the_parent_withdraw(
    client: TestClient, as_user: Headers
) -> None:
    studying_child(client, as_user)
    client.get("/login")
    token = client.cookies["xueji_csrf"]
    signed = client.post(
        "/login",
        data={"username": GUARDIAN, "password": PARENT_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    page = client.get("/my-data")
    assert (
        page.status_code == 200 and "陈小明" in page.text and "export.pdf?student_id=" in page.text
    )
    student_id = int(page.text.split('name="student_id" value="')[1].split('"')[0])
    form = {"csrf_token": token, "student_id": str(student_id)}
    unticked = client.post("/my-data/erasure", data=form)
    assert unticked.status_code == 422 and "请先勾选" in unticked.text
    assert client.get(f"/api/v1/me/erasure?student_id={student_id}").json() == []
    asked = client.post("/my-data/erasure", data={**form, "confirm": "yes"}, follow_redirects=False)
    assert asked.status_code == 303
    page = client.get("/my-data")
    assert "冷静期中" in page.text and "撤回申请" in page.text
    [wanted] = client.get(f"/api/v1/me/erasure?student_id={student_id}").json()
    withdrawn = client.post(
        f"/my-data/erasure/{wanted['id']}/withdraw", data={"csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert withdrawn.status_code == 303 and "已撤回" in client.get("/my-data").text


def test_the_familys_copy_holds_the_national_record(client: TestClient, as_user: Headers) -> None:
    """The child's own fields in full, the sensitive ones included; the family members'
    phones and document numbers masked (other people's)."""
    student, parent = studying_child(client, as_user)
    values = {k: v for k, v in national_student(1, health="3").items() if k in RECORD_COLUMNS}
    saved = client.patch(
        f"/api/v1/students/{number()}/record",
        json={"values": values, "reason": "按学籍卡录入"},
        headers=as_user("haikou-admin"),
    )
    assert saved.status_code == 200, saved.text
    copy = client.get(f"/api/v1/me/export?student_id={child_id(client, parent)}", headers=parent)
    shown = {item["field"]: item["value"] for item in copy.json()["registry"]["national_record"]}
    assert (shown["民族"], shown["健康状况"], shown["身份证件号"]) == (
        "汉族",
        "有慢性病",
        number()[1:],
    )
    assert shown["成员1联系电话"] == "138****8001"
    assert shown["成员1身份证件号"].startswith("44") and "*" in shown["成员1身份证件号"]
    pdf = client.get(f"/api/v1/me/export.pdf?student_id={child_id(client, parent)}", headers=parent)
    assert "有慢性病" in "".join(pdf_text(pdf.content).split())
    assert client.get("/api/v1/me/export", headers=student).json()["registry"]["national_record"]
