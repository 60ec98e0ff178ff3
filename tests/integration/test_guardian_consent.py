"""A guardian's consent before a student account is activated (PIPL art. 31), at the
service level on both databases: the SMS code to a guardian phone on record, the info
sheet's activation code, a bound parent; the verified account that reclaims its number;
school corrections; the daily budget per registry number; queues routed by the record;
accounts active before the migration."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.audit_links import unkeyed_link
from tests.databases import migrated_engine
from tests.integration.test_platform_sync import drain
from tests.registry_world import (
    HAIKOU,
    PASSWORD,
    World,
    build_world,
    guardian_consents,
    number,
    register,
    staff,
)
from xueji.app import apply_registry_events
from xueji.audit import service as audit
from xueji.audit.models import AuditEntry
from xueji.auth import service as auth
from xueji.auth.service import Principal
from xueji.config import Settings
from xueji.db import migrate
from xueji.db.crypto import registry_no_index
from xueji.domain.clock import FixedClock
from xueji.domain.codes import Gender
from xueji.domain.errors import Conflict, Forbidden, NotFound, Throttled, XuejiError
from xueji.domain.roles import Role
from xueji.parents import children
from xueji.parents import service as parents
from xueji.platform import activation, capabilities, consent, learning
from xueji.platform import service as accounts
from xueji.platform.models import GuardianConsent, StudentAccount
from xueji.registry import activation as sheet_codes
from xueji.registry import info_sheet, schools
from xueji.registry import service as registry
from xueji.registry.lookup import lookup
from xueji.registry.models import ActivationCode
from xueji.registry.validation import GuardianFacts
from xueji.sync import outbox, worker
from xueji.verification import queue

CHILD = number()  # 陈小明, a boy of 海口小学 born 2016-02-11
LI_HUA = number(birth="20150923", sequence="002")  # a girl of 海口小学
BIRTH = dt.date(2016, 2, 11)
FATHER, MOTHER = "13800138001", "13912340002"
HAIKOU_NAME = "佛山市禅城区海口小学"
SIX_DIGITS = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")
BEFORE_CONSENT = "8d2e4b6f1a37"  # the revision before guardian consent


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    """The test registry, with 陈小明 enrolled at 海口小学 with two guardian phones."""
    built = build_world(session, clock)
    registry.register_student(
        session,
        clock,
        built.haikou_admin,
        registry_no=CHILD,
        name="陈小明",
        gender=Gender.MALE,
        birth_date=BIRTH,
        school_code=HAIKOU,
        class_id=built.class_id,
        guardians=[GuardianFacts("陈大明", "51", FATHER), GuardianFacts("林秀英", "52", MOTHER)],
    )
    return built


def attempt(
    session: Session,
    clock: FixedClock,
    student_no: str,
    *,
    registry_no: str = CHILD,
    name: str = "陈小明",
    gender: str = "1",
    birth: dt.date = BIRTH,
    school: str = HAIKOU_NAME,
    client: str = "10.0.0.1",
) -> accounts.Registration | XuejiError:
    return accounts.register(
        session,
        clock,
        student_no=student_no,
        password=PASSWORD,
        client=client,
        entered=accounts.Entered(registry_no, name, gender, birth, school),
    )


def sign_up(session: Session, clock: FixedClock, student_no: str, **typed: Any) -> Principal:
    """A registration that is accepted (whatever its status); the account's principal."""
    outcome = attempt(session, clock, student_no, **typed)
    assert isinstance(outcome, accounts.Registration), outcome
    return student(session, student_no)


def student(session: Session, username: str) -> Principal:
    principal = auth.principal_by_username(session, username)
    assert principal is not None
    return principal


def account(session: Session, principal: Principal) -> StudentAccount:
    return accounts.own_account(session, principal)


def status(session: Session, principal: Principal) -> str:
    return account(session, principal).status


def guardian_codes(session: Session, clock: FixedClock, principal: Principal) -> dict[str, str]:
    """Ask for the guardians' codes; what each phone would receive, by phone."""
    sent = consent.request_guardian_codes(session, clock, principal)
    found = {message.phone: SIX_DIGITS.search(message.text) for message in sent}
    assert all(found.values()), [message.text for message in sent]
    return {phone: match.group(0) for phone, match in found.items() if match}


def refused_code(outcome: StudentAccount | XuejiError) -> str:
    assert isinstance(outcome, XuejiError), "the code was accepted"
    return outcome.code


def other_than(*codes: str) -> str:
    """A six-digit code none of ``codes``."""
    return next(c for c in (f"{n:06d}" for n in range(10**6)) if c not in codes)


def entries(session: Session, action: str, subject: str | None = None) -> list[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if subject is not None:
        statement = statement.where(AuditEntry.subject == subject)
    return list(session.scalars(statement))


def consents_of(session: Session, account_id: int) -> list[GuardianConsent]:
    return list(
        session.scalars(
            select(GuardianConsent).where(GuardianConsent.student_account_id == account_id)
        )
    )


def child_id(session: Session, registry_no: str = CHILD) -> int:
    record = lookup(session, registry_no=registry_no)
    assert record is not None
    return record.student_id


def linked(session: Session, principal: Principal) -> bool:
    return bool(capabilities.capabilities_of(session, principal)["linked"])


# --- an SMS code to a guardian phone on the record -------------------------------------


def test_matching_fields_wait_for_a_guardian_whose_sms_code_activates(
    session: Session, clock: FixedClock, world: World
) -> None:
    chen = sign_up(session, clock, "chen2016")
    assert status(session, chen) == "awaiting_guardian"
    assert account(session, chen).student_id is None and not linked(session, chen)

    codes = guardian_codes(session, clock, chen)
    assert set(codes) == {FATHER, MOTHER}, "one code to every guardian phone on the record"
    clock.advance(minutes=1)
    verified = consent.verify(session, clock, chen, code=codes[MOTHER])
    assert not isinstance(verified, XuejiError), verified
    assert verified.status == "active" and verified.student_id == child_id(session)
    assert linked(session, chen)

    [given] = consents_of(session, verified.id)
    assert (given.method, given.guardian, given.at) == ("sms", "139****0002", clock.now())
    assert given.student_id == child_id(session) and given.parent_account_id is None
    [entry] = entries(
        session, "student_account.guardian_consented", f"student_account:{verified.id}"
    )
    assert entry.actor == f"account:{chen.account_id}" and entry.school_code == HAIKOU
    assert audit.read_payload(entry) == {"method": "sms", "guardian": "139****0002"}
    assert MOTHER not in json.dumps(audit.read_payload(entry))
    [sent] = entries(session, "student_account.guardian_codes_sent")
    assert audit.read_payload(sent) == {"phones": 2}


def test_a_guardian_code_works_once_and_only_for_the_account_it_was_sent_for(
    session: Session, clock: FixedClock, world: World
) -> None:
    chen = sign_up(session, clock, "chen2016", name="陈晓明")  # a typo: stays pending
    other = sign_up(session, clock, "other2016")  # another account for the same number
    codes = guardian_codes(session, clock, chen)
    assert refused_code(consent.verify(session, clock, other, code=codes[FATHER])) == (
        "VERIFICATION_CODE_INVALID"
    )
    assert account(session, other).verified_at is None
    assert not isinstance(consent.verify(session, clock, chen, code=codes[FATHER]), XuejiError)
    assert account(session, chen).verified_at == clock.now()
    assert status(session, chen) == "pending", "verified, but the name still differs"
    # another child's number voids the consent; coming back does not restore it
    accounts.update_details(
        session, clock, chen, changes={"registry_no": LI_HUA}, client="10.0.0.1"
    )
    accounts.update_details(session, clock, chen, changes={"registry_no": CHILD}, client="10.0.0.1")
    assert account(session, chen).verified_at is None
    again = consent.verify(session, clock, chen, code=codes[FATHER])
    assert refused_code(again) == "VERIFICATION_CODE_INVALID", "a code is spent when used"


def test_a_guardian_code_expires_after_five_minutes(
    session: Session, clock: FixedClock, world: World
) -> None:
    chen = sign_up(session, clock, "chen2016")
    codes = guardian_codes(session, clock, chen)
    clock.advance(minutes=5, seconds=1)
    assert refused_code(consent.verify(session, clock, chen, code=codes[FATHER])) == (
        "VERIFICATION_CODE_INVALID"
    )
    assert status(session, chen) == "awaiting_guardian"
    fresh = guardian_codes(session, clock, chen)  # the per-phone wait (a minute) is over
    assert not isinstance(consent.verify(session, clock, chen, code=fresh[FATHER]), XuejiError)
    assert status(session, chen) == "active"


def test_wrong_codes_have_their_own_budget_per_account(
    session: Session, clock: FixedClock, world: World
) -> None:
    """Five wrong codes a day per account. Strangers' failures on other accounts for the
    same number do not lock the child out of verifying."""
    first = sign_up(session, clock, "guess1")
    codes = guardian_codes(session, clock, first)
    wrong = other_than(*codes.values())
    for _ in range(5):
        assert refused_code(consent.verify(session, clock, first, code=wrong)) == (
            "VERIFICATION_CODE_INVALID"
        )
    with pytest.raises(Throttled):  # even the right code waits now
        consent.verify(session, clock, first, code=codes[FATHER])
    assert status(session, first) == "awaiting_guardian"
    second = sign_up(session, clock, "guess2", client="10.0.0.2")
    for _ in range(5):
        refused_code(consent.verify(session, clock, second, code=wrong))
    with pytest.raises(Throttled):
        consent.verify(session, clock, second, code=wrong)
    child = sign_up(session, clock, "child2016", client="10.0.0.3")
    clock.advance(seconds=61)  # the per-phone wait between texts
    mine = guardian_codes(session, clock, child)
    assert not isinstance(consent.verify(session, clock, child, code=mine[FATHER]), XuejiError)
    assert status(session, child) == "active"
    # an account for another number is not held up
    li = sign_up(
        session,
        clock,
        "lihua2015",
        registry_no=LI_HUA,
        name="李华",
        gender="2",
        birth=dt.date(2015, 9, 23),
    )
    assert refused_code(consent.verify(session, clock, li, code=wrong)) == (
        "VERIFICATION_CODE_INVALID"
    )


# --- the activation code on the info sheet ----------------------------------------------


def test_the_info_sheet_code_activates_once_and_a_reprint_voids_it(
    session: Session, clock: FixedClock, world: World
) -> None:
    student_id = child_id(session)
    old = sheet_codes.issue(session, clock, student_id=student_id, issued_by=None)
    new = sheet_codes.issue(session, clock, student_id=student_id, issued_by=None)
    for code in (old, new):
        assert len(code) == 8 and set(code) <= set(sheet_codes.ALPHABET)
        assert not set(code) & set("0O1IL")
    row = session.get(ActivationCode, student_id)
    assert row is not None and old not in row.code_hash and new not in row.code_hash

    chen = sign_up(session, clock, "chen2016")
    other = sign_up(session, clock, "other2016", client="10.0.0.2")
    assert refused_code(consent.verify(session, clock, chen, code=old)) == (
        "VERIFICATION_CODE_INVALID"
    ), "the sheet printed before is void"
    typed = f" {new[:4].lower()}-{new[4:].lower()} "  # as a family may type it
    verified = consent.verify(session, clock, chen, code=typed)
    assert not isinstance(verified, XuejiError) and verified.status == "active"
    [given] = consents_of(session, verified.id)
    assert (given.method, given.guardian) == ("sheet", "学籍基本信息表")
    assert refused_code(consent.verify(session, clock, other, code=new)) == (
        "VERIFICATION_CODE_INVALID"
    ), "a sheet code is used once"
    assert status(session, other) == "awaiting_guardian"


def sheet_code(document: bytes) -> str:
    """The activation code as printed on the sheet (two groups of four)."""
    text = PdfReader(io.BytesIO(document)).pages[0].extract_text().replace("\x00", "")
    found = re.search(r"激活码\s*([A-Z0-9]{4}) ?([A-Z0-9]{4})", text)
    assert found, text
    return found.group(1) + found.group(2)


def test_printing_the_info_sheet_is_audited_and_its_code_activates(
    session: Session, clock: FixedClock, world: World
) -> None:
    font = Settings.model_fields["pdf_font"].default
    chen = sign_up(session, clock, "chen2016")
    _, first = info_sheet.issue(session, clock, world.haikou_admin, registry_no=CHILD, font=font)
    clock.advance(minutes=1)
    _, second = info_sheet.issue(session, clock, world.haikou_admin, registry_no=CHILD, font=font)
    printed, reprinted = sheet_code(first), sheet_code(second)
    assert printed != reprinted
    assert refused_code(consent.verify(session, clock, chen, code=printed)) == (
        "VERIFICATION_CODE_INVALID"
    )
    assert not isinstance(consent.verify(session, clock, chen, code=reprinted), XuejiError)
    assert status(session, chen) == "active"
    printings = entries(session, "student.info_sheet_issued", f"student:{child_id(session)}")
    admin = f"account:{world.haikou_admin.account_id}"
    assert [(e.actor, e.school_code) for e in printings] == [(admin, HAIKOU)] * 2
    for entry in printings:
        payload = json.dumps(audit.read_payload(entry))
        assert printed not in payload and reprinted not in payload
    row = session.get(ActivationCode, child_id(session))
    assert row is not None and row.issued_by == world.haikou_admin.account_id
    with pytest.raises(Forbidden):  # a head teacher may not print it (nor get a code)
        info_sheet.issue(session, clock, world.haikou_teacher, registry_no=CHILD, font=font)


# --- a parent bound to the child ---------------------------------------------------------


def test_a_bound_parent_consents_and_an_unbound_one_cannot(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(
        session, clock, world, registry_no=LI_HUA, name="李华", phone="13700137002"
    )  # 李华: another child, another family
    parents.create_parent(session, clock, phone=FATHER, password=PASSWORD)
    parents.create_parent(session, clock, phone="13700137002", password=PASSWORD)
    father, li_parent = student(session, FATHER), student(session, "13700137002")
    pending = sign_up(session, clock, "typo2016", name="陈晓明")
    chen = sign_up(session, clock, "chen2016", client="10.0.0.2")
    chen_account = account(session, chen)

    [mine] = [c for c in children.children_of(session, father) if c["name"] == "陈小明"]
    assert [a["student_no"] for a in mine["awaiting_consent"]] == ["chen2016"]
    assert mine["awaiting_consent"][0]["account_id"] == chen_account.id
    for stranger, student_id in (
        (li_parent, child_id(session)),
        (li_parent, child_id(session, LI_HUA)),
    ):
        with pytest.raises(NotFound):
            children.consent_for_child(
                session, clock, stranger, student_id=student_id, account_id=chen_account.id
            )
    assert (
        status(session, chen) == "awaiting_guardian" and consents_of(session, chen_account.id) == []
    )
    with pytest.raises(NotFound):  # only an account whose five fields match
        children.consent_for_child(
            session,
            clock,
            father,
            student_id=child_id(session),
            account_id=account(session, pending).id,
        )

    done = children.consent_for_child(
        session, clock, father, student_id=child_id(session), account_id=chen_account.id
    )
    assert done == {"student_no": "chen2016", "status": "active"}
    assert linked(session, chen) and status(session, pending) == "pending"
    [given] = consents_of(session, chen_account.id)
    assert (given.method, given.guardian) == ("parent", "138****8001")
    assert given.parent_account_id == father.account_id
    [entry] = entries(
        session, "student_account.guardian_consented", f"student_account:{chen_account.id}"
    )
    assert entry.actor_id == father.account_id
    [mine] = [c for c in children.children_of(session, father) if c["name"] == "陈小明"]
    assert mine["awaiting_consent"] == []


# --- a verified account reclaims its number ----------------------------------------------


def reclaimed(
    session: Session, clock: FixedClock, world: World
) -> tuple[Principal, Principal, str]:
    """An account took 陈小明's number and is active; it opened a course. Then the real
    陈小明 registers and his mother sends the code: returns both and the first's token."""
    holder = sign_up(session, clock, "holder1")
    guardian_consents(session, clock, holder)
    assert status(session, holder) == "active"
    signed = auth.sign_in(
        session, clock, username="holder1", password=PASSWORD, client="10.9.9.9", session_hours=12
    )
    assert isinstance(signed, auth.SignedIn)
    course = learning.publish(
        session, clock, world.platform, kind="course", title="国家·数学", national=True
    )
    learning.act(session, clock, holder, resource_id=course.id, action="open")
    chen = sign_up(session, clock, "chen2016", client="10.0.0.2")
    assert status(session, chen) == "awaiting_guardian"
    assert status(session, holder) == "active", "an unverified registration takes nothing"
    codes = guardian_codes(session, clock, chen)
    clock.advance(minutes=1)
    assert not isinstance(consent.verify(session, clock, chen, code=codes[MOTHER]), XuejiError)
    return holder, chen, signed.token


def test_a_verified_registration_reclaims_the_number_from_the_active_account(
    session: Session, clock: FixedClock, world: World
) -> None:
    holder, chen, token = reclaimed(session, clock, world)
    old, new = account(session, holder), account(session, chen)
    assert new.status == "active" and new.student_id == child_id(session) and linked(session, chen)
    assert (old.status, old.student_id, old.active_registry_index) == ("revoked", None, None)
    assert (old.revoked_at, old.revoked_reason) == (clock.now(), activation.RECLAIMED)
    assert not linked(session, holder)
    assert auth.resolve_token(session, clock, token) is None, "its sessions ended"
    again = auth.sign_in(
        session, clock, username="holder1", password=PASSWORD, client="10.9.9.9", session_hours=12
    )
    assert isinstance(again, auth.SignedIn), "it keeps its sign-in, to be told why"
    assert accounts.sign_in_name(session, clock, CHILD) == "chen2016"

    [revoked] = entries(session, "student_account.revoked", f"student_account:{old.id}")
    [took] = entries(session, "student_account.reclaimed", f"student_account:{new.id}")
    assert audit.read_payload(revoked)["other_account"] == new.id
    assert audit.read_payload(took)["other_account"] == old.id

    # the learning record made while linked stays in the student's archive
    [(_, record, resource)] = learning.archive(session, chen)
    assert (record.student_account_id, resource.title) == (old.id, "国家·数学")
    registry_record = lookup(session, registry_no=CHILD)
    assert registry_record is not None
    overview = learning.overview_of(session, registry_record)  # what the child's parents see
    assert [item["resource"] for item in overview.archive] == ["国家·数学"]


def test_a_revoked_account_cannot_be_verified_again(
    session: Session, clock: FixedClock, world: World
) -> None:
    holder, chen, _ = reclaimed(session, clock, world)
    code = sheet_codes.issue(session, clock, student_id=child_id(session), issued_by=None)
    with pytest.raises(Forbidden) as refused:
        consent.verify(session, clock, holder, code=code)
    assert refused.value.code == "ACCOUNT_REVOKED"
    clock.advance(hours=2)  # past every per-phone wait: still no text for a revoked account
    assert consent.request_guardian_codes(session, clock, holder) == []
    with pytest.raises(Conflict) as blocked:
        accounts.update_details(session, clock, holder, changes={"name": "陈小明"}, client="x")
    assert blocked.value.code == "ACCOUNT_REVOKED"
    assert (status(session, holder), status(session, chen)) == ("revoked", "active")


# --- school corrections, a changed number ----------------------------------


def test_a_school_correction_moves_waiting_accounts_by_their_consent(
    session: Session, clock: FixedClock, world: World
) -> None:
    registry.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=CHILD,
        changes={"name": "陈晓明"},
        reason="按入学登记表录入",  # the school types the name wrong
    )
    unvouched = sign_up(session, clock, "unvouched")  # typed 陈小明: the registry differs
    vouched = sign_up(session, clock, "vouched", client="10.0.0.2")
    guardian_consents(session, clock, vouched)
    assert (status(session, unvouched), status(session, vouched)) == ("pending", "pending")
    assert account(session, vouched).verified_at is not None
    registry.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=CHILD,
        changes={"name": "陈小明"},
        reason="按户口簿更正",
    )
    drain(session, clock)
    assert status(session, vouched) == "active" and linked(session, vouched)
    assert status(session, unvouched) == "awaiting_guardian", "matching is not consent"
    assert not linked(session, unvouched)


def test_a_new_registry_number_voids_the_guardians_consent(
    session: Session, clock: FixedClock, world: World
) -> None:
    """A family vouches for their own child's account; the account then switches to
    another child's number, typing all five of that child's fields: it waits again."""
    register(session, clock, world, registry_no=LI_HUA, name="李华", phone="13700137002")
    switcher = sign_up(session, clock, "switcher", name="陈晓明")
    guardian_consents(session, clock, switcher)
    assert account(session, switcher).verified_at is not None
    moved = accounts.update_details(
        session,
        clock,
        switcher,
        changes={
            "registry_no": LI_HUA,
            "name": "李华",
            "gender": "2",
            "birth_date": dt.date(2015, 9, 23),
        },
        client="10.0.0.1",
    )
    assert moved.status == "awaiting_guardian" and moved.account.verified_at is None
    assert not linked(session, switcher)


# --- budgets -------------------------------------------------------------------------------


def test_ten_attempts_per_number_a_day_whatever_the_address_or_account(
    session: Session, clock: FixedClock, world: World
) -> None:
    guessers = [
        sign_up(session, clock, f"guess{n}", name="王五", client=f"10.1.{n}.1") for n in range(3)
    ]
    for n, name in enumerate(("王六", "王七")):
        accounts.update_details(
            session, clock, guessers[0], changes={"name": name}, client=f"10.2.{n}.1"
        )
    clock.advance(hours=12)  # waiting in between buys nothing
    for n in range(3, 6):
        sign_up(session, clock, f"guess{n}", name="王五", client=f"10.1.{n}.1")
    for n, name in enumerate(("王八", "李四")):
        accounts.update_details(
            session, clock, guessers[1], changes={"name": name}, client=f"10.3.{n}.1"
        )
    # ten attempts in twelve hours, from ten addresses and six accounts
    with pytest.raises(Throttled) as refused:
        attempt(session, clock, "chen2016", client="10.4.0.1")  # even the right five fields
    assert "学校" in refused.value.message
    with pytest.raises(Throttled):
        accounts.update_details(
            session, clock, guessers[2], changes={"name": "陈小明"}, client="10.5.0.1"
        )
    li = attempt(
        session,
        clock,
        "lihua2015",
        registry_no=LI_HUA,
        name="李华",
        gender="2",
        birth=dt.date(2015, 9, 23),
    )
    assert isinstance(li, accounts.Registration), "another number has its own budget"
    clock.advance(hours=1)
    with pytest.raises(Throttled):
        attempt(session, clock, "chen2016", client="10.4.0.2")
    clock.advance(hours=22)
    with pytest.raises(Throttled):
        attempt(session, clock, "chen2016", client="10.4.0.3")
    clock.advance(hours=1, minutes=1)  # a day after the tenth attempt
    outcome = attempt(session, clock, "chen2016", client="10.4.0.4")
    assert isinstance(outcome, accounts.Registration) and outcome.status == "awaiting_guardian"
    assert auth.principal_by_username(session, "guess0") is not None


def test_student_number_taken_answers_are_limited_per_address(
    session: Session, clock: FixedClock, world: World
) -> None:
    sign_up(session, clock, "taken2016", registry_no=number(sequence="050"))
    for n in range(20):
        outcome = attempt(
            session,
            clock,
            "taken2016",
            registry_no=number(sequence=f"{n + 60:03d}"),
            client="10.6.0.1",
        )
        assert isinstance(outcome, Conflict) and outcome.code == "STUDENT_NO_TAKEN"
    with pytest.raises(Throttled):
        attempt(session, clock, "free2016", registry_no=number(sequence="090"), client="10.6.0.1")
    elsewhere = attempt(
        session, clock, "taken2016", registry_no=number(sequence="091"), client="10.7.0.1"
    )
    assert isinstance(elsewhere, Conflict) and elsewhere.code == "STUDENT_NO_TAKEN"
    assert auth.principal_by_username(session, "free2016") is None


# --- queues --------------------------------------------------------------------------------


def test_queues_follow_the_record_and_the_city_of_the_number(
    session: Session, clock: FixedClock, world: World
) -> None:
    """A school in 深圳 registered under a name a 佛山 school would have: it must not
    collect the registrations of 佛山 children who type that name. And a number on
    record reaches its own school only, whatever school name was typed."""
    lure, guicheng = "佛山市禅城区海口中学", "佛山市南海区桂城小学"
    schools.create_school(
        session, clock, world.platform, school_code="1144030401", name=lure, region_code="440304"
    )
    schools.create_school(
        session, clock, world.foshan, school_code="1144060501", name=guicheng, region_code="440605"
    )
    futian = staff(session, clock, "futian-admin", Role.SCHOOL_ADMIN, school="1144030401")
    nanhai = staff(session, clock, "guicheng-admin", Role.SCHOOL_ADMIN, school="1144060501")
    sign_up(session, clock, "fslured", registry_no=number(sequence="011"), school=lure)
    sign_up(session, clock, "szown", registry_no=number("440304", "20160211", "003"), school=lure)
    sign_up(session, clock, "szlured", registry_no=number("440304", "20160211", "005"))
    sign_up(session, clock, "fsnamed", registry_no=number(sequence="012"))
    # 陈小明's number, on 海口小学's record, with another 佛山 school's name
    sign_up(session, clock, "fsrecord", name="陈晓明", school=guicheng)
    sign_up(
        session, clock, "gcown", registry_no=number("440605", "20160211", "007"), school=guicheng
    )

    def listed(principal: Principal, school: str) -> list[str]:
        page = queue.unmatched_accounts(session, clock, principal, school)
        return [item.account.student_no for item in page.items]

    assert listed(futian, "1144030401") == ["szown"]
    assert listed(world.haikou_admin, HAIKOU) == ["fsnamed", "fsrecord"]
    assert listed(nanhai, "1144060501") == ["gcown"]
    for principal, school in ((futian, "1144030401"), (nanhai, "1144060501")):
        items = queue.unmatched_accounts(session, clock, principal, school).items
        shown = json.dumps([item.as_json() for item in items], ensure_ascii=False)
        assert "陈晓明" not in shown and CHILD[-4:] not in shown


# --- accounts active before the migration ---------------------------------------------------


@pytest.fixture(params=["sqlite"])
def legacy_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A database at the revision before guardian consent, filled by today's services:
    possible on SQLite only, whose columns take today's binary indexes as they are (on
    PostgreSQL that revision's text columns refuse them). The index conversion itself is
    tested on both databases in ``test_binary_indexes_migration``."""
    workdir = tmp_path_factory.mktemp(f"legacy-{request.param}")
    with migrated_engine(request.param, workdir, revision=BEFORE_CONSENT) as built:
        yield built


def publish_as_before(session: Session, clock: Any, **event: Any) -> None:
    """The registry's publish into an outbox of that revision (no lanes, no chunks)."""
    session.execute(
        text(
            "INSERT INTO outbox_events (event_type, student_id, sequence, payload, created_at,"
            " attempts, apply_count) VALUES (:event_type, :student_id, :sequence, :payload,"
            " :created_at, 0, 0)"
        ),
        {**event, "payload": json.dumps(event["payload"]), "created_at": clock.now()},
    )


def test_accounts_active_before_the_migration_stay_active_until_reclaimed(
    legacy_engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # written as the code of that revision wrote: events without lanes, unkeyed audit
    # links, accounts without a sign-in index, classes without a graduation year (the
    # columns lent for the fill only)
    monkeypatch.setattr(outbox, "publish", publish_as_before)
    monkeypatch.setattr(audit, "entry_hash", unkeyed_link)
    monkeypatch.setattr(registry, "former_holder_of", lambda _session, _index: None)  # no J yet
    with legacy_engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE accounts ADD COLUMN sign_in_index BLOB")
        connection.exec_driver_sql("ALTER TABLE classes ADD COLUMN graduated_in INTEGER")
    with Session(legacy_engine, expire_on_commit=False) as old:
        world = build_world(old, clock)
        located = register(old, clock, world)  # 陈小明, guardian 13800138001
        for username, registry_no, status_, student_id in (
            ("legacy1", CHILD, "active", located.student.id),
            ("legacy2", number(sequence="011"), "pending", None),
        ):
            principal = auth.create_account(
                old, clock, username=username, password=PASSWORD, role=Role.STUDENT
            )
            index = registry_no_index(registry_no)
            old.execute(
                StudentAccount.__table__.insert().values(
                    account_id=principal.account_id,
                    student_no=username,
                    registry_no=registry_no,
                    registry_index=index,
                    name="陈小明",
                    gender="1",
                    birth_date=BIRTH,
                    school_name=HAIKOU_NAME,
                    status=status_,
                    student_id=student_id,
                    active_registry_index=index if student_id else None,
                    created_at=clock.now(),
                    activated_at=clock.now() if student_id else None,
                )
            )
        old.commit()
    with legacy_engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE accounts DROP COLUMN sign_in_index")
        connection.exec_driver_sql("ALTER TABLE classes DROP COLUMN graduated_in")
    migrate.upgrade(legacy_engine)
    monkeypatch.undo()
    while worker.run_once(sessionmaker(legacy_engine), clock, apply_registry_events):
        pass
    with Session(legacy_engine, expire_on_commit=False) as session:
        legacy, waiting = student(session, "legacy1"), student(session, "legacy2")
        assert status(session, legacy) == "active" and linked(session, legacy)
        assert account(session, legacy).verified_at is None
        # the pending one reaches its city's school by the name it typed
        page = queue.unmatched_accounts(session, clock, world.haikou_admin, HAIKOU)
        assert [item.account.student_no for item in page.items] == ["legacy2"]
        assert account(session, waiting).area_prefix == "4406"
        chen = sign_up(session, clock, "chen2016")
        assert status(session, chen) == "awaiting_guardian" and status(session, legacy) == "active"
        guardian_consents(session, clock, chen)
        assert (status(session, chen), status(session, legacy)) == ("active", "revoked")
        session.commit()
