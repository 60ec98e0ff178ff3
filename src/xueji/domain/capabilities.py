"""What a student account may do, from two facts only: linked to the registry, and status.

The whole table is in ``docs/capabilities.md``; this module is its single source.
"""

from __future__ import annotations

from enum import StrEnum

from xueji.domain.enrollment import EnrollmentStatus


class Capability(StrEnum):
    COURSE_OPEN = "course.open"
    COURSE_REPLAY_CACHED = "course.replay_cached"
    HOMEWORK_SUBMIT = "homework.submit"
    LIVE_JOIN = "live.join"
    ARCHIVE_VIEW = "archive.view"
    REGION_POOL = "region_pool"


C = Capability

#: A linked account's capabilities by enrollment status. Suspension keeps only replay of
#: courses opened before it (article 二.2); graduates and withdrawn students keep their
#: archive and the national courses, but nothing tied to a class or a region.
LINKED: dict[EnrollmentStatus, frozenset[Capability]] = {
    EnrollmentStatus.ENROLLED: frozenset(Capability),
    EnrollmentStatus.SUSPENDED: frozenset({C.COURSE_REPLAY_CACHED}),
    EnrollmentStatus.GRADUATED: frozenset({C.COURSE_OPEN, C.COURSE_REPLAY_CACHED, C.ARCHIVE_VIEW}),
    EnrollmentStatus.WITHDRAWN: frozenset({C.ARCHIVE_VIEW}),
}

#: An account not (yet) linked sees national courses only; its records are kept but do
#: not reach an archive until it is linked, so it has no archive to view.
UNLINKED: frozenset[Capability] = frozenset({C.COURSE_OPEN, C.COURSE_REPLAY_CACHED})


def capabilities(*, linked: bool, status: EnrollmentStatus | None) -> frozenset[Capability]:
    """Capabilities of a student account; an unlinked account has no registry status."""
    if not linked or status is None:
        return UNLINKED
    return LINKED[status]
