"""Upgrading a database written before identifiers left the clear, on both databases: a
parent's phone leaves ``accounts`` and still signs the parent in, a student number that
was a registry number is renamed while the registry number still signs in, throttle
keys become keyed hashes, and the audit log (its actors now account ids) is re-linked
with the keyed link — ``verify`` passes after, as it did before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, MetaData, Table, text
from sqlalchemy.orm import Session

from tests.audit_links import unkeyed_link
from tests.databases import BACKENDS, migrated_engine
from tests.integration.test_binary_indexes_migration import NOW, NUMBER, PHONE, write_legacy_rows
from xueji.audit import service as audit
from xueji.auth.repository import AuthRepository
from xueji.db import migrate
from xueji.db.crypto import Keyring, install_keyring, keyring
from xueji.domain.clock import FixedClock
from xueji.platform import service as accounts

BEFORE = "9e4a6c2d8f13"  # the revision before this one
OLDEST = "5b7d1e9c3a20"  # where the shared legacy rows are written


@pytest.fixture(params=BACKENDS)
def old_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    workdir: Path = tmp_path_factory.mktemp(f"clear-{request.param}")
    with migrated_engine(request.param, workdir, revision=OLDEST) as built:
        write_legacy_rows(built)
        migrate.upgrade(built, BEFORE)
        yield built


def old_link(previous: str, row: dict[str, object]) -> str:
    """The audit link as the code of that time computed it (plain SHA-256)."""
    return unkeyed_link(SimpleNamespace(**{**row, "prev_hash": previous}))


def write_old_rows(engine: Engine) -> None:
    tables = MetaData()

    def table(name: str) -> Table:
        return Table(name, tables, autoload_with=engine)

    with engine.begin() as connection:
        # the student account of the shared rows took its registry number as student number
        connection.execute(
            text("UPDATE accounts SET username = :n WHERE id = 1"), {"n": NUMBER.lower()}
        )
        connection.execute(
            text("UPDATE student_accounts SET student_no = :n WHERE account_id = 1"),
            {"n": NUMBER.lower()},
        )
        connection.execute(
            table("auth_throttle").insert(),
            [
                {"key": key, "failures": 1, "last_failure_at": NOW, "blocked_until": None}
                for key in (f"acct:{PHONE}", "addr:10.0.0.9")
            ],
        )
        previous = "0" * 64
        for entry_id, actor_id, actor in ((1, 2, PHONE), (2, None, "system"), (3, 1, NUMBER)):
            row = {"id": entry_id, "at": NOW, "actor_id": actor_id, "actor": actor,
                   "action": "test", "school_code": None, "subject": f"student:{entry_id}",
                   "payload": keyring().encrypt("{}", purpose="audit.payload"),
                   "prev_hash": previous}  # fmt: skip
            link = old_link(previous, row)
            connection.execute(table("audit_log").insert().values(**row, entry_hash=link))
            previous = link
        connection.execute(
            text("UPDATE audit_head SET last_id = 3, last_hash = :h WHERE id = 1"), {"h": previous}
        )


def test_upgrade_takes_identifiers_out_of_the_clear_and_relinks_the_audit_log(
    old_engine: Engine, clock: FixedClock
) -> None:
    write_old_rows(old_engine)
    migrate.upgrade(old_engine)
    with Session(old_engine) as session:
        repository = AuthRepository(session)
        parent = repository.account_by_sign_in_name(PHONE)
        assert parent is not None and parent.id == 2 and parent.username is None
        student = repository.account_by_sign_in_name("s0001")
        assert student is not None and student.id == 1 and student.username == "s0001"
        assert accounts.sign_in_name(session, clock, NUMBER) == "s0001"
        assert repository.account_by_sign_in_name(NUMBER.lower()) is None
        stored = " ".join(
            str(value)
            for table in ("accounts", "student_accounts", "auth_throttle", "audit_log")
            for row in session.execute(text(f"SELECT * FROM {table}"))
            for value in row
        )
        assert PHONE not in stored and NUMBER[1:] not in stored and "10.0.0.9" not in stored
        assert set(repository.buckets([f"acct:{PHONE}", "addr:10.0.0.9"])) == {
            f"acct:{PHONE}",
            "addr:10.0.0.9",
        }
        actors = session.execute(text("SELECT actor FROM audit_log ORDER BY id")).scalars()
        assert list(actors) == ["account:2", "system", "account:1"]
        result = audit.verify(session)
        assert result.ok and result.checked == 3
        stored = session.execute(text("SELECT fingerprint FROM key_state")).scalar_one()
        assert stored == keyring().fingerprint
        with pytest.raises(Exception, match="append-only"), session.begin_nested():
            session.execute(text("DELETE FROM audit_log WHERE id = 3"))


def test_a_staff_username_that_is_a_phone_is_replaced_and_logged(
    old_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    write_old_rows(old_engine)
    with old_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO accounts (id, username, role, school_code, display_name, "
                "password_hash, is_active, created_at) VALUES (9, :phone, 'school_admin', "
                "'1144060401', '', 'x', :yes, :now)"
            ),
            {"phone": "13900139009", "yes": True, "now": NOW},
        )
    migrate.upgrade(old_engine)
    with Session(old_engine) as session:
        staff = AuthRepository(session).account_by_sign_in_name("u0009")
        assert staff is not None and staff.id == 9
    assert "账号 9 的用户名含手机号或证件号" in caplog.text and "13900139009" not in caplog.text


def test_an_audit_log_altered_before_the_upgrade_stops_it(old_engine: Engine) -> None:
    write_old_rows(old_engine)
    with old_engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
        connection.execute(text("UPDATE audit_log SET subject = 'student:9' WHERE id = 2"))
    with pytest.raises(RuntimeError, match="第 2 条"):
        migrate.upgrade(old_engine)
    assert migrate.current_revision(old_engine) == BEFORE  # nothing of it was applied


def test_the_upgrade_refuses_a_key_that_cannot_read_the_data(old_engine: Engine) -> None:
    write_old_rows(old_engine)
    right = keyring()
    install_keyring(Keyring(b"another master key, not the one"))
    try:
        with pytest.raises(RuntimeError, match="主密钥与数据库不符"):
            migrate.upgrade(old_engine)
    finally:
        install_keyring(right)
    assert migrate.current_revision(old_engine) == BEFORE
