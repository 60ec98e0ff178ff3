"""The migration that keys national records by their student, on both databases: a
record stored before it (its fields under their full names, as the code of that time
wrote them) is the student's record after it, still tied to the student, and back again
after a downgrade; a key rotation stopped half-way through them starts them over."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, Table, delete, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.databases import BACKENDS, migrated_engine
from xueji.db import migrate
from xueji.db.crypto import REGISTRY_NO_PURPOSE, keyring
from xueji.db.key_state import RotationProgress
from xueji.registry.models import Student
from xueji.registry.national import records
from xueji.registry.national.models import RECORD_PURPOSE, SENSITIVE_PURPOSE, NationalRecord

BEFORE = "8b3f1c6d2e47"  # national records with a surrogate id
NUMBER = "G440604201602110014"
NOW = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
PLAIN = '{"birthplace":"440604","m1_name":"陈大明"}'
SECRET = '{"health":"1"}'


@pytest.fixture(params=BACKENDS)
def old_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    workdir: Path = tmp_path_factory.mktemp(f"national-{request.param}")
    with migrated_engine(request.param, workdir, revision=BEFORE) as built:
        yield built


def write_old_record(engine: Engine) -> None:
    ring = keyring()
    tables = MetaData()
    rows = [
        ("regions", {"code": "440604", "name": "禅城区", "parent_code": "440600"}),
        ("schools", {"code": "1144060401", "name": "海口小学", "region_code": "440604",
                     "created_at": NOW}),
        ("students", {"id": 3, "registry_no": ring.encrypt(NUMBER, purpose="student.registry_no"),
                      "registry_no_index": ring.lookup_index(NUMBER, purpose=REGISTRY_NO_PURPOSE),
                      "name": "陈小明", "gender": "1", "birth_date": dt.date(2016, 2, 11),
                      "school_code": "1144060401", "class_id": None, "status": "enrolled",
                      "event_sequence": 1, "created_at": NOW, "updated_at": NOW}),
        ("national_records", {"id": 7, "student_id": 3,
                              "record": ring.encrypt(PLAIN, purpose=RECORD_PURPOSE),
                              "sensitive": ring.encrypt(SECRET, purpose=SENSITIVE_PURPOSE),
                              "updated_at": NOW}),
        ("key_rotation_progress", {"name": "national_records.record", "last_key": "7"}),
    ]  # fmt: skip
    with engine.begin() as connection:
        for name, values in rows:
            table = Table(name, tables, autoload_with=engine)
            connection.execute(table.insert().values(**values))


def test_a_record_stored_before_is_the_students_after_the_upgrade(old_engine: Engine) -> None:
    write_old_record(old_engine)
    migrate.upgrade(old_engine)
    schema = inspect(old_engine)
    assert schema.get_pk_constraint("national_records")["constrained_columns"] == ["student_id"]
    assert schema.get_unique_constraints("national_records") == []
    with Session(old_engine) as session:
        assert records.stored(records.record_of(session, 3)) == {
            "birthplace": "440604",
            "m1_name": "陈大明",
            "health": "1",
        }
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(NationalRecord(student_id=99, record="{}", sensitive="{}", updated_at=NOW))
            session.flush()
        # a rotation stopped half-way walks the records again, by student
        assert session.scalar(select(RotationProgress)) is None
        session.execute(delete(Student).where(Student.id == 3))
        assert session.scalar(select(NationalRecord)) is None  # gone with its student


def test_the_downgrade_gives_each_record_an_id_again(old_engine: Engine) -> None:
    write_old_record(old_engine)
    migrate.upgrade(old_engine)
    config = migrate.alembic_config()
    with old_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    with old_engine.connect() as connection:
        table = Table("national_records", MetaData(), autoload_with=connection)
        [row] = connection.execute(select(table.c.id, table.c.student_id, table.c.record)).all()
    assert (row.id, row.student_id) == (3, 3)
    assert keyring().decrypt(bytes(row.record), purpose=RECORD_PURPOSE) == PLAIN
