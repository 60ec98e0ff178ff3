"""All SQL of accounts, sessions and throttle buckets.

A throttle key names an account or a client address (``acct:…``, ``addr:…``): callers
speak in those keys, and only their keyed hash (``crypto.throttle_key``) is stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Subquery, Table, case, delete, insert, select, update

from xueji.auth.models import Account, AuthSession, ThrottleBucket
from xueji.db.crypto import sign_in_index, throttle_key
from xueji.db.repository import Repository
from xueji.domain.throttling import ThrottleRule

SESSIONS: Table = AuthSession.__table__  # type: ignore[assignment]


class AuthRepository(Repository):
    def account_by_sign_in_name(self, name: str) -> Account | None:
        """The account signed in as ``name`` (normalised), found by its blind index."""
        return self.session.scalar(
            select(Account).where(Account.sign_in_index == sign_in_index(name))
        )

    def account_by_id(self, account_id: int) -> Account | None:
        return self.session.get(Account, account_id)

    def add_session(
        self, *, token_hash: str, account_id: int, created_at: dt.datetime, expires_at: dt.datetime
    ) -> None:
        """A plain INSERT rather than an object through the unit of work: nothing reads the
        new session back in this transaction, and sign-in is hot."""
        self.session.execute(
            insert(SESSIONS).values(
                token_hash=token_hash,
                account_id=account_id,
                created_at=created_at,
                expires_at=expires_at,
            )
        )

    def session_with_account(
        self, token_hash: str, now: dt.datetime
    ) -> tuple[AuthSession, Account] | None:
        row = self.session.execute(
            select(AuthSession, Account)
            .join(Account, Account.id == AuthSession.account_id)
            .where(AuthSession.token_hash == token_hash, AuthSession.expires_at > now)
        ).first()
        return None if row is None else (row[0], row[1])

    def delete_accounts(self, account_ids: list[int]) -> None:
        if account_ids:
            self.session.execute(
                delete(Account)
                .where(Account.id.in_(account_ids))
                .execution_options(synchronize_session=False)
            )

    def delete_session(self, token_hash: str) -> None:
        self.session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash))

    def delete_sessions_of(self, account_id: int) -> None:
        self.session.execute(delete(AuthSession).where(AuthSession.account_id == account_id))

    def delete_expired_sessions(self, account_id: int, now: dt.datetime) -> None:
        """Expired sessions of one account, removed when it signs in again. No session
        objects are loaded, so the ORM need not synchronise any (sign-in is hot)."""
        self.session.execute(
            delete(AuthSession)
            .where(AuthSession.account_id == account_id, AuthSession.expires_at <= now)
            .execution_options(synchronize_session=False)
        )

    def buckets(self, keys: list[str]) -> dict[str, dt.datetime | None]:
        """The buckets that exist among ``keys``, each with the time it is blocked until:
        one read that tells both whether a caller is blocked and what a success clears."""
        stored = {throttle_key(key): key for key in keys}
        rows = self.session.execute(
            select(ThrottleBucket.key, ThrottleBucket.blocked_until).where(
                ThrottleBucket.key.in_(list(stored))
            )
        )
        return {stored[key]: blocked for key, blocked in rows}

    def record_failure(self, key: str, rule: ThrottleRule, now: dt.datetime) -> int:
        """Count one failure under ``key`` atomically; return the consecutive count."""
        key = throttle_key(key)
        table = ThrottleBucket.__table__
        statement = self.insert(table).values(
            key=key, failures=1, last_failure_at=now, blocked_until=None
        )
        failures = self.session.scalar(
            statement.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "failures": case(
                        (table.c.last_failure_at < now - rule.window, 1),
                        else_=table.c.failures + 1,
                    ),
                    "last_failure_at": now,
                },
            ).returning(table.c.failures)
        )
        count = int(failures or 1)
        delay = rule.delay(count)
        if delay:
            self.session.execute(
                update(ThrottleBucket)
                .where(ThrottleBucket.key == key)
                .values(blocked_until=now + dt.timedelta(seconds=delay))
            )
        return count

    def clear(self, keys: list[str]) -> None:
        if keys:
            self.session.execute(
                delete(ThrottleBucket)
                .where(ThrottleBucket.key.in_([throttle_key(key) for key in keys]))
                .execution_options(synchronize_session=False)
            )


def live_session_accounts(
    token_hash: ColumnElement[str], now: ColumnElement[dt.datetime]
) -> Subquery:
    """The account behind a live session token (``account_id``, ``role``, ``is_active``)
    as a subquery another module may join in one round trip (the capabilities read);
    ``token_hash`` and ``now`` are bound parameters, so the statement is built once."""
    return (
        select(Account.id.label("account_id"), Account.role, Account.is_active)
        .join(AuthSession, AuthSession.account_id == Account.id)
        .where(AuthSession.token_hash == token_hash, AuthSession.expires_at > now)
        .subquery("live_session")
    )
