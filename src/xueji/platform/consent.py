"""A guardian's consent to a student account's activation (PIPL art. 31: the personal
information of a child under 14 is processed only with a guardian's consent).

Three ways, each recorded (which guardian, masked; how; when) and audited:

* an SMS code sent to every guardian phone on the registry record, typed into the
  student account (``request_guardian_codes``, then ``verify``);
* the activation code printed on the student's 学籍基本信息表 (``verify``);
* a parent account bound to the child, from its own page (``consent_as_parent``).

Asking for codes always gets the same answer, whatever the record holds: a stranger
learns nothing from it. Typing codes has its own budget per account and per number.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth import codes
from xueji.auth import service as auth
from xueji.auth.service import Principal
from xueji.db.crypto import phone_index, registry_no_index
from xueji.domain import throttling
from xueji.domain.clock import Clock
from xueji.domain.errors import Forbidden, NotFound, ValidationFailed, XuejiError
from xueji.domain.masking import mask_phone
from xueji.domain.statuses import AccountStatus, ConsentMethod
from xueji.platform import activation
from xueji.platform.models import GuardianConsent, StudentAccount
from xueji.platform.repository import PlatformRepository
from xueji.platform.service import own_account
from xueji.registry import activation as sheet_codes
from xueji.registry.lookup import RegistryRecord, guardian_phones, lookup

LABEL = "学生账号激活确认"
#: What the guardian reads: whose account asks, and what giving the code away means.
GUARDIAN_TEXT = (
    "【学迹】学生号为 {student_no} 的平台账号申请与您孩子的学籍关联（{label}）。"
    "如确是孩子本人注册，请把验证码 {code} 告诉孩子，5 分钟内有效；"
    "如不是，请勿告诉任何人，并联系学校。"
)
CODES_SENT = "如果学籍中登记了监护人手机号，验证码已发送到这些手机，5 分钟内有效。"
INVALID = "验证码不正确或已失效，请核对后重试，或重新获取"
REVOKED = "该账号与学籍的关联已被解除，不能再激活；如确是本人，请用新的学生号注册并请监护人确认"


def _purpose(account: StudentAccount) -> str:
    """A code is for this account and the number it was asked for: after the account
    changes its number (a sibling's, with the same guardian phone), it proves nothing."""
    return f"consent:{account.id}:{account.registry_index.hex()[:12]}"  # within 32


def _send_key(phone: str, account: StudentAccount) -> dict[str, throttling.ThrottleRule]:
    """Codes sent to one guardian phone for one number: a budget of their own, apart from
    the phone's budget for parents' codes (sharing it would let a stranger learn, from a
    refused parent code, that a child's guardian had just been texted) and from a
    sibling's number (whose own request must still reach the same phone)."""
    key = f"gcode:phone:{phone_index(phone).hex()}:{account.registry_index.hex()}"
    return {key: codes.SEND_PER_PHONE}


def request_guardian_codes(
    session: Session, clock: Clock, principal: Principal
) -> list[codes.PendingMessage]:
    """One code to each guardian phone of the record the account's number is on, within
    the limits per phone and per number (a limit reached sends nothing, silently: the
    answer must not tell a stranger whether a record or a phone exists). The caller
    commits, then sends. Nothing for an active account, nor for a revoked one: it can
    never be verified again, and must not keep texting the child's guardians."""
    account = own_account(session, principal)
    if account.status in (AccountStatus.ACTIVE, AccountStatus.REVOKED):
        return []
    record = lookup(session, registry_no=account.registry_no)
    number_key = {f"gcode:number:{account.registry_index.hex()}": throttling.GUARDIAN_CODES_NUMBER}
    if record is None or auth.blocked_for(session, clock, list(number_key)) is not None:
        return []
    auth.spend(session, clock, number_key)
    messages = []
    for phone in guardian_phones(session, record.student_id):
        phone_key = _send_key(phone, account)
        if auth.blocked_for(session, clock, list(phone_key)) is not None:
            continue
        auth.spend(session, clock, phone_key)
        text = GUARDIAN_TEXT.replace("{student_no}", account.student_no)
        messages.append(
            codes.issue_code(
                session, clock, phone=phone, purpose=_purpose(account), label=LABEL, text=text
            )
        )
    audit.record(
        session,
        clock,
        audit.Actor(principal.account_id, principal.username),
        action="student_account.guardian_codes_sent",
        subject=f"student_account:{account.id}",
        school_code=record.school_code,
        payload={"phones": len(messages)},
    )
    return messages


def verify(
    session: Session, clock: Clock, principal: Principal, *, code: str
) -> StudentAccount | XuejiError:
    """A guardian's SMS code or the sheet's activation code: the account is verified
    (and active if its fields match). A wrong code is returned as the refusal, not
    raised, so the caller commits the try it cost."""
    account = own_account(session, principal)
    if account.status == AccountStatus.REVOKED:
        raise Forbidden(REVOKED, code="ACCOUNT_REVOKED")
    # Per account only: a budget per number would let anyone holding the number lock the
    # child out of verifying; each account already costs one of the number's ten daily
    # registrations, and neither code can be guessed in a few tries.
    budget = {f"verify:account:{account.id}": throttling.VERIFICATION_ACCOUNT}
    refusal = auth.blocked_for(session, clock, list(budget))
    if refusal is not None:
        raise refusal
    if account.status == AccountStatus.ACTIVE:
        return account
    record = lookup(session, registry_no=account.registry_no)
    proof = _proof(session, clock, account, record, code) if record else None
    if record is None or proof is None:
        auth.spend(session, clock, budget)
        return ValidationFailed(
            INVALID, code="VERIFICATION_CODE_INVALID", fields={"code": "VERIFICATION_CODE_INVALID"}
        )
    method, guardian = proof
    actor = audit.Actor(principal.account_id, principal.username)
    _consent(session, clock, actor, account, record, method=method, guardian=guardian)
    return account


def _proof(
    session: Session,
    clock: Clock,
    account: StudentAccount,
    record: RegistryRecord,
    code: str,
) -> tuple[ConsentMethod, str] | None:
    """Which guardian the code came from, if it is a live code for this account."""
    typed = code.strip()
    for phone in guardian_phones(session, record.student_id):
        if (
            codes.consume_code(session, clock, phone=phone, purpose=_purpose(account), code=typed)
            is None
        ):
            return ConsentMethod.SMS, mask_phone(phone)
    if sheet_codes.consume(session, clock, student_id=record.student_id, code=typed):
        return ConsentMethod.SHEET, "学籍基本信息表"
    return None


def awaiting_children(session: Session, registry_no: str) -> list[StudentAccount]:
    """The accounts registered for a child that wait for a guardian (for its parents)."""
    account_rows = PlatformRepository(session).waiting_for(registry_no_index(registry_no))
    return [a for a in account_rows if a.status == AccountStatus.AWAITING_GUARDIAN]


def consent_as_parent(
    session: Session,
    clock: Clock,
    parent: Principal,
    *,
    record: RegistryRecord,
    account_id: int,
    parent_phone: str,
) -> StudentAccount:
    """A parent bound to the child (the caller checked the binding) consents to one of
    the accounts that wait for the child."""
    waiting = {a.id: a for a in awaiting_children(session, record.registry_no)}
    account = waiting.get(account_id)
    if account is None:
        raise NotFound("没有找到等待确认的学生账号")
    _consent(
        session,
        clock,
        audit.Actor(parent.account_id, parent.username),
        account,
        record,
        method=ConsentMethod.PARENT,
        guardian=mask_phone(parent_phone),
        parent=parent.account_id,
    )
    return account


def _consent(
    session: Session,
    clock: Clock,
    actor: audit.Actor,
    account: StudentAccount,
    record: RegistryRecord,
    *,
    method: ConsentMethod,
    guardian: str,
    parent: int | None = None,
) -> None:
    now = clock.now()
    PlatformRepository(session).add(
        GuardianConsent(
            student_account_id=account.id,
            student_id=record.student_id,
            method=str(method),
            guardian=guardian,
            parent_account_id=parent,
            at=now,
        )
    )
    account.verified_at = now
    audit.record(
        session,
        clock,
        actor,
        action="student_account.guardian_consented",
        subject=f"student_account:{account.id}",
        school_code=record.school_code,
        payload={"method": str(method), "guardian": guardian},
    )
    activation.settle(session, clock, account, record)
