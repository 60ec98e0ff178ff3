"""Page forms: attempting a change so that a refusal is shown on the form it came from,
the status of that page, and the message beside each field a refusal names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from xueji.domain.errors import Throttled, ValidationFailed, XuejiError
from xueji.domain.five_fields import STUDENT_NO_RESERVED_MESSAGE

T = TypeVar("T")

#: The message beside a form field, by the code a refusal gives for it in
#: ``details["fields"]``.
FIELD_MESSAGES = {
    "STUDENT_NO_INVALID": "学生号须以字母开头，由 4–20 位字母和数字组成",
    "STUDENT_NO_RESERVED": STUDENT_NO_RESERVED_MESSAGE,
    "PASSWORD_WEAK": "密码至少 8 位，且至少包含 4 个不同的字符",
    "GENDER_INVALID": "请选择性别",
    "BIRTH_DATE_INVALID": (
        "出生日期须是真实存在、不晚于今天的日期，写成 2016-02-11（如 2 月 30 日并不存在）"
    ),
    "NAME_INVALID": "姓名为空或含有姓名不可用的字符",
    "SCHOOL_NAME_INVALID": "请填写学校全称",
    "ID_FORMAT": "学籍号含有不该有的字符：应为 G 加 18 位身份证号（最后一位可以是 X）",
    "ID_LENGTH": "学籍号位数不对：应为 G 加 18 位身份证号",
    "ID_BIRTH_DATE": "学籍号中的出生日期不存在，请逐位核对",
    "ID_REGION": "学籍号前 6 位不是有效的地区代码，请逐位核对",
    "ID_CHECKSUM": "学籍号最后一位（校验码）与前面的数字对不上，请逐位核对",
    "PHONE_INVALID": "手机号应为 11 位中国大陆手机号码",
    "SMS_CODE_INVALID": "验证码不正确或已失效，请重新获取",
}
#: Beside a field whose code has no message of its own.
FIELD_FALLBACK = "格式不对"


def attempt(
    session: Session,
    action: Callable[[], T],
    *,
    refuse: tuple[type[XuejiError], ...] = (XuejiError,),
    propagate: tuple[type[XuejiError], ...] = (),
) -> T | XuejiError:
    """What ``action`` returns, or the error it was refused with, for the page to show
    with what was typed.

    The action runs in a savepoint: a refusal undoes its writes alone, and the page is
    then read from the request's transaction as it was before. A refusal the action
    returns instead of raising (keeping its writes, such as an attempt counted) reaches
    the caller the same way. Errors outside ``refuse``, and those in ``propagate`` (e.g.
    ``NotFound``, which answers the 404 page like any record out of reach), are raised
    as usual."""
    try:
        with session.begin_nested():
            return action()
    except propagate:
        raise
    except refuse as refused:
        return refused


def refused_status(error: XuejiError) -> int:
    """The status of a form page shown again with its refusal: 429 when the caller tried
    too often, 422 otherwise."""
    return 429 if isinstance(error, Throttled) else 422


def field_messages(error: XuejiError | None) -> dict[str, str]:
    """The message to show beside each form field the refusal names: the refusal's own
    where it gave one (``details["messages"]``: which digit of a number is wrong), else
    the one of its code."""
    fields: dict[str, str] = error.details.get("fields", {}) if error else {}
    exact: dict[str, str] = error.details.get("messages", {}) if error else {}
    return {
        field: exact.get(field) or FIELD_MESSAGES.get(code, FIELD_FALLBACK)
        for field, code in fields.items()
    }


def require_confirmation(confirmed: bool) -> None:
    """An act that cannot be undone (休学, 退学, 调档, an approval) is done only with the
    form's confirmation box ticked: no script is needed to ask, and a stray click or a
    resubmitted form does not act."""
    if not confirmed:
        raise ValidationFailed(
            "这一步办理后不能撤销：请勾选确认后再提交", code="CONFIRMATION_REQUIRED"
        )
