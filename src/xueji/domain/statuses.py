"""The states of the platform's own records, each a ``StrEnum`` stored by its value.

Enrollment status and enrollment changes have their own module (``enrollment``), with
the table of allowed changes."""

from __future__ import annotations

from enum import StrEnum


class AccountStatus(StrEnum):
    """A student account: waiting for an exact match with the registry, or linked."""

    PENDING = "pending"
    ACTIVE = "active"


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
