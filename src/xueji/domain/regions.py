"""Administrative division codes (GB/T 2260) and their names.

Two sources, merged:

* python-stdnum's data: every county code with the years it was in use (the history:
  a code retired since is still valid for an older record). Its own lookup crashes on an
  unknown county of a known province and rejects codes that did not exist in the birth
  year, so it is read here, not called.
* the current list bundled in ``data/regions-2023.csv`` (国家统计局 2023 统计用区划代码,
  its source named in the file), which has the counties created since python-stdnum's
  data was made — 杭州市临平区 ``330113`` and 钱塘区 ``330114`` (2021), whose children
  are entering school now.

A newer list in the same form (``code,name`` lines; ``#`` comments) can be added without a
release: ``XUEJI_REGION_CODES_FILE`` (``load_list``). A code is *known* if it was ever in
use; whether it was in use in a given year is a separate question (``in_use``), answered
so callers can warn rather than reject: children are often registered after their county
was renamed.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from stdnum import numdb

from xueji.domain.errors import ValidationFailed

#: the current list shipped with the service
BUNDLED = Path(__file__).parent / "data" / "regions-2023.csv"
#: lists added at start-up (``load_list``), on top of the bundled one
_extra_lists: list[Path] = []
#: the environment variable naming a newer list
LIST_VARIABLE = "XUEJI_REGION_CODES_FILE"
#: how many times the lists were read afresh (``version``)
_generation = 0


@dataclass(frozen=True, slots=True)
class Period:
    """One name a code carried, from ``start`` to ``end`` (inclusive years, open if None)."""

    name: str
    start: int | None
    end: int | None

    def covers(self, year: int) -> bool:
        return (self.start is None or year >= self.start) and (self.end is None or year <= self.end)


#: Codes missing from the data: the residence permits of Taiwan residents use 830000
#: (《港澳台居民居住证申领发放办法》, 2018); Hong Kong and Macao's appear in the data.
_EXTRA_CODES = {"830000": (Period("台湾居民居住证", 2018, None),)}


def _parse_periods(value: str) -> tuple[Period, ...]:
    periods = []
    for part in value.split(","):
        if part.startswith("["):
            years, name = part[1:].split("]", 1)
            start, end = years.split("-")
            periods.append(Period(name, int(start) if start else None, int(end) if end else None))
        else:
            periods.append(Period(part, None, None))
    return tuple(periods)


@cache
def _table() -> tuple[dict[str, str], dict[str, tuple[Period, ...]]]:
    """Province names by 2-digit code and county periods by 6-digit code."""
    provinces: dict[str, str] = {}
    counties: dict[str, tuple[Period, ...]] = dict(_EXTRA_CODES)
    database = numdb.get("cn/loc")
    for _, low, high, province_props, children in database.prefixes:
        for province in _expand(low, high):
            provinces[province] = province_props.get("province", "")
            for _, county_low, county_high, county_props, _ in children:
                for county in _expand(county_low, county_high):
                    counties[province + county] = _parse_periods(county_props["county"])
    for listed in (BUNDLED, *configured_lists(), *_extra_lists):
        _merge(provinces, counties, read_list(listed))
    return provinces, counties


def configured_lists() -> list[Path]:
    """The list named by ``XUEJI_REGION_CODES_FILE``: read from the environment here, so
    that every process — the import's helpers too — sees the same codes."""
    named = os.environ.get(LIST_VARIABLE, "").strip()
    return [Path(named)] if named else []


def forget() -> None:
    """Read the lists again at next use (a list was added, or the environment names
    another one)."""
    global _generation
    _generation += 1
    _table.cache_clear()
    region_name.cache_clear()


def version() -> int:
    """Changes whenever the lists are read again: for callers that cache the codes."""
    return _generation


def read_list(path: Path) -> dict[str, str]:
    """A list of codes and names (``code,name``; ``#`` lines are comments). A missing or
    malformed list is refused (``REGION_CODES_INVALID``), naming the line."""
    found: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith("#") or not line.strip():
                    continue
                row = next(csv.reader([line]))
                if row == ["code", "name"]:
                    continue
                code, name = [*row, "", ""][:2]
                if len(code) != 6 or not code.isdigit() or not name.strip():
                    raise _invalid(f"{path} 第 {number} 行不是“6 位代码,名称”：{line.strip()[:40]}")
                found[code] = name.strip()
    except (OSError, UnicodeDecodeError) as error:
        raise _invalid(f"读不了行政区划代码表 {path}：{error}") from None
    return found


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="REGION_CODES_INVALID")


def _merge(
    provinces: dict[str, str], counties: dict[str, tuple[Period, ...]], listed: dict[str, str]
) -> None:
    """A listed code is in use now: added with its name if the history lacks it, or given
    an open period under its listed name if the history had it retired."""
    for code, name in listed.items():
        periods = counties.get(code)
        if code.endswith("0000"):
            provinces.setdefault(code[:2], name)
        if not periods:
            counties[code] = (Period(name, None, None),)
        elif all(period.end is not None for period in periods):
            last = max(period.end or 0 for period in periods)
            counties[code] = (*periods, Period(name, last + 1, None))


def load_list(path: Path) -> int:
    """Add a newer list of codes (on top of the bundled one) for this process; returns
    how many codes it holds."""
    listed = read_list(path)
    if path not in _extra_lists:
        _extra_lists.append(path)
        forget()
    return len(listed)


def _expand(low: str, high: str) -> list[str]:
    """numdb keys may be ranges such as ``01-03``; list every code they stand for."""
    return [str(n).zfill(len(low)) for n in range(int(low), int(high) + 1)]


def check_lists() -> int:
    """Read every list now, at start-up: a list that cannot be read stops the command
    (``REGION_CODES_INVALID``) before any number is checked. Returns how many codes are
    known."""
    return len(_table()[1])


def known_codes() -> frozenset[str]:
    """Every 6-digit code that was ever in use."""
    return frozenset(_table()[1])


def is_known(code: str) -> bool:
    return code in _table()[1]


def in_use(code: str, year: int) -> bool:
    """Whether ``code`` carried a name in ``year``."""
    return any(period.covers(year) for period in _table()[1].get(code, ()))


@cache
def region_name(code: str, year: int | None = None) -> str | None:
    """Full name such as ``广东省佛山市禅城区``; the name in use in ``year`` if given."""
    provinces, counties = _table()
    periods = counties.get(code)
    if not periods:
        return None
    county = _pick(periods, year)
    if code[2:] == "0000":
        return county
    parts = [provinces.get(code[:2], "")]
    city_periods = counties.get(code[:4] + "00")
    city = _pick(city_periods, year) if city_periods else ""
    if code[4:] != "00" and city and city not in ("市辖区", "县", parts[0]) and "直辖" not in city:
        parts.append(city)
    parts.append(county)
    return "".join(part for part in parts if part)


def _pick(periods: tuple[Period, ...], year: int | None) -> str:
    if year is not None:
        for period in periods:
            if period.covers(year):
                return period.name
    return periods[-1].name
