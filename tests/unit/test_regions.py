"""Administrative division codes: every county code in use today is accepted — those
created since python-stdnum's data too — a retired one still is for an older record, the
bundled list names its source, and a newer list is taken without a release."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from xueji.domain import identity, regions
from xueji.domain.errors import IdentityError, ValidationFailed
from xueji.domain.identity import check_character
from xueji.domain.identity_bulk import validate_many

TODAY = dt.date(2026, 12, 6)


def resident_id(body: str) -> str:
    return body + check_character(body)


@pytest.fixture
def clean_lists() -> Iterator[None]:
    """Lists a test adds are taken back (the table is per process)."""
    yield
    regions._extra_lists.clear()
    regions.forget()


@pytest.mark.parametrize(
    ("body", "place"),
    [
        ("33011320190315001", "浙江省杭州市临平区"),  # created 2021
        ("33011420200101002", "浙江省杭州市钱塘区"),  # created 2021
        ("44060420160211001", "广东省佛山市禅城区"),
    ],
)
def test_counties_in_use_today_are_accepted_with_their_names(body: str, place: str) -> None:
    number = identity.parse_number(resident_id(body), today=TODAY)
    assert number.region == place
    frame = validate_many(pl.Series([resident_id(body)]), today=TODAY)
    assert frame["code"].to_list() == [None]  # the import's checks agree


def test_a_code_retired_since_is_still_valid_for_an_older_record() -> None:
    number = identity.parse_number(resident_id("33010420100101003"), today=TODAY)
    assert number.region == "浙江省杭州市江干区"  # merged into 上城区 and 钱塘区 in 2021


def test_every_bundled_code_is_known_and_the_list_names_its_source() -> None:
    listed = regions.read_list(regions.BUNDLED)
    assert len(listed) > 3000 and all(regions.is_known(code) for code in listed)
    header = regions.BUNDLED.read_text(encoding="utf-8").splitlines()[:5]
    assert any("来源：国家统计局" in line for line in header)
    assert not regions.is_known("130171")  # a development zone: a statistical unit only


def test_a_newer_list_is_taken_without_a_release(tmp_path: Path, clean_lists: None) -> None:
    body = "33019920250101001"
    with pytest.raises(IdentityError) as unknown:
        identity.parse_number(resident_id(body), today=TODAY)
    assert unknown.value.code == identity.ID_REGION
    newer = tmp_path / "regions-2026.csv"
    newer.write_text("# 民政部 2026 年县级以上行政区划代码\ncode,name\n330199,某新设区\n", "utf-8")
    assert regions.load_list(newer) == 1
    assert identity.parse_number(resident_id(body), today=TODAY).region == "浙江省杭州市某新设区"
    assert validate_many(pl.Series([resident_id(body)]), today=TODAY)["code"][0] is None


def test_a_malformed_list_is_refused_naming_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("code,name\n330199,某新设区\n33019,缺一位\n", "utf-8")
    with pytest.raises(ValidationFailed) as refused:
        regions.read_list(broken)
    assert refused.value.code == "REGION_CODES_INVALID" and "第 3 行" in refused.value.message
    with pytest.raises(ValidationFailed):
        regions.read_list(tmp_path / "missing.csv")


def test_the_list_in_the_environment_reaches_the_command_line(tmp_path: Path) -> None:
    newer = tmp_path / "regions.csv"
    newer.write_text("code,name\n330199,某新设区\n", "utf-8")
    xueji = Path(sys.executable).parent / "xueji"
    env = {**os.environ, regions.LIST_VARIABLE: str(newer)}
    number = resident_id("33019920200101001")
    checked = subprocess.run(
        [str(xueji), "id", "check", number], capture_output=True, text=True, env=env, timeout=60
    )
    assert checked.returncode == 0 and "某新设区" in checked.stdout
    newer.write_text("code,name\nnot a code,x\n", "utf-8")
    refused = subprocess.run(
        [str(xueji), "id", "check", number], capture_output=True, text=True, env=env, timeout=60
    )
    assert refused.returncode == 2 and "REGION_CODES_INVALID" in refused.stderr


def test_the_list_named_in_the_settings_file_is_read_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_lists: None
) -> None:
    from xueji.config import Settings

    newer = tmp_path / "regions.csv"
    newer.write_text("code,name\n330199,某新设区\n", "utf-8")
    monkeypatch.delenv(regions.LIST_VARIABLE, raising=False)
    Settings(var_dir=tmp_path, region_codes_file=str(newer))  # as xueji.env would give it
    assert os.environ[regions.LIST_VARIABLE] == str(newer)  # for the import's helpers too
    assert regions.is_known("330199")
    monkeypatch.delenv(regions.LIST_VARIABLE)
    regions.forget()
    assert not regions.is_known("330199")
