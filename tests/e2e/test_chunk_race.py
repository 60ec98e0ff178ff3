"""PostgreSQL, two workers: an import chunk holds no student back, so a student's
suspension can be applied by one worker while another applies the chunk that registered
the student. Whatever the timing, the platform must end at the registry's state — the
chunk, whose statements may have read the registry before the suspension committed,
never writes its older state over the suspension's."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.conftest import TEST_MASTER_KEY
from tests.databases import migrated_engine
from tests.import_files_helper import row, write_csv
from tests.registry_world import HAIKOU, World, build_world, number
from xueji.app import apply_registry_events
from xueji.config import Settings
from xueji.container import Container
from xueji.db.scope import transaction
from xueji.domain.enrollment import ChangeKind
from xueji.platform.models import StudentProjection
from xueji.registry.enrollment import service as enrollment
from xueji.registry.imports.service import run_import
from xueji.registry.models import Student
from xueji.sync import worker
from xueji.sync.reconcile import service as reconcile


@pytest.fixture
def province(tmp_path: Path) -> Iterator[tuple[Container, World]]:
    with migrated_engine("postgresql", tmp_path) as engine:
        settings = Settings(
            var_dir=tmp_path,
            database_url=engine.url.render_as_string(hide_password=False),
            secret_key=TEST_MASTER_KEY.decode(),
        )
        built = Container.build(settings, engine=engine)
        with transaction(built.sessions) as session:
            world = build_world(session, built.clock)
        yield built, world


def test_a_suspension_applied_during_its_import_chunk_is_not_undone(
    province: tuple[Container, World], tmp_path: Path
) -> None:
    built, world = province
    first, second = number(sequence="001"), number(sequence="003")
    roster = write_csv(tmp_path / "term.csv", [row(first, "陈小明"), row(second, "李华")])
    with transaction(built.sessions) as session:
        run_import(
            session,
            built.clock,
            world.haikou_admin,
            school_code=HAIKOU,
            path=roster,
            filename="term.csv",
            dry_run=False,
        )
    with transaction(built.sessions) as session:
        ids = sorted(session.scalars(select(Student.id)))
    # a third transaction holds the first student's projection row, as a worker applying
    # that student's own event would: the chunk's statements stall there
    holder = built.engine.connect()
    held = holder.begin()
    holder.execute(
        text(
            "INSERT INTO student_projection (student_id, status, school_code, region_code,"
            " class_id, applied_sequence, updated_at)"
            " VALUES (:id, 'enrolled', :school, '440604', NULL, 1, now())"
        ),
        {"id": ids[0], "school": HAIKOU},
    )
    handled: list[int] = []
    chunk = threading.Thread(
        target=lambda: handled.append(
            worker.run_once(built.sessions, built.clock, apply_registry_events)
        )
    )
    chunk.start()
    time.sleep(1.0)  # the chunk's worker is now waiting on the held row
    # meanwhile a clerk suspends the second student, and another worker applies it
    with transaction(built.sessions) as session:
        enrollment.change_enrollment(
            session,
            built.clock,
            world.haikou_admin,
            registry_no=second,
            kind=ChangeKind.SUSPEND,
            reason="病休",
        )
    suspension = threading.Thread(
        target=lambda: handled.append(
            worker.run_once(built.sessions, built.clock, apply_registry_events)
        )
    )
    suspension.start()
    suspension.join(timeout=5)  # applied at once, unless it waits for the chunk
    held.commit()
    holder.close()
    chunk.join(timeout=60)
    suspension.join(timeout=60)
    assert handled == [1, 1]

    with transaction(built.sessions) as session:
        projection = session.get(StudentProjection, ids[1])
        assert projection is not None
        assert (projection.status, projection.applied_sequence) == ("suspended", 2)
        report = reconcile.reconcile(session, built.clock)
        assert report.agree, {name: f.count for name, f in report.findings.items() if f.count}
