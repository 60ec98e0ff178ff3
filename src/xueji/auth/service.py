"""Use cases of accounts and sessions. The caller owns the transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Subquery
from sqlalchemy.orm import Session

from xueji.auth import passwords, repository
from xueji.auth.models import Account
from xueji.auth.repository import AuthRepository
from xueji.db.crypto import sign_in_index
from xueji.domain import throttling
from xueji.domain.clock import Clock
from xueji.domain.errors import AuthFailed, Conflict, Throttled, ValidationFailed, XuejiError
from xueji.domain.identifier_shapes import holds_identifier
from xueji.domain.roles import Role, check_scope

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is signed in, and the scope their role is bounded by."""

    account_id: int | None
    username: str
    role: Role
    region_code: str | None
    school_code: str | None
    display_name: str

    @classmethod
    def operator(cls, *, school_code: str, name: str) -> Principal:
        """The person at the server's command line, acting for one school (no account)."""
        return cls(None, f"operator:{name}", Role.SCHOOL_ADMIN, None, school_code, "命令行操作员")

    @classmethod
    def platform_operator(cls, *, name: str) -> Principal:
        """The person at the server's command line, running the platform (no account)."""
        return cls(None, f"operator:{name}", Role.PLATFORM_ADMIN, None, None, "命令行运维")

    @classmethod
    def of(cls, account: Account) -> Principal:
        """A parent's account has no username in clear: its principal's is empty."""
        role = Role(account.role)
        return cls(
            account_id=account.id,
            username=account.username or "",
            role=role,
            region_code=account.region_code,
            school_code=account.school_code,
            display_name=account.display_name or account.username or role.label,
        )


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    expires_at: dt.datetime
    principal: Principal


@dataclass(frozen=True, slots=True)
class SignInRefused:
    """A refusal that must still be committed: it counts towards throttling."""

    error: XuejiError


def normalise_username(username: str) -> str:
    return username.strip().lower()


def create_account(
    session: Session,
    clock: Clock,
    *,
    username: str,
    password: str,
    role: Role,
    region_code: str | None = None,
    school_code: str | None = None,
    display_name: str = "",
) -> Principal:
    """``username`` is the sign-in name. A parent's is their (normalised) phone, kept only
    as a blind index; anyone else's is stored in clear and so may not hold a phone or an
    identity number (``USERNAME_RESERVED``)."""
    name = normalise_username(username)
    if not USERNAME.match(name):
        raise ValidationFailed(
            "用户名须为 3–64 位小写字母、数字或 _ . -，并以字母或数字开头",
            code="USERNAME_INVALID",
        )
    if role is not Role.PARENT and holds_identifier(name):
        raise ValidationFailed(
            "用户名不能含手机号或身份证件号（连续 11 位以上数字），请另取一个",
            code="USERNAME_RESERVED",
        )
    check_scope(role, region_code=region_code, school_code=school_code)
    passwords.check_strength(password)
    repository = AuthRepository(session)
    if repository.account_by_sign_in_name(name) is not None:
        shown = "该手机号" if role is Role.PARENT else f"用户名 {name}"
        raise Conflict(f"{shown}已被使用", code="USERNAME_TAKEN")
    account = Account(
        username=None if role is Role.PARENT else name,
        sign_in_index=sign_in_index(name),
        role=str(role),
        region_code=region_code,
        school_code=school_code,
        display_name=display_name.strip(),
        password_hash=passwords.hash_password(password),
        is_active=True,
        created_at=clock.now(),
    )
    repository.add(account)
    return Principal.of(account)


def blocked_for(session: Session, clock: Clock, keys: list[str]) -> Throttled | None:
    """The refusal to give if any of ``keys`` is blocked now (for other modules' budgets)."""
    return _refusal(AuthRepository(session).buckets(keys), clock.now())


def _refusal(buckets: dict[str, dt.datetime | None], now: dt.datetime) -> Throttled | None:
    blocked = max((until for until in buckets.values() if until and until > now), default=None)
    if blocked is None:
        return None
    wait = max(1, math.ceil((blocked - now).total_seconds()))
    return Throttled(f"尝试次数过多，请 {wait} 秒后再试", retry_after=wait)


def spend(session: Session, clock: Clock, keys: dict[str, throttling.ThrottleRule]) -> None:
    """Count one attempt under each key."""
    repository = AuthRepository(session)
    for key, rule in keys.items():
        repository.record_failure(key, rule, clock.now())


def _throttle_keys(username: str, client: str) -> dict[str, throttling.ThrottleRule]:
    return {
        f"acct:{username}|addr:{client}": throttling.ACCOUNT_FROM_ADDRESS,
        f"addr:{client}": throttling.ADDRESS,
        f"acct:{username}": throttling.ACCOUNT,
    }


@dataclass(frozen=True, slots=True)
class Checked:
    """A sign-in attempt judged on a read (``check_sign_in``), to be written by
    ``record_sign_in``: the password hash, the costly part, needs no write lock."""

    keys: dict[str, throttling.ThrottleRule]
    #: the account whose password matched; None for a failed attempt
    account_id: int | None
    #: this account's failure buckets to forget after a success
    cleared: list[str]
    #: the password, kept only when its stored hash must be renewed
    rehash_with: str | None = None


def sign_in(
    session: Session,
    clock: Clock,
    *,
    username: str,
    password: str,
    client: str,
    session_hours: int,
) -> SignedIn | SignInRefused:
    """Check the password, throttling failures per account, per address and both."""
    checked = check_sign_in(session, clock, username=username, password=password, client=client)
    if isinstance(checked, SignInRefused):
        return checked
    return record_sign_in(session, clock, checked, session_hours=session_hours)


def check_sign_in(
    session: Session, clock: Clock, *, username: str, password: str, client: str
) -> Checked | SignInRefused:
    """Everything but the writes: a throttled caller is refused here (nothing to write)."""
    name = normalise_username(username)
    repository = AuthRepository(session)
    keys = _throttle_keys(name, client)
    buckets = repository.buckets(list(keys))
    refusal = _refusal(buckets, clock.now())
    if refusal is not None:
        return SignInRefused(refusal)
    account = repository.account_by_sign_in_name(name)
    if account is None or not account.is_active:
        passwords.burn_equal_time(password)
        return Checked(keys, None, [])
    if not passwords.verify_password(account.password_hash, password):
        return Checked(keys, None, [])
    # a success forgets this account's failures (only the buckets that exist: most
    # sign-ins have none, and then cost no write)
    cleared = [key for key in buckets if key.startswith("acct:")]
    rehash = password if passwords.needs_rehash(account.password_hash) else None
    return Checked(keys, account.id, cleared, rehash)


def record_sign_in(
    session: Session, clock: Clock, checked: Checked, *, session_hours: int
) -> SignedIn | SignInRefused:
    """Write what ``check_sign_in`` found: the failure counts, or the new session (the
    account read again: it may have been deactivated in between)."""
    now = clock.now()
    repository = AuthRepository(session)
    account = (
        repository.account_by_id(checked.account_id) if checked.account_id is not None else None
    )
    if account is None or not account.is_active:
        return _failed(repository, checked.keys, now)
    repository.clear(checked.cleared)
    if checked.rehash_with is not None:
        account.password_hash = passwords.hash_password(checked.rehash_with)
    return _open_session(repository, account, now, session_hours)


def _failed(
    repository: AuthRepository, keys: dict[str, throttling.ThrottleRule], now: dt.datetime
) -> SignInRefused:
    for key, rule in keys.items():
        repository.record_failure(key, rule, now)
    return SignInRefused(AuthFailed("用户名或密码错误"))


def _open_session(
    repository: AuthRepository, account: Account, now: dt.datetime, hours: int
) -> SignedIn:
    repository.delete_expired_sessions(account.id, now)
    token = secrets.token_urlsafe(32)
    expires_at = now + dt.timedelta(hours=hours)
    repository.add_session(
        token_hash=hash_token(token), account_id=account.id, created_at=now, expires_at=expires_at
    )
    return SignedIn(token=token, expires_at=expires_at, principal=Principal.of(account))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def resolve_token(session: Session, clock: Clock, token: str) -> Principal | None:
    """The principal of a live session, or None for an unknown or expired token."""
    if not token:
        return None
    found = AuthRepository(session).session_with_account(hash_token(token), clock.now())
    if found is None or not found[1].is_active:
        return None
    return Principal.of(found[1])


def live_session_accounts(
    token_hash: ColumnElement[str], now: ColumnElement[dt.datetime]
) -> Subquery:
    """See ``AuthRepository``'s function of that name: for the platform's capabilities
    read, which must answer in one query."""
    return repository.live_session_accounts(token_hash, now)


def end_sessions(session: Session, account_id: int) -> None:
    """Every session of the account ends now (its link to a student was revoked)."""
    AuthRepository(session).delete_sessions_of(account_id)


def delete_accounts(session: Session, account_ids: list[int]) -> None:
    """Delete these accounts; their sessions and whatever a module keeps under an account
    (``ON DELETE CASCADE``) go with them."""
    AuthRepository(session).delete_accounts(account_ids)


def sign_out(session: Session, token: str) -> None:
    AuthRepository(session).delete_session(hash_token(token))


def principal_by_id(session: Session, account_id: int) -> Principal | None:
    """The account's principal (an active account only), for work done later on its
    behalf (a family's erasure, carried out after the cooling-off period)."""
    account = AuthRepository(session).account_by_id(account_id)
    return None if account is None or not account.is_active else Principal.of(account)


def principal_by_username(session: Session, username: str) -> Principal | None:
    """The account signed in as ``username``, for modules that assign people (head
    teachers)."""
    account = AuthRepository(session).account_by_sign_in_name(normalise_username(username))
    return None if account is None else Principal.of(account)
