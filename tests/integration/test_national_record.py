"""The national record: the national layout imported and exported, code sets, J numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.national_files import HEADERS, every_case, read_cells, write_national
from tests.registry_world import HAIKOU, World, build_world
from xueji.domain.clock import FixedClock, china_today
from xueji.domain.identity import parse_number
from xueji.registry.imports.schemas import ImportResult
from xueji.registry.imports.service import run_import
from xueji.registry.national.export import export_school


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


def run(
    session: Session, clock: FixedClock, world: World, path: Path, *, dry_run: bool = False
) -> ImportResult:
    return run_import(
        session,
        clock,
        world.haikou_admin,
        school_code=HAIKOU,
        path=path,
        filename=path.name,
        dry_run=dry_run,
    )


def test_every_code_set_case_round_trips(
    session: Session, clock: FixedClock, world: World, tmp_path: Path
) -> None:
    rows = every_case()
    result = run(session, clock, world, write_national(tmp_path / "national.xlsx", rows))
    assert [e.message for e in result.errors] == []
    assert result.new == len(rows)
    exported = read_cells(export_school(session, clock, world.haikou_admin, HAIKOU))
    original = read_cells(tmp_path / "national.xlsx")
    assert exported[0] == HEADERS
    by_name = {row[1]: row for row in exported[1:]}
    for row in original[1:]:
        got = by_name[row[1]]
        if row[0] is None:  # given a J number
            number = parse_number(str(got[0]), today=china_today(clock))
            assert number.prefix == "J" and number.region_code == "440604"
            row = [got[0], *row[1:]]
        assert got == row
    again = write_national(tmp_path / "again.xlsx", [])
    (tmp_path / "again.xlsx").write_bytes(export_school(session, clock, world.haikou_admin, HAIKOU))
    second = run(session, clock, world, again)
    assert (second.new, second.unchanged, second.rejected) == (0, len(rows), 0)
    assert read_cells(export_school(session, clock, world.haikou_admin, HAIKOU)) == exported
