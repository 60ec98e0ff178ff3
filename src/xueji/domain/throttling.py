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

#: Registration checks confirm someone's personal data when they match, so they have
#: their own budget: per registry number, and per client address.
REGISTRATION_NUMBER = ThrottleRule(free=5, base_seconds=30, cap_seconds=60 * 60)
REGISTRATION_ADDRESS = ThrottleRule(free=20, base_seconds=30, cap_seconds=60 * 60)
