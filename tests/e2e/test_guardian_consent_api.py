"""A guardian's consent over HTTP on both databases, and the attack it answers: a stranger
who holds only a child's registry number (the child's ID number) registers, reads every
answer for hints, guesses the rest — and still never gets the child's account. The real
child activates with a code sent to a guardian's phone, the info sheet's code, or a
parent's consent; a verified registration reclaims the number."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.e2e.conftest import Headers, guardian_sms_code
from tests.e2e.test_accounts_api import REGISTRATION, register, sign_in
from tests.e2e.test_parents_api import (
    GUARDIAN,
    STRANGER,
    parent_headers,
    replace_guardian_phone,
)
from tests.e2e.test_parents_api import sign_up as parent_sign_up
from tests.registry_world import number
from xueji.domain.masking import mask_phone
from xueji.sms import SmsNotSent

CHILD = number()  # 陈小明 of 海口小学 in the test registry; guardian phone 13800138001
NOT_ON_RECORD = number(sequence="099")
#: what the registry holds and the stranger has to guess (the number gives away the
#: gender and the birth date)
REGISTRY_VALUES = "陈小明" + "佛山市禅城区海口小学"
EXPLANATIONS = {"kind", "positions", "differences"}
NATIONAL_ONLY = ["course.open", "course.replay_cached"]


def container(client: TestClient) -> Any:
    return client.app.state.container  # type: ignore[attr-defined]


def texts_to(client: TestClient, phone: str) -> list[str]:
    """The messages the development SMS sender wrote for ``phone``."""
    outbox = Path(container(client).settings.var_dir) / "sms-outbox.jsonl"
    if not outbox.exists():
        return []
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    return [m["message"] for m in lines if m["phone"] == mask_phone(phone)]


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def ask_codes(client: TestClient, student: dict[str, str]) -> Any:
    asked = client.post("/api/v1/me/guardian-codes", headers=student)
    assert asked.status_code == 202, asked.text
    return asked.json()


def verify(client: TestClient, student: dict[str, str], code: str) -> Any:
    return client.post("/api/v1/me/verification", json={"code": code}, headers=student)


def capabilities(client: TestClient, student: dict[str, str]) -> Any:
    return client.get("/api/v1/me/capabilities", headers=student).json()


class Stranger:
    """Someone holding only 陈小明's registry number: everything they typed, and a check
    of every answer they got."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.typed = CHILD + "mallory1"
        self.headers: dict[str, str] = {}

    def unknown(self) -> set[str]:
        """The registry's characters the stranger has not typed yet."""
        return set(REGISTRY_VALUES) - set(self.typed)

    def read(self, response: Any, status: int) -> Any:
        assert response.status_code == status, response.text
        body = response.json()
        assert not keys_in(body) & EXPLANATIONS, body
        shown = json.dumps(body, ensure_ascii=False)
        assert not self.unknown() & set(shown), f"a registry character leaked: {shown}"
        return body

    def register(self, **changes: str) -> Any:
        self.typed += "".join(changes.values())
        body = self.read(register(self.client, student_no="mallory1", **changes), 201)
        self.headers = sign_in(self.client, "mallory1")
        return body

    def correct(self, **changes: str) -> Any:
        self.typed += "".join(changes.values())
        patched = self.client.patch("/api/v1/me/details", json=changes, headers=self.headers)
        return self.read(patched, 200)

    def diagnosis(self) -> Any:
        return self.read(self.client.get("/api/v1/me/diagnosis", headers=self.headers), 200)


def differing(body: Any) -> list[str]:
    return [m["field"] for m in body["mismatches"]]


def test_a_stranger_with_a_childs_number_learns_nothing_and_never_gets_the_account(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    stranger = Stranger(client)
    first = stranger.register(name="王小明", school_name="佛山市禅成区海口小学")
    assert (first["status"], first["verified"]) == ("pending", False)
    assert differing(first) == ["name", "school_name"]
    assert stranger.unknown() == {"陈", "城"}
    named = stranger.diagnosis()
    assert [f["result"] for f in named["fields"]] == [
        "match",
        "differs",
        "match",
        "match",
        "differs",
    ]
    for guess in ("李小明", "张小明"):
        assert differing(stranger.correct(name=guess)) == ["name", "school_name"]
    assert differing(stranger.correct(school_name="佛山市南海区海口小学")) == [
        "name",
        "school_name",
    ]
    assert differing(stranger.correct(gender="2")) == ["name", "gender", "school_name"]
    assert differing(stranger.correct(name="陈小明", gender="1")) == ["school_name"]
    stranger.diagnosis()
    assert stranger.unknown() == {"城"}

    # meanwhile the real 陈小明 registers
    assert register(client).json()["status"] == "awaiting_guardian"
    child = sign_in(client)

    # the stranger gets all five right: a guardian must still consent
    guessed = stranger.correct(school_name="佛山市禅城区海口小学")
    assert (guessed["status"], guessed["verified"], guessed["mismatches"]) == (
        "awaiting_guardian",
        False,
        [],
    )
    assert capabilities(client, stranger.headers)["linked"] is False

    # asking for codes tells nothing: the same answer as for a number on no record
    texts_before = len(texts_to(client, GUARDIAN))
    asked = ask_codes(client, stranger.headers)
    assert len(texts_to(client, GUARDIAN)) == texts_before + 1  # to the guardian's phone
    sent_to_guardian = guardian_sms_code(client)
    register(client, student_no="nobody1", registry_no=NOT_ON_RECORD, name="王五")
    nobody = sign_in(client, "nobody1")
    assert ask_codes(client, nobody) == asked
    assert len(texts_to(client, GUARDIAN)) == texts_before + 1

    # made-up codes: refused, then throttled
    made_up = next(c for c in ("123456", "654321") if c != sent_to_guardian)
    for _ in range(5):
        refused = stranger.read(verify(client, stranger.headers, made_up), 422)
        assert refused["code"] == "VERIFICATION_CODE_INVALID"
    throttled = stranger.read(verify(client, stranger.headers, made_up), 429)
    assert throttled["code"] == "THROTTLED"

    # the guardian gives the code to their own child
    container(client).clock.advance(seconds=61)
    assert ask_codes(client, child) == asked
    child_code = guardian_sms_code(client)
    activated = verify(client, child, child_code)
    assert activated.status_code == 200, activated.text
    assert (activated.json()["status"], activated.json()["verified"]) == ("active", True)
    assert capabilities(client, child)["linked"] is True

    # the stranger's account never gets the child's capabilities
    container(client).clock.advance(hours=1)
    mine = stranger.read(client.get("/api/v1/me/account", headers=stranger.headers), 200)
    assert (mine["status"], mine["verified"]) == ("awaiting_guardian", False)
    # five wrong codes a day: still throttled an hour later, even with the child's code
    # (spent, and bound to the child's account)
    stranger.read(verify(client, stranger.headers, child_code), 429)
    assert capabilities(client, stranger.headers) == {
        "linked": False,
        "status": None,
        "region_code": None,
        "capabilities": NATIONAL_ONLY,
    }
    assert stranger.diagnosis()["verified"] is False
    by_number = client.post(
        "/api/v1/session", json={"username": CHILD, "password": REGISTRATION["password"]}
    )
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {by_number.json()['token']}"})
    assert me.json()["username"] == "chen2016"


def test_asking_for_guardian_codes_always_gets_the_same_answer(
    client: TestClient, as_user: Headers
) -> None:
    """Whatever the record holds — a guardian phone, nothing, a limit reached — 202 and
    one body; texts only to a guardian phone on the record, within the limits per phone
    and per number."""
    as_user("haikou-admin")
    clock = container(client).clock
    register(client)
    register(client, student_no="typo2016", name="陈晓明")
    register(client, student_no="nobody1", registry_no=NOT_ON_RECORD)
    chen, typo, nobody = (sign_in(client, s) for s in ("chen2016", "typo2016", "nobody1"))
    body = ask_codes(client, chen)
    assert set(body) == {"message"} and "监护人" in body["message"]
    assert len(texts_to(client, GUARDIAN)) == 1
    assert ask_codes(client, nobody) == body
    assert ask_codes(client, typo) == body  # within the minute: the phone waits
    assert len(texts_to(client, GUARDIAN)) == 1
    clock.advance(seconds=61)
    assert ask_codes(client, typo) == body
    assert len(texts_to(client, GUARDIAN)) == 2
    clock.advance(minutes=5)  # the phone could take another; the number had its three asks
    assert ask_codes(client, chen) == body
    assert len(texts_to(client, GUARDIAN)) == 2
    assert all("学生账号激活确认" in text for text in texts_to(client, GUARDIAN))


def test_a_bound_parent_consents_from_their_own_account(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    assert parent_sign_up(client, GUARDIAN).json()["binding"]["code"] == "BOUND"
    assert parent_sign_up(client, STRANGER).json()["binding"]["code"] == "NO_SUCH_USER"
    parent, outsider = parent_headers(client, GUARDIAN), parent_headers(client, STRANGER)
    register(client)
    student = sign_in(client)
    [child] = client.get("/api/v1/parents/me/children", headers=parent).json()
    [waiting] = child["awaiting_consent"]
    assert waiting["student_no"] == "chen2016"
    url = f"/api/v1/parents/me/children/{child['student_id']}/consent"

    refused = client.post(url, json={"account_id": waiting["account_id"]}, headers=outsider)
    assert refused.status_code == 404
    wrong = client.post(url, json={"account_id": waiting["account_id"] + 99}, headers=parent)
    assert wrong.status_code == 404
    assert capabilities(client, student)["linked"] is False

    consented = client.post(url, json={"account_id": waiting["account_id"]}, headers=parent)
    assert consented.status_code == 200, consented.text
    assert consented.json() == {"student_no": "chen2016", "status": "active"}
    assert capabilities(client, student)["linked"] is True
    me = client.get("/api/v1/me/account", headers=student).json()
    assert (me["status"], me["verified"]) == ("active", True)
    [child] = client.get("/api/v1/parents/me/children", headers=parent).json()
    assert child["awaiting_consent"] == []


def test_a_verified_registration_reclaims_the_number_and_the_old_account_is_told_why(
    client: TestClient, as_user: Headers
) -> None:
    """The family consented, by mistake, to an account that was not their child's; the
    child registers and their guardian sends the code: the number comes back."""
    as_user("haikou-admin")
    parent_sign_up(client, GUARDIAN)
    parent = parent_headers(client, GUARDIAN)
    register(client, student_no="mallory1")
    mallory = sign_in(client, "mallory1")
    [child] = client.get("/api/v1/parents/me/children", headers=parent).json()
    [waiting] = child["awaiting_consent"]
    consent_url = f"/api/v1/parents/me/children/{child['student_id']}/consent"
    client.post(consent_url, json={"account_id": waiting["account_id"]}, headers=parent)
    assert capabilities(client, mallory)["linked"] is True

    register(client)
    chen = sign_in(client)
    assert capabilities(client, mallory)["linked"] is True, "no take-over without consent"
    container(client).clock.advance(seconds=61)  # the phone had the parent's sign-up code
    ask_codes(client, chen)
    assert verify(client, chen, guardian_sms_code(client)).json()["status"] == "active"
    assert capabilities(client, chen)["linked"] is True

    assert client.get("/api/v1/me/capabilities", headers=mallory).status_code == 401
    assert client.get("/api/v1/me/account", headers=mallory).status_code == 401
    mallory = sign_in(client, "mallory1")
    told = client.get("/api/v1/me/account", headers=mallory).json()
    assert told["status"] == "revoked" and "学校" in told["notice"]
    assert capabilities(client, mallory)["linked"] is False
    again = verify(client, mallory, "123456")
    assert again.status_code == 403 and again.json()["code"] == "ACCOUNT_REVOKED"
    texts = len(texts_to(client, GUARDIAN))
    container(client).clock.advance(hours=1)
    assert ask_codes(client, mallory) == ask_codes(client, chen)
    assert len(texts_to(client, GUARDIAN)) == texts, "no text for a revoked account"


def printed_code(document: bytes) -> str:
    """The activation code as the sheet shows it: ``ABCD EFGH``."""
    text = PdfReader(io.BytesIO(document)).pages[0].extract_text().replace("\x00", "")
    found = re.search(r"激活码\s*([A-Z0-9]{4} ?[A-Z0-9]{4})", text)
    assert found, text
    return found.group(1)


def test_the_code_on_the_printed_info_sheet_activates_once(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    sheet_url = f"/api/v1/students/{CHILD}/info-sheet.pdf"
    first = client.get(sheet_url, headers=admin)
    assert first.status_code == 200, first.text
    second = client.get(sheet_url, headers=admin)
    void, live = printed_code(first.content), printed_code(second.content)
    assert void != live
    register(client)
    register(client, student_no="other2016")
    chen, other = sign_in(client), sign_in(client, "other2016")
    refused = verify(client, chen, void)
    assert refused.status_code == 422 and refused.json()["code"] == "VERIFICATION_CODE_INVALID"
    accepted = verify(client, chen, live)
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    spent = verify(client, other, live)
    assert spent.status_code == 422, "the sheet's code is used once"
    assert client.get("/api/v1/me/account", headers=other).json()["status"] == ("awaiting_guardian")


SIBLING = {
    "registry_no": number("440604", "20180305", "003"),
    "name": "陈小华",
    "gender": "1",
    "birth_date": "2018-03-05",
    "school_code": "1144060401",
    "guardians": [{"name": "陈大明", "relation": "父亲", "phone": GUARDIAN}],
}


def test_a_code_asked_for_one_child_does_not_activate_the_account_as_a_sibling(
    client: TestClient, as_user: Headers
) -> None:
    """The guardian of two children is texted for the first; the account then takes the
    second's number and details: the code proves nothing for the second."""
    created = client.post("/api/v1/students", json=SIBLING, headers=as_user("haikou-admin"))
    assert created.status_code == 201, created.text
    register(client)
    student = sign_in(client)
    ask_codes(client, student)
    code = guardian_sms_code(client)
    moved = client.patch(
        "/api/v1/me/details",
        json={k: SIBLING[k] for k in ("registry_no", "name", "birth_date")},
        headers=student,
    )
    assert moved.status_code == 200, moved.text
    refused = verify(client, student, code)
    assert refused.status_code == 422
    assert refused.json()["code"] == "VERIFICATION_CODE_INVALID"
    assert capabilities(client, student)["linked"] is False


def test_guardian_codes_keep_apart_from_the_phones_own_codes(
    client: TestClient, as_user: Headers
) -> None:
    """A stranger's request for guardian codes must not show, through a refused parent
    code, that the phone is a child's guardian's — nor stop the parent registering."""
    as_user("haikou-admin")
    register(client, student_no="mallory1", name="陈某某")
    ask_codes(client, sign_in(client, "mallory1"))
    assert len(texts_to(client, GUARDIAN)) == 1
    assert parent_sign_up(client, GUARDIAN).json()["binding"]["code"] == "BOUND"


def test_wrong_codes_and_requests_for_codes_are_limited_per_day(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    clock = container(client).clock
    register(client)
    student = sign_in(client)
    for _ in range(5):
        assert verify(client, student, "000000").status_code == 422
    assert verify(client, student, "000000").status_code == 429
    clock.advance(hours=2)  # a wait of a minute, doubling, used to buy more tries
    assert verify(client, student, "000000").status_code == 429
    for _ in range(3):
        ask_codes(client, student)
        clock.advance(minutes=2)
    clock.advance(hours=2)
    ask_codes(client, student)
    assert len(texts_to(client, GUARDIAN)) == 3


def test_a_phone_the_school_removed_consents_no_more(client: TestClient, as_user: Headers) -> None:
    """The school replaces the guardian's phone; before the platform has followed (the
    binding is still there), the old phone's parent cannot consent."""
    admin = as_user("haikou-admin")
    assert parent_sign_up(client, GUARDIAN).json()["binding"]["code"] == "BOUND"
    parent = parent_headers(client, GUARDIAN)
    register(client)
    [child] = client.get("/api/v1/parents/me/children", headers=parent).json()
    [waiting] = child["awaiting_consent"]
    replace_guardian_phone(client, admin)
    refused = client.post(
        f"/api/v1/parents/me/children/{child['student_id']}/consent",
        json={"account_id": waiting["account_id"]},
        headers=parent,
    )
    assert refused.status_code == 404


class FailingGateway:
    """An SMS gateway that refuses every message (and remembers it was asked)."""

    def __init__(self) -> None:
        self.asked = 0

    def send(self, phone: str, text: str) -> None:
        self.asked += 1
        raise SmsNotSent("短信发送失败，请稍后再试")


def test_a_failing_gateway_changes_nothing_in_the_answer(
    client: TestClient, as_user: Headers
) -> None:
    """The codes are sent after the answer: a number on record (texts, which fail) and
    one on no record (nothing to send) get the same 202."""
    as_user("haikou-admin")
    gateway = FailingGateway()
    container(client).sms = gateway
    register(client)
    register(client, student_no="nobody1", registry_no=NOT_ON_RECORD)
    on_record = client.post("/api/v1/me/guardian-codes", headers=sign_in(client))
    nowhere = client.post("/api/v1/me/guardian-codes", headers=sign_in(client, "nobody1"))
    assert (on_record.status_code, on_record.json()) == (nowhere.status_code, nowhere.json())
    assert on_record.status_code == 202 and gateway.asked == 1
