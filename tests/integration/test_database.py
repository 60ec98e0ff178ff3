"""The database layer behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xueji.db import migrate
from xueji.db.crypto import EncryptedString, blind_index, keyring


def test_schema_is_built_by_the_migrations_and_is_current(engine: Engine, session: Session) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert migrate.is_up_to_date(engine)
    tables = set(inspect(session.connection()).get_table_names())
    assert {"accounts", "auth_sessions", "auth_throttle", "alembic_version"} <= tables


def test_constraint_names_follow_the_naming_convention(session: Session) -> None:
    inspector = inspect(session.connection())
    uniques = {u["name"] for u in inspector.get_unique_constraints("accounts")}
    assert "uq_accounts_username" in uniques
    foreign = {f["name"] for f in inspector.get_foreign_keys("auth_sessions")}
    assert foreign == {"fk_auth_sessions_account_id_accounts"}


def test_foreign_keys_are_enforced(session: Session) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            text(
                "INSERT INTO auth_sessions (token_hash, account_id, created_at, expires_at) "
                "VALUES ('x', 999999, '2026-01-01', '2026-01-02')"
            )
        )


PEOPLE = Table(
    "test_people",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("resident_id", EncryptedString("student.resident_id")),
    Column("resident_id_index", String(64), index=True),
)


def test_sensitive_values_are_encrypted_and_found_by_blind_index(session: Session) -> None:
    connection = session.connection()
    PEOPLE.create(connection)
    number = "445222202508211230"
    for name, value in (("𠮷田", number), ("王五", "11010519491231002X")):
        connection.execute(
            PEOPLE.insert().values(
                name=name,
                resident_id=value,
                resident_id_index=blind_index(value, purpose="resident_id"),
            )
        )
    raw = connection.execute(text("SELECT resident_id FROM test_people")).scalars().all()
    assert all(number.encode() not in bytes(blob) for blob in raw)
    found = connection.execute(
        select(PEOPLE.c.name, PEOPLE.c.resident_id).where(
            PEOPLE.c.resident_id_index == blind_index(number, purpose="resident_id")
        )
    ).one()
    assert tuple(found) == ("𠮷田", number)


def test_ciphertext_is_bound_to_its_purpose() -> None:
    sealed = keyring().encrypt("13812345678", purpose="guardian.phone")
    assert keyring().decrypt(sealed, purpose="guardian.phone") == "13812345678"
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        keyring().decrypt(sealed, purpose="student.resident_id")


def test_two_encryptions_of_one_value_differ_but_index_alike() -> None:
    assert keyring().encrypt("x", purpose="p") != keyring().encrypt("x", purpose="p")
    assert blind_index("x", purpose="p") == blind_index("x", purpose="p")
    assert blind_index("x", purpose="p") != blind_index("x", purpose="q")
