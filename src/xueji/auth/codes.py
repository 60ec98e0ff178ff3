"""SMS verification codes: six random digits, valid five minutes, a few tries, used once.

Sending is limited per phone (the first code at once, then waits doubling from a minute)
and per client address, so the service cannot be used to flood someone's phone. The
answer never says whether the phone belongs to anyone.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from xueji.auth import service as auth
from xueji.auth.models import SmsCode
from xueji.db.crypto import blind_index, phone_index
from xueji.domain import phones
from xueji.domain.clock import Clock
from xueji.domain.errors import Throttled, ValidationFailed
from xueji.domain.throttling import ThrottleRule
from xueji.sms import SmsSender

PURPOSES = {"parent_register": "家长注册"}
LIFETIME = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
SEND_PER_PHONE = ThrottleRule(
    free=1, base_seconds=60, cap_seconds=3600, window=dt.timedelta(hours=1)
)
SEND_PER_ADDRESS = ThrottleRule(
    free=10, base_seconds=60, cap_seconds=3600, window=dt.timedelta(hours=1)
)


def _code_hash(phone: str, purpose: str, code: str) -> str:
    return blind_index(f"{purpose}|{phone}|{code}", purpose="sms_code")


def phone_send_key(phone: str) -> str:
    """The throttle key of the codes sent to one (normalised) phone."""
    return f"sms:phone:{phone_index(phone).hex()}"


def check_purpose(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValidationFailed("不支持的验证码用途", code="PURPOSE_INVALID")
    return purpose


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """A code stored and counted, to be sent once that is committed."""

    phone: str
    text: str
    expires_at: dt.datetime

    def send(self, sender: SmsSender) -> None:
        sender.send(self.phone, self.text)


def request_code(
    session: Session, clock: Clock, *, phone: str, purpose: str, client: str
) -> PendingMessage:
    """Store a new code and count it against the sending limits. The caller commits, then
    sends (``PendingMessage.send``): the gateway is never called inside a transaction (it
    would hold the write lock for a network call), and a failing gateway cannot roll back
    the count that limits how often it is asked."""
    number = phones.parse_mobile(phone)
    check_purpose(purpose)
    budget = {
        phone_send_key(number): SEND_PER_PHONE,
        f"sms:addr:{client}": SEND_PER_ADDRESS,
    }
    refusal = auth.blocked_for(session, clock, list(budget))
    if refusal is not None:  # most often: the code sent a moment ago is on its way
        wait = refusal.retry_after
        raise Throttled(
            f"验证码已发送，请查收短信；如未收到，请 {wait} 秒后再重新获取", retry_after=wait
        )
    auth.spend(session, clock, budget)
    return issue_code(session, clock, phone=number, purpose=purpose, label=PURPOSES[purpose])


def issue_code(
    session: Session,
    clock: Clock,
    *,
    phone: str,
    purpose: str,
    label: str,
    text: str = "【学迹】您的{label}验证码是 {code}，5 分钟内有效。请勿告诉他人。",
) -> PendingMessage:
    """A new code for ``phone`` (normalised) and ``purpose``, replacing any older one, as
    a message (``text`` with ``{label}`` and ``{code}``) to send once committed; the caller
    has checked and counted its limits."""
    code = f"{secrets.randbelow(10**6):06d}"
    now = clock.now()
    row = SmsCode(
        phone_index=phone_index(phone),
        purpose=purpose,
        code_hash=_code_hash(phone, purpose, code),
        created_at=now,
        expires_at=now + LIFETIME,
        attempts=0,
    )
    session.add(row)
    session.flush()
    return PendingMessage(phone, text.format(label=label, code=code), row.expires_at)


def consume_code(
    session: Session, clock: Clock, *, phone: str, purpose: str, code: str
) -> ValidationFailed | None:
    """Accept the latest live code for this phone and purpose exactly once: None. Else the
    refusal SMS_CODE_INVALID (wrong, expired, used or too many tries — not told apart),
    returned rather than raised so the caller commits the spent try before answering."""
    now = clock.now()
    latest = session.scalars(
        select(SmsCode)
        .where(SmsCode.phone_index == phone_index(phone), SmsCode.purpose == purpose)
        .order_by(SmsCode.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    refused = ValidationFailed(
        "验证码不正确或已失效，请重新获取",
        code="SMS_CODE_INVALID",
        fields={"code": "SMS_CODE_INVALID"},
    )
    if latest is None or latest.used_at is not None or latest.expires_at <= now:
        return refused
    if latest.attempts >= MAX_ATTEMPTS:
        return refused
    latest.attempts += 1
    session.flush()
    if not hmac.compare_digest(latest.code_hash, _code_hash(phone, purpose, code.strip())):
        return refused
    latest.used_at = now
    session.flush()
    return None
