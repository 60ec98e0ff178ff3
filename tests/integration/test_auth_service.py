"""Accounts, sign-in, sessions and throttling on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from xueji.auth import service
from xueji.auth.models import AuthSession
from xueji.auth.repository import AuthRepository
from xueji.domain.clock import FixedClock
from xueji.domain.errors import Conflict, ValidationFailed
from xueji.domain.roles import Role

PASSWORD = "correct horse battery"


def make(session: Session, clock: FixedClock, username: str = "haikou-admin") -> service.Principal:
    return service.create_account(
        session,
        clock,
        username=username,
        password=PASSWORD,
        role=Role.SCHOOL_ADMIN,
        school_code="1144060401",
        display_name="𠮷田老师",
    )


def sign_in(
    session: Session,
    clock: FixedClock,
    password: str = PASSWORD,
    client: str = "10.0.0.1",
    username: str = "haikou-admin",
) -> service.SignedIn | service.SignInRefused:
    return service.sign_in(
        session, clock, username=username, password=password, client=client, session_hours=12
    )


def test_account_round_trip_keeps_extension_b_names(session: Session, clock: FixedClock) -> None:
    principal = make(session, clock)
    stored = AuthRepository(session).account_by_sign_in_name("haikou-admin")
    assert stored is not None
    assert stored.display_name == "𠮷田老师"
    assert principal.role is Role.SCHOOL_ADMIN
    assert stored.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_username_is_unique_case_insensitively(session: Session, clock: FixedClock) -> None:
    make(session, clock)
    with pytest.raises(Conflict) as caught:
        make(session, clock, username="Haikou-Admin")
    assert caught.value.code == "USERNAME_TAKEN"


@pytest.mark.parametrize(
    ("role", "region", "school", "code"),
    [
        (Role.REGION_ADMIN, None, None, "SCOPE_INVALID"),
        (Role.REGION_ADMIN, "99", None, "SCOPE_INVALID"),
        (Role.SCHOOL_ADMIN, None, "123", "SCOPE_INVALID"),
        (Role.HEAD_TEACHER, "4406", "1144060401", "SCOPE_INVALID"),
        (Role.PLATFORM_ADMIN, "4406", None, "SCOPE_INVALID"),
    ],
)
def test_scope_must_fit_the_role(
    session: Session,
    clock: FixedClock,
    role: Role,
    region: str | None,
    school: str | None,
    code: str,
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.create_account(
            session,
            clock,
            username="someone",
            password=PASSWORD,
            role=role,
            region_code=region,
            school_code=school,
        )
    assert caught.value.code == code
    assert AuthRepository(session).account_by_sign_in_name("someone") is None


def test_sign_in_opens_a_session_that_expires(session: Session, clock: FixedClock) -> None:
    make(session, clock)
    result = sign_in(session, clock)
    assert isinstance(result, service.SignedIn)
    principal = service.resolve_token(session, clock, result.token)
    assert principal is not None and principal.username == "haikou-admin"
    clock.advance(hours=12, seconds=1)
    assert service.resolve_token(session, clock, result.token) is None
    assert isinstance(sign_in(session, clock), service.SignedIn)
    live = session.scalars(select(AuthSession.expires_at)).all()
    assert live == [clock.now() + dt.timedelta(hours=12)]  # the expired one was removed


def test_sign_out_ends_the_session(session: Session, clock: FixedClock) -> None:
    make(session, clock)
    result = sign_in(session, clock)
    assert isinstance(result, service.SignedIn)
    service.sign_out(session, result.token)
    assert service.resolve_token(session, clock, result.token) is None


def test_unknown_user_and_wrong_password_look_alike(session: Session, clock: FixedClock) -> None:
    make(session, clock)
    wrong = sign_in(session, clock, password="wrong password")
    unknown = sign_in(session, clock, username="nobody")
    assert isinstance(wrong, service.SignInRefused) and isinstance(unknown, service.SignInRefused)
    assert (wrong.error.code, wrong.error.message) == (unknown.error.code, unknown.error.message)


def test_guessing_from_one_address_is_slowed_then_forgiven(
    session: Session, clock: FixedClock
) -> None:
    make(session, clock)
    for _ in range(5):
        refused = sign_in(session, clock, password="guess")
        assert isinstance(refused, service.SignInRefused) and refused.error.code == "AUTH_FAILED"
    throttled = sign_in(session, clock)
    assert isinstance(throttled, service.SignInRefused)
    assert throttled.error.code == "THROTTLED"
    assert throttled.error.details["retry_after"] == 1
    clock.advance(seconds=1)
    assert isinstance(sign_in(session, clock), service.SignedIn)


def test_a_distributed_attacker_cannot_lock_the_owner_out_for_long(
    session: Session, clock: FixedClock
) -> None:
    make(session, clock)
    for attempt in range(200):
        sign_in(session, clock, password="guess", client=f"198.51.{attempt // 250}.{attempt % 250}")
        clock.advance(seconds=1)
    blocked = sign_in(session, clock, client="203.0.113.7")
    if isinstance(blocked, service.SignInRefused):
        assert blocked.error.code == "THROTTLED"
        assert blocked.error.details["retry_after"] <= 60
        clock.advance(seconds=blocked.error.details["retry_after"])
    assert isinstance(sign_in(session, clock, client="203.0.113.7"), service.SignedIn)


def test_one_address_spraying_many_accounts_is_slowed(session: Session, clock: FixedClock) -> None:
    refusals = [sign_in(session, clock, username=f"user{n}", password="guess") for n in range(21)]
    assert all(isinstance(r, service.SignInRefused) for r in refusals)
    last = sign_in(session, clock, username="user99", password="guess")
    assert isinstance(last, service.SignInRefused) and last.error.code == "THROTTLED"
