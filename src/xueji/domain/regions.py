"""Administrative division codes (GB/T 2260) and their names, from python-stdnum's data.

python-stdnum ships every county code with the years it was in use, but its own lookup
crashes on an unknown county of a known province and rejects codes that did not exist
in the birth year. Here a code is *known* if it was ever in use; whether it was in use
in a given year is a separate question (`in_use`), answered so callers can warn rather
than reject: children are often registered after their county was renamed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from stdnum import numdb


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
    return provinces, counties


def _expand(low: str, high: str) -> list[str]:
    """numdb keys may be ranges such as ``01-03``; list every code they stand for."""
    return [str(n).zfill(len(low)) for n in range(int(low), int(high) + 1)]


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
