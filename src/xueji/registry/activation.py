"""The one-time activation code (激活码) printed on a student's 学籍基本信息表.

Whoever holds the stamped sheet got it from the school, in person: typing its code into a
student account is a guardian's consent to that account's activation (PIPL art. 31), as
good as a code sent to a guardian's phone. Eight letters and digits from an alphabet
without look-alikes (no 0/O, 1/I/L), about 8×10¹¹ possibilities; only a keyed hash is
kept; printing a new sheet replaces the code; it is spent when used.
"""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy.orm import Session

from xueji.db.crypto import blind_index
from xueji.domain.clock import Clock
from xueji.registry.models import ActivationCode
from xueji.registry.repository import RegistryRepository

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8


def _hash(student_id: int, code: str) -> str:
    return blind_index(f"{student_id}|{code}", purpose="activation_code")


def normalise(code: str) -> str:
    """As people type it: spaces, dashes and lower case do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def issue(session: Session, clock: Clock, *, student_id: int, issued_by: int | None) -> str:
    """A new code for the student, voiding the one on any sheet printed before."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    repository = RegistryRepository(session)
    row = repository.activation_code(student_id, lock=True)
    if row is None:
        row = ActivationCode(student_id=student_id)
        session.add(row)
    row.code_hash = _hash(student_id, code)
    row.issued_at, row.issued_by, row.used_at = clock.now(), issued_by, None
    session.flush()
    return code


def consume(session: Session, clock: Clock, *, student_id: int, code: str) -> bool:
    """Whether ``code`` is the student's live sheet code; if so it is spent."""
    typed = normalise(code)
    row = RegistryRepository(session).activation_code(student_id, lock=True)
    if row is None or row.used_at is not None or len(typed) != LENGTH:
        return False
    if not hmac.compare_digest(row.code_hash, _hash(student_id, typed)):
        return False
    row.used_at = clock.now()
    session.flush()
    return True
