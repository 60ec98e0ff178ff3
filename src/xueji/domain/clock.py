"""The clock as a port, so rules about time (expiry, throttling, future birth dates) are
tested by setting the time instead of waiting for it."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += dt.timedelta(**delta)


CHINA = ZoneInfo("Asia/Shanghai")


def china_today(clock: Clock) -> dt.date:
    """Today's date in China, against which birth dates are judged."""
    return clock.now().astimezone(CHINA).date()
