"""Nothing a person is identified by is stored in clear: a parent's account is found by
the blind index of the phone, audit entries name accounts by id, throttle buckets are
kept under keyed hashes, and names people choose may not carry an identifier."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.registry_world import World, build_world, register
from xueji.audit import service as audit
from xueji.audit.models import AuditEntry
from xueji.auth import service as auth
from xueji.auth.models import Account, ThrottleBucket
from xueji.domain.clock import FixedClock
from xueji.domain.errors import ValidationFailed
from xueji.domain.roles import Role
from xueji.parents import service as parents

PASSWORD = "correct horse battery"
PHONE = "13800138001"
BARE_ID = "440604201007080359"


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


def stored_text(session: Session, table: str) -> str:
    """Every value of a table as text, as someone reading the database file sees it."""
    rows = session.execute(text(f"SELECT * FROM {table}")).all()
    return " ".join(
        bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
        for row in rows
        for value in row
    )


def test_a_parent_signs_in_by_phone_which_no_account_row_holds(
    session: Session, clock: FixedClock
) -> None:
    created = parents.create_parent(session, clock, phone=PHONE, password=PASSWORD)
    account_id = created.account.account_id
    signed = auth.sign_in(
        session, clock, username=PHONE, password=PASSWORD, client="10.0.0.1", session_hours=8
    )
    assert isinstance(signed, auth.SignedIn) and signed.principal.account_id == account_id
    assert PHONE not in stored_text(session, "accounts")
    account = session.get(Account, account_id)
    assert account is not None and account.username is None


def test_audit_entries_name_an_acting_parent_by_account_id(
    session: Session, clock: FixedClock
) -> None:
    created = parents.create_parent(session, clock, phone=PHONE, password=PASSWORD)
    principal = auth.Principal.of(_must(session.get(Account, created.account.account_id)))
    entry = audit.record(
        session,
        clock,
        audit.Actor(principal.account_id, principal.username),
        action="t",
        subject="s",
    )
    assert entry.actor == f"account:{principal.account_id}"
    assert PHONE not in stored_text(session, "audit_log")


def test_failed_sign_ins_leave_no_number_or_address_in_the_throttle_table(
    session: Session, clock: FixedClock
) -> None:
    refused = auth.sign_in(
        session, clock, username=BARE_ID, password="wrong", client="10.9.8.7", session_hours=8
    )
    assert isinstance(refused, auth.SignInRefused)
    keys = list(session.scalars(select(ThrottleBucket.key)))
    assert len(keys) == 3
    assert not any(BARE_ID in key or "10.9.8.7" in key or "acct:" in key for key in keys)
    # and the keyed buckets still throttle: the same guess is counted under the same key
    auth.sign_in(
        session, clock, username=BARE_ID, password="wrong", client="10.9.8.7", session_hours=8
    )
    assert {b.failures for b in session.scalars(select(ThrottleBucket))} == {2}


@pytest.mark.parametrize("name", ["13800138000", "g440604201602110014", "ops13800138000"])
def test_a_staff_username_may_not_carry_an_identifier(
    session: Session, clock: FixedClock, name: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        auth.create_account(
            session,
            clock,
            username=name,
            password=PASSWORD,
            role=Role.SCHOOL_ADMIN,
            school_code="1144060401",
        )
    assert refused.value.code == "USERNAME_RESERVED"


def test_audit_actors_of_registry_work_are_account_ids(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    actors = set(session.scalars(select(AuditEntry.actor)))
    assert actors and all(a.startswith("account:") or a == "system" for a in actors), actors


def _must(value: Account | None) -> Account:
    assert value is not None
    return value
