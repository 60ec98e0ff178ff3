"""What an import tells a school about other schools' children is audited and bounded:
a dry run leaves an audit entry with the blind indexes of the numbers it found elsewhere,
so does a commit, so does downloading the error report, and a school's imports may look
up only so many numbers enrolled elsewhere per day."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.import_files_helper import row, write_csv
from tests.registry_world import HAIKOU, HUAJING, World, build_world, number, register
from xueji.audit import service as audit
from xueji.audit.models import AuditEntry
from xueji.db.crypto import registry_no_index
from xueji.domain.clock import FixedClock
from xueji.domain.enrollment import ChangeKind
from xueji.domain.errors import Throttled
from xueji.registry.enrollment import service as enrollment
from xueji.registry.imports import disclosure, report
from xueji.registry.imports.schemas import ImportResult
from xueji.registry.imports.service import import_upload, run_import

ELSEWHERE = [number(sequence=f"{n:03d}") for n in (41, 42, 43)]
LEFT = number(sequence="044")


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    world = build_world(session, clock)
    for registry_no in (*ELSEWHERE, LEFT):
        register(session, clock, world, registry_no=registry_no, school=HUAJING,
                 admin=world.huajing_admin)  # fmt: skip
    enrollment.change_enrollment(
        session, clock, world.huajing_admin, registry_no=LEFT, kind=ChangeKind.WITHDRAW,
        reason="随父母迁居外省",
    )  # fmt: skip
    return world


def listed(registry_no: str) -> list[str]:
    """The row of a number with the gender its 17th digit says."""
    return row(registry_no, "陈小明", gender="男" if int(registry_no[17]) % 2 else "女")


def probe(
    session: Session, clock: FixedClock, world: World, path: Path, *, dry_run: bool = True
) -> ImportResult:
    return run_import(
        session, clock, world.haikou_admin, school_code=HAIKOU, path=path,
        filename=path.name, dry_run=dry_run,
    )  # fmt: skip


def upload_dry_run(
    session: Session, clock: FixedClock, world: World, path: Path
) -> tuple[ImportResult, str | None] | disclosure.BudgetSpent:
    """The file checked as the page and the API upload it (``import_upload``)."""
    with path.open("rb") as content:
        return import_upload(
            session, clock, world.haikou_admin, school_code=HAIKOU, filename=path.name,
            content=content, dry_run=True,
        )  # fmt: skip


def entries(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_dry_run_is_audited_with_the_numbers_it_found_elsewhere(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "probe.csv", [listed(n) for n in (*ELSEWHERE[:2], LEFT)])
    result = probe(session, clock, world, path)
    assert result.rejected == 2 and result.new == 1
    [entry] = entries(session, "registry.import_checked")
    assert entry.actor == f"account:{world.haikou_admin.account_id}"
    payload = audit.read_payload(entry)
    assert payload["enrolled_elsewhere"] == sorted(
        registry_no_index(n).hex() for n in ELSEWHERE[:2]
    )
    assert payload["left_elsewhere"] == [registry_no_index(LEFT).hex()]
    assert payload["rejected"] == 2 and len(payload["sha256"]) == 64
    assert ELSEWHERE[0][1:] not in str(payload)


def test_a_commit_is_audited_with_them_too(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "f.csv", [listed(ELSEWHERE[0]), listed(number())])
    probe(session, clock, world, path, dry_run=False)
    [entry] = entries(session, "registry.imported")
    assert audit.read_payload(entry)["enrolled_elsewhere"] == [
        registry_no_index(ELSEWHERE[0]).hex()
    ]


def test_a_school_may_look_up_only_so_many_numbers_enrolled_elsewhere_a_day(
    session: Session,
    clock: FixedClock,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(disclosure, "FOREIGN_ENROLLED_PER_DAY", 3)
    two = write_csv(tmp_path / "two.csv", [listed(n) for n in ELSEWHERE[:2]])
    assert probe(session, clock, world, two).rejected == 2  # 2 of 3
    again = write_csv(tmp_path / "again.csv", [listed(n) for n in ELSEWHERE[1:]])
    with pytest.raises(Throttled) as refused:
        probe(session, clock, world, again)  # 2 more would make 4: nothing said of its rows
    assert refused.value.code == "IMPORT_LOOKUP_LIMIT" and refused.value.retry_after > 0
    [kept] = entries(session, "registry.import_refused")
    assert len(audit.read_payload(kept)["enrolled_elsewhere"]) == 2
    # the refusal spent the day: now every file is refused before it is read, whether
    # its number is enrolled elsewhere or not, so the refusal answers nothing
    for name, registry_no in (("foreign.csv", ELSEWHERE[2]), ("new.csv", number())):
        with pytest.raises(Throttled):
            probe(session, clock, world, write_csv(tmp_path / name, [listed(registry_no)]))
    assert len(entries(session, "registry.import_checked")) == 1
    clock.advance(days=1)
    assert probe(session, clock, world, two).rejected == 2  # a new day, a new budget


def test_through_the_api_the_refusal_and_its_record_are_kept(
    session: Session,
    clock: FixedClock,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(disclosure, "FOREIGN_ENROLLED_PER_DAY", 1)
    path = write_csv(tmp_path / "two.csv", [listed(n) for n in ELSEWHERE[:2]])
    outcome = upload_dry_run(session, clock, world, path)
    assert isinstance(outcome, disclosure.BudgetSpent)  # returned: the caller commits it
    assert len(entries(session, "registry.import_refused")) == 1


def test_downloading_the_error_report_is_audited(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "r.csv", [listed(ELSEWHERE[0])])
    outcome = upload_dry_run(session, clock, world, path)
    assert not isinstance(outcome, disclosure.BudgetSpent)
    _, token = outcome
    assert token is not None
    assert entries(session, "registry.import_report_downloaded") == []
    assert report.fetch(session, clock, world.haikou_admin, token)
    [entry] = entries(session, "registry.import_report_downloaded")
    assert entry.school_code == HAIKOU
