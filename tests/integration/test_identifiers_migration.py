"""Upgrading a database written before identifiers left the clear, on both databases: a
parent's phone leaves ``accounts`` and still signs the parent in, a student number that
was a registry number is renamed while the registry number still signs in, throttle
keys become keyed hashes, and the audit log (its actors now account ids) is re-linked
with the keyed link — ``verify`` passes after, as it did before."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, Table, text
from sqlalchemy.orm import Session

from tests.databases import BACKENDS, migrated_engine
from tests.integration.test_binary_indexes_migration import NOW, NUMBER, PHONE, write_legacy_rows
from xueji.audit import service as audit
from xueji.auth.repository import AuthRepository
from xueji.db import migrate
from xueji.db.crypto import keyring
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
    at = row["at"]
    assert isinstance(at, dt.datetime)
    canonical = json.dumps(
        [row["id"], at.astimezone(dt.UTC).isoformat(timespec="microseconds"), row["actor_id"],
         row["actor"], row["action"], row["school_code"], row["subject"],
         bytes(row["payload"]).hex()],  # type: ignore[call-overload]
        ensure_ascii=False,
        separators=(",", ":"),
    )  # fmt: skip
    return hashlib.sha256((previous + canonical).encode("utf-8")).hexdigest()


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
                   "payload": b"\x01sealed", "prev_hash": previous}  # fmt: skip
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
