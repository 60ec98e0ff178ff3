"""The states of the platform's own records, each a ``StrEnum`` stored by its value.

Enrollment status and enrollment changes have their own module (``enrollment``), with
the table of allowed changes."""

from __future__ import annotations

from enum import StrEnum


class AccountStatus(StrEnum):
    """A student account: waiting for an exact match with the registry (``pending``);
    matching it but waiting for a guardian's consent (``awaiting_guardian``); linked
    (``active``); or unlinked because the rightful student reclaimed the number
    (``revoked``)."""

    PENDING = "pending"
    AWAITING_GUARDIAN = "awaiting_guardian"
    ACTIVE = "active"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return _ACCOUNT_LABELS[self]


class ConsentMethod(StrEnum):
    """How a guardian consented to a student account's activation."""

    SMS = "sms"  # a code sent to a guardian phone of the registry record
    SHEET = "sheet"  # the activation code printed on the 学籍基本信息表
    PARENT = "parent"  # a parent account bound to the child

    @property
    def label(self) -> str:
        return _CONSENT_LABELS[self]


class TransferStatus(StrEnum):
    """A transfer asked by the receiving school, decided by the origin school."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ApplicationState(StrEnum):
    """A parent's phone-change application: parent → head teacher → school."""

    SUBMITTED = "submitted"
    FORWARDED = "forwarded"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return _APPLICATION_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_APPLICATION_STATES


OPEN_APPLICATION_STATES = frozenset({ApplicationState.SUBMITTED, ApplicationState.FORWARDED})


class ResourceKind(StrEnum):
    COURSE = "course"
    HOMEWORK = "homework"
    LIVE = "live"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


class LearningAction(StrEnum):
    OPEN = "open"
    REPLAY = "replay"
    SUBMIT = "submit"
    JOIN = "join"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACCOUNT_LABELS = {
    AccountStatus.PENDING: "未激活（信息与学籍不一致）",
    AccountStatus.AWAITING_GUARDIAN: "待监护人确认",
    AccountStatus.ACTIVE: "已激活",
    AccountStatus.REVOKED: "已解除关联",
}
_CONSENT_LABELS = {
    ConsentMethod.SMS: "监护人手机验证码",
    ConsentMethod.SHEET: "学籍基本信息表上的激活码",
    ConsentMethod.PARENT: "已绑定的家长账号",
}
_APPLICATION_LABELS = {
    ApplicationState.SUBMITTED: "待班主任转交",
    ApplicationState.FORWARDED: "待学校审核",
    ApplicationState.APPROVED: "已通过",
    ApplicationState.REJECTED: "未通过",
}
_KIND_LABELS = {
    ResourceKind.COURSE: "课程",
    ResourceKind.HOMEWORK: "作业",
    ResourceKind.LIVE: "直播课堂",
}
_ACTION_LABELS = {
    LearningAction.OPEN: "打开课程",
    LearningAction.REPLAY: "回放",
    LearningAction.SUBMIT: "提交作业",
    LearningAction.JOIN: "进入直播",
}
