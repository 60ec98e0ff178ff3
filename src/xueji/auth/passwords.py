"""argon2id password hashing at OWASP's minimum cost (m=19 MiB, t=2, p=1)."""

from __future__ import annotations

import os
import threading
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from xueji.domain.errors import ValidationFailed

MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1
MIN_LENGTH = 8
MAX_LENGTH = 128

_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM)


def check_strength(password: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValidationFailed(
            f"密码长度须为 {MIN_LENGTH}–{MAX_LENGTH} 个字符", code="PASSWORD_WEAK"
        )
    if len(set(password)) < 4:
        raise ValidationFailed("密码过于简单：至少包含 4 个不同的字符", code="PASSWORD_WEAK")


#: How many hashes this process computes at once. Each one is a core busy for ~20 ms
#: and 19 MiB of memory: more at once than the process has cores only makes them evict
#: each other from the cache and slows every sign-in (about 10 % with four per core).
_slots = threading.BoundedSemaphore(os.cpu_count() or 1)


def set_hashing_slots(count: int) -> None:
    """Called at start-up by each of several server processes with its share of the
    cores (``xueji serve --workers``)."""
    global _slots
    _slots = threading.BoundedSemaphore(max(1, count))


def hash_password(password: str) -> str:
    with _slots:
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _slots:
            return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no such account: equal time")


def burn_equal_time(password: str) -> None:
    """Verify against a dummy hash so an unknown username costs as long as a known one."""
    verify_password(_dummy_hash(), password)
