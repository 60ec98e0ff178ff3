"""The binary blind-index migration on both databases: rows written with 64-character hex
indexes before it are found by the 16-byte indexes after it — students by number,
guardians and parents by phone, accounts by number, the archive by number — no child row
is lost when SQLite rebuilds a parent table, and the per-student event view is still
there. Rows are written through tables reflected at the earlier revision, as the
code of that time wrote them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, Table, text
from sqlalchemy.orm import Session

from tests.databases import BACKENDS, migrated_engine
from xueji.db import migrate
from xueji.db.crypto import PHONE_PURPOSE, REGISTRY_NO_PURPOSE, keyring
from xueji.domain.clock import FixedClock
from xueji.parents.repository import ParentRepository
from xueji.platform import service as accounts
from xueji.platform.repository import PlatformRepository
from xueji.registry.lookup import lookup, students_with_guardian_phone

BEFORE = "5b7d1e9c3a20"  # the revision before binary indexes
NUMBER, PHONE = "G440604201602110014", "13800138001"
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@pytest.fixture(params=BACKENDS)
def old_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    workdir: Path = tmp_path_factory.mktemp(f"hex-{request.param}")
    with migrated_engine(request.param, workdir, revision=BEFORE) as built:
        yield built


def legacy_index(value: str, purpose: str) -> str:
    """The index as it was stored: the full HMAC in hex."""
    return keyring().blind_index(value, purpose=purpose)


def write_legacy_rows(engine: Engine) -> None:
    ring = keyring()
    tables = MetaData()

    def table(name: str) -> Table:
        return Table(name, tables, autoload_with=engine)

    rows: list[tuple[str, dict[str, Any]]] = [
        ("regions", {"code": "440604", "name": "禅城区", "parent_code": "440600"}),
        ("schools", {"code": "1144060401", "name": "海口小学", "region_code": "440604",
                     "created_at": NOW}),
        ("students", {"id": 1, "registry_no": ring.encrypt(NUMBER, purpose="student.registry_no"),
                      "registry_no_index": legacy_index(NUMBER, REGISTRY_NO_PURPOSE),
                      "name": "陈小明", "gender": "1", "birth_date": dt.date(2016, 2, 11),
                      "school_code": "1144060401", "class_id": None, "status": "enrolled",
                      "event_sequence": 1, "created_at": NOW, "updated_at": NOW}),
        ("guardians", {"student_id": 1, "rank": 1, "name": "陈大明", "relation": "10",
                       "phone": ring.encrypt(PHONE, purpose="guardian.phone"),
                       "phone_index": legacy_index(PHONE, PHONE_PURPOSE)}),
        ("accounts", {"id": 1, "username": "chen2016", "role": "student", "display_name": "",
                      "password_hash": "x", "is_active": True, "created_at": NOW}),
        ("accounts", {"id": 2, "username": PHONE, "role": "parent", "display_name": "",
                      "password_hash": "x", "is_active": True, "created_at": NOW}),
        ("student_accounts", {"account_id": 1, "student_no": "chen2016",
                              "registry_no": ring.encrypt(
                                  NUMBER, purpose="student_account.registry_no"),
                              "registry_index": legacy_index(NUMBER, REGISTRY_NO_PURPOSE),
                              "active_registry_index": legacy_index(NUMBER, REGISTRY_NO_PURPOSE),
                              "name": "陈小明", "gender": "1", "birth_date": dt.date(2016, 2, 11),
                              "school_name": "海口小学", "status": "active", "student_id": 1,
                              "created_at": NOW, "activated_at": NOW}),
        ("parent_accounts", {"account_id": 2, "phone": ring.encrypt(PHONE, purpose="parent.phone"),
                             "phone_index": legacy_index(PHONE, PHONE_PURPOSE), "name": "",
                             "created_at": NOW}),
        ("resources", {"id": 1, "kind": "course", "title": "数学", "created_at": NOW}),
        ("learning_records", {"id": 1, "student_account_id": 1, "resource_id": 1,
                              "action": "open", "at": NOW}),
        ("archive_entries", {"registry_index": legacy_index(NUMBER, REGISTRY_NO_PURPOSE),
                             "learning_record_id": 1, "landed_at": NOW}),
    ]  # fmt: skip
    with engine.begin() as connection:
        for name, values in rows:
            connection.execute(table(name).insert().values(**values))


def test_hex_indexes_written_before_are_found_after_the_upgrade(
    old_engine: Engine, clock: FixedClock
) -> None:
    write_legacy_rows(old_engine)
    migrate.upgrade(old_engine)
    with Session(old_engine) as session:
        record = lookup(session, registry_no=NUMBER)
        assert record is not None and record.name == "陈小明"
        assert [m.student_id for m in students_with_guardian_phone(session, PHONE)] == [1]
        parent = ParentRepository(session).by_phone_index(record.guardian_phone_indexes[0])
        assert parent is not None and parent.account_id == 2
        account = PlatformRepository(session).active_for(
            keyring().lookup_index(NUMBER, purpose=REGISTRY_NO_PURPOSE)
        )
        assert account is not None and account.student_no == "chen2016"
        assert accounts.sign_in_name(session, clock, "g440604201602110014") == "chen2016"
        # rebuilding students and student_accounts (SQLite) took no child row with it
        [(_, record_row, _)] = PlatformRepository(session).archive(account.registry_index)
        assert record_row.student_account_id == account.id
        stored = session.execute(text("SELECT registry_no_index FROM students")).scalar_one()
        assert bytes(stored) == bytes.fromhex(legacy_index(NUMBER, REGISTRY_NO_PURPOSE)[:32])
        assert session.execute(text("SELECT count(*) FROM outbox_student_events")).scalar() == 0
