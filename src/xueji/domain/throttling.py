"""How long to make someone wait after failed attempts.

Waiting grows exponentially after a few free failures and is *capped*: an attacker is
slowed to a trickle, but nobody can lock a stranger's account for long by failing on
purpose (the permanent lock-out some identity servers use is itself a denial of service).
Failures are forgotten after a quiet ``window``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    free: int
    base_seconds: int
    cap_seconds: int
    window: dt.timedelta = dt.timedelta(minutes=15)

    def delay(self, failures: int) -> int:
        """Seconds to wait after ``failures`` consecutive failures."""
        if failures < self.free:
            return 0
        return int(min(self.cap_seconds, self.base_seconds * 2 ** (failures - self.free)))


#: One account from one address: the classic guessing attack.
ACCOUNT_FROM_ADDRESS = ThrottleRule(free=5, base_seconds=1, cap_seconds=15 * 60)
#: One address against many accounts: password spraying.
ADDRESS = ThrottleRule(free=20, base_seconds=1, cap_seconds=15 * 60)
#: One account from every address: bounded low so a distributed attacker can make the
#: real owner wait a minute at most, never lock them out.
ACCOUNT = ThrottleRule(free=10, base_seconds=1, cap_seconds=60)

DAY = dt.timedelta(hours=24)
#: Registration checks confirm someone's personal data when they match, so they have
#: their own budget. Per registry number: ten attempts (registrations and corrections of
#: one's details, matching or not) and then a day's wait, whatever the address or the
#: account; the failures are forgotten only after a quiet day, so waiting in between does
#: not buy more guesses.
REGISTRATION_NUMBER = ThrottleRule(free=10, base_seconds=86_400, cap_seconds=86_400, window=DAY)
REGISTRATION_ADDRESS = ThrottleRule(free=20, base_seconds=30, cap_seconds=60 * 60)
#: Answers that tell whether something exists (a student number taken, a parent already
#: registered): per client address.
EXISTENCE_ADDRESS = ThrottleRule(
    free=20, base_seconds=60, cap_seconds=60 * 60, window=dt.timedelta(hours=1)
)
#: Verification codes typed by a student account (guardian SMS code, info-sheet code).
#: Five wrong ones a day, then a day's wait (as the registrations').
VERIFICATION_ACCOUNT = ThrottleRule(free=5, base_seconds=86_400, cap_seconds=86_400, window=DAY)
#: Guardian codes asked for one registry number (each sends a text to every guardian).
#: Three a day, then a day's wait.
GUARDIAN_CODES_NUMBER = ThrottleRule(free=3, base_seconds=86_400, cap_seconds=86_400, window=DAY)
