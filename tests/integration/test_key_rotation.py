"""Rotating the master key on both databases, on the demo: stopped half-way and resumed,
with the service writing and signing people in between batches under both keys; after
it every ciphertext opens under the new key alone, every number and phone is still
found, parents still sign in, the audit log verifies, and the old key is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, LargeBinary, text

from tests.conftest import TEST_MASTER_KEY
from tests.databases import BACKENDS, migrated_engine
from tests.registry_world import number
from xueji.audit import service as audit
from xueji.auth import service as auth
from xueji.config import Settings
from xueji.container import Container
from xueji.db.base import Base
from xueji.db.crypto import (
    EncryptedString,
    Keyring,
    RotatingKeyring,
    install_keyring,
    keyring,
    phone_index,
)
from xueji.db.key_state import check_key
from xueji.db.scope import transaction
from xueji.demo.load import DEMO_PASSWORD, PARENTS, STUDENTS, load_demo
from xueji.domain.clock import FixedClock
from xueji.domain.codes import Gender
from xueji.domain.errors import XuejiError
from xueji.ops import key_columns, key_index_map, key_rotation
from xueji.registry import service
from xueji.registry.lookup import lookup
from xueji.registry.validation import GuardianFacts

OLD = TEST_MASTER_KEY.decode()  # the key the test databases are migrated under
NEW = "the new master key, thirty-two ch"
LATE_NUMBER = number(sequence="077")
LATE_PHONE = "13700137077"


class Stopped(Exception):
    """The rotation's process killed between two batches."""


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    """A database migrated under the tests' key; the processes built on it install their
    own keyrings, so the tests' is put back afterwards."""
    install_keyring(Keyring(TEST_MASTER_KEY))
    try:
        with migrated_engine(request.param, tmp_path) as engine:
            yield engine, tmp_path
    finally:
        install_keyring(Keyring(TEST_MASTER_KEY))


def container(database: tuple[Engine, Path], secret: str, new: str = "") -> Container:
    """A process of the service: its own engine, as a separate process would have."""
    engine, workdir = database
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(var_dir=workdir, database_url=url, secret_key=secret, new_secret_key=new)
    built = Container.build(settings, clock=FixedClock(dt.datetime(2026, 9, 1, 1, tzinfo=dt.UTC)))
    try:
        check_key(built.engine, keyring())
    except XuejiError:
        built.engine.dispose()
        raise
    return built


def test_a_rotation_stopped_half_way_resumes_while_the_service_serves(
    database: tuple[Engine, Path],
) -> None:
    before = container(database, OLD)
    with transaction(before.sessions) as session:
        load_demo(session, before.clock)
    before.engine.dispose()

    serving = container(database, OLD, NEW)
    rotator = container(database, OLD, NEW)
    ring = keyring()
    assert isinstance(ring, RotatingKeyring)
    batches = 0

    def between_batches() -> None:
        nonlocal batches
        batches += 1
        if batches == 3:  # the service writes a student, a guardian and an audit entry
            with transaction(serving.sessions) as session:
                register_late_student(session, serving)
        if batches == 5:  # a parent signs in: found by the index under the old key
            with transaction(serving.sessions) as session:
                assert signs_in(session, serving, PARENTS[0][0])
        if batches == 6:
            raise Stopped

    with pytest.raises(Stopped):
        key_rotation.rotate(
            rotator.sessions, rotator.clock, ring, batch=2, after_batch=between_batches
        )
    # half-way: a process holding only the old key refuses to start
    with pytest.raises(XuejiError) as refused:
        container(database, OLD)
    assert refused.value.code == "KEY_ROTATING"
    # the service still finds everything, whichever key each value is under by now
    meanwhile = container(database, OLD, NEW)
    with transaction(meanwhile.sessions) as session:
        for student in STUDENTS:
            assert lookup(session, registry_no=student.registry_no) is not None
    meanwhile.engine.dispose()

    resumed = container(database, OLD, NEW)
    ring = keyring()
    assert isinstance(ring, RotatingKeyring)
    done = key_rotation.rotate(resumed.sessions, resumed.clock, ring, batch=2, grace=0)
    assert done.rows > 0 and done.audit_entries > 0 and done.anchor is not None
    assert not done.unmatched
    for built in (serving, rotator, resumed):
        built.engine.dispose()

    with pytest.raises(XuejiError) as old_refused:
        container(database, OLD)
    assert (
        old_refused.value.code == "KEY_MISMATCH" and "轮换前的旧主密钥" in old_refused.value.message
    )

    after = container(database, NEW)
    assert_sealed_under(after.engine, Keyring(NEW.encode()))
    with transaction(after.sessions) as session:
        for student in STUDENTS:
            assert lookup(session, registry_no=student.registry_no) is not None
        late = lookup(session, registry_no=LATE_NUMBER)
        assert late is not None and phone_index(LATE_PHONE) in late.guardian_phone_indexes
        for phone, _name in PARENTS:
            assert signs_in(session, after, phone)
        assert signs_in(session, after, "haikou-admin")
        assert audit.verify(session).ok
    after.engine.dispose()
    # running it again (both keys still set) has nothing left to do
    again = container(database, OLD, NEW)
    ring = keyring()
    assert isinstance(ring, RotatingKeyring) and ring.is_rotated
    assert key_rotation.rotate(again.sessions, again.clock, ring, grace=0).already_done
    again.engine.dispose()


def register_late_student(session: object, built: Container) -> None:
    service.register_student(
        session,  # type: ignore[arg-type]
        built.clock,
        _admin(session),
        registry_no=LATE_NUMBER,
        name="李后到",
        gender=Gender.MALE if int(LATE_NUMBER[17]) % 2 else Gender.FEMALE,
        birth_date=dt.date(2016, 2, 11),
        school_code="1144060401",
        class_id=None,
        guardians=[GuardianFacts("李大", "51", LATE_PHONE)],
    )


def _admin(session: object) -> auth.Principal:
    admin = auth.principal_by_username(session, "haikou-admin")  # type: ignore[arg-type]
    assert admin is not None
    return admin


def signs_in(session: object, built: Container, name: str) -> bool:
    checked = auth.check_sign_in(
        session,  # type: ignore[arg-type]
        built.clock,
        username=name,
        password=DEMO_PASSWORD,
        client="203.0.113.9",
    )
    return not isinstance(checked, auth.SignInRefused)


def assert_sealed_under(engine: Engine, new: Keyring) -> None:
    """Every ciphertext of the database opens under the new key alone."""
    sealed = [*key_columns.SEALED, key_columns.Sealed("audit_log", "payload", "audit.payload")]
    with engine.connect() as connection:
        for column in sealed:
            rows = connection.execute(
                text(f"SELECT {column.key}, {column.column} FROM {column.table}")
            ).all()
            for _key, blob in rows:
                if blob is not None:
                    new.decrypt_bytes(bytes(blob), purpose=column.purpose)  # raises if not
            if column.table in {"students", "guardians", "audit_log"}:
                assert rows, column.name


def test_every_column_derived_from_the_key_is_rotated() -> None:
    """A column added later with ciphertexts or blind indexes must join the rotation,
    or it would be unreadable, or unfindable, under the new key."""
    covered = {(sealed.table, sealed.column) for sealed in key_columns.SEALED}
    covered |= {(table, column) for table, column, _ in key_columns.INDEXED}
    covered.add(("audit_log", "payload"))  # re-sealed with the chain
    keyed = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        if table.name not in {*key_columns.DISCARDED, "key_rotation_map"}
        for column in table.columns
        if isinstance(column.type, LargeBinary | EncryptedString)
    }
    assert keyed - covered == set()


def test_an_index_computed_before_the_switch_and_written_after_it_is_swept(
    database: tuple[Engine, Path],
) -> None:
    """A request computes a phone's index, waits on the switch's lock, then writes it:
    the sweep after the switch finds it (no known new-key index) and re-indexes it."""
    before = container(database, OLD)
    with transaction(before.sessions) as session:
        load_demo(session, before.clock)
    before.engine.dispose()
    rotating = container(database, OLD, NEW)
    ring = keyring()
    assert isinstance(ring, RotatingKeyring)
    assert key_rotation._start(rotating.sessions, ring)
    for sealed in key_columns.SEALED:
        key_rotation._reseal(rotating.sessions, ring, sealed, 100, None)
    key_index_map.map_usernames(rotating.sessions, ring, 100)
    late_index = ring.old.lookup_index(LATE_PHONE, purpose="phone")  # before the switch
    with transaction(rotating.sessions) as session:
        key_rotation._switch(session, rotating.clock, ring, 100, key_rotation.Rotation())
    ring.rotated()
    with transaction(rotating.sessions) as session:  # written just after it
        student_id = session.execute(text("SELECT min(id) FROM students")).scalar()
        session.execute(
            text(
                "INSERT INTO guardians (student_id, rank, name, relation, phone, phone_index) "
                "VALUES (:s, 9, '李大', '51', :phone, :index)"
            ),
            {
                "s": student_id,
                "phone": ring.encrypt(LATE_PHONE, purpose="guardian.phone"),
                "index": late_index,
            },
        )
    with transaction(rotating.sessions) as session:
        assert key_index_map.sweep(session, ring, 100) >= 1
    rotating.engine.dispose()
    after = container(database, NEW)
    with after.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT phone_index FROM guardians WHERE rank = 9")
        ).scalar_one()
        assert bytes(stored) == Keyring(NEW.encode()).lookup_index(LATE_PHONE, purpose="phone")
        assert connection.execute(text("SELECT count(*) FROM key_rotation_map")).scalar() == 0
    after.engine.dispose()


def test_the_first_process_with_both_keys_names_the_new_key_for_all(
    database: tuple[Engine, Path],
) -> None:
    """Once one process writes under the new key, one with the old key alone, or with
    another new key, would write what the others cannot read: both are refused."""
    first = container(database, OLD, NEW)  # step 2 of the procedure, before any rotate
    with pytest.raises(XuejiError) as old_only:
        container(database, OLD)
    assert old_only.value.code == "KEY_ROTATING"
    with pytest.raises(XuejiError) as another:
        container(database, OLD, "a third key, typed differently")
    assert another.value.code == "KEY_ROTATING"
    second = container(database, OLD, NEW)  # the same pair is welcome
    for built in (first, second):
        built.engine.dispose()
