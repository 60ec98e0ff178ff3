"""Learning on the platform: resources in national and regional pools, what a student may
do with them (from the capability policy), learning records, and the archive.

Every action is recorded for the account, linked or not; a linked account's records land
in the electronic archive at once, a pending account's the moment it is activated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.db.crypto import registry_no_index
from xueji.domain.capabilities import Capability, capabilities
from xueji.domain.clock import Clock
from xueji.domain.enrollment import EnrollmentStatus
from xueji.domain.errors import Forbidden, NotFound, ValidationFailed
from xueji.domain.roles import Role
from xueji.domain.statuses import AccountStatus, LearningAction, ResourceKind
from xueji.platform.archive import land
from xueji.platform.models import ArchiveEntry, LearningRecord, Resource, StudentAccount
from xueji.platform.repository import PlatformRepository
from xueji.platform.service import own_account
from xueji.registry.lookup import RegistryRecord, class_info

COURSE, HOMEWORK, LIVE = ResourceKind.COURSE, ResourceKind.HOMEWORK, ResourceKind.LIVE
KIND_LABELS = {kind: kind.label for kind in ResourceKind}
ACTION_LABELS = {action: action.label for action in LearningAction}
#: action → (kind of resource, capability it needs)
ACTIONS = {
    LearningAction.OPEN: (COURSE, Capability.COURSE_OPEN),
    LearningAction.REPLAY: (COURSE, Capability.COURSE_REPLAY_CACHED),
    LearningAction.SUBMIT: (HOMEWORK, Capability.HOMEWORK_SUBMIT),
    LearningAction.JOIN: (LIVE, Capability.LIVE_JOIN),
}


@dataclass(frozen=True, slots=True)
class Standing:
    """A student account and what the platform knows of it right now."""

    account: StudentAccount
    linked: bool
    status: EnrollmentStatus | None
    region_code: str | None
    class_id: int | None

    @property
    def granted(self) -> frozenset[Capability]:
        return capabilities(linked=self.linked, status=self.status)


def standing(session: Session, principal: Principal) -> Standing:
    account = own_account(session, principal)
    projection = (
        PlatformRepository(session).projection(account.student_id)
        if account.status == AccountStatus.ACTIVE and account.student_id is not None
        else None
    )
    if projection is None:
        return Standing(account, False, None, None, None)
    return Standing(
        account,
        True,
        EnrollmentStatus(projection.status),
        projection.region_code,
        projection.class_id,
    )


def publish(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    kind: str,
    title: str,
    national: bool = False,
    class_id: int | None = None,
) -> Resource:
    """Courses: a region administrator into their pool, a platform administrator
    nationally. Homework and live classes: the class's head teacher."""
    text = title.strip()
    if not text or len(text) > 200:
        raise ValidationFailed("标题不能为空，且不超过 200 个字符", code="TITLE_INVALID")
    pool, target_class = None, None
    if kind == COURSE:
        if principal.role is Role.REGION_ADMIN and not national:
            pool = principal.region_code
        elif principal.role is not Role.PLATFORM_ADMIN or not national:
            raise Forbidden("课程由区域管理员发布到本区域资源池，国家课程由平台运维发布")
    else:
        info = class_info(session, class_id) if class_id is not None else None
        if (
            info is None
            or principal.role is not Role.HEAD_TEACHER
            or (info.head_teacher_id != principal.account_id)
        ):
            raise NotFound("没有找到该班级")
        target_class = info.id
    resource = Resource(
        kind=kind,
        title=text,
        pool_region=pool,
        class_id=target_class,
        created_by=principal.account_id,
        created_at=clock.now(),
    )
    PlatformRepository(session).add(resource)
    return resource


def visible(session: Session, principal: Principal) -> list[Resource]:
    """National resources; for a linked student also their region's pool and their class's
    homework and live classes — listed even when a status stops using them, so the page
    can say why (the action itself is refused with the reason)."""
    state = standing(session, principal)
    return PlatformRepository(session).visible_resources(
        state.region_code if state.linked else None, state.class_id if state.linked else None
    )


def act(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    resource_id: int,
    action: LearningAction,
    content: str | None = None,
) -> LearningRecord:
    """Open or replay a course, submit homework, join a live class — or refuse with the
    reason: SUSPENDED, NOT_ACTIVATED, NOT_ENROLLED, OUT_OF_REGION, NOT_YOUR_CLASS,
    NOT_OPENED."""
    kind, needed = ACTIONS[action]
    state = standing(session, principal)
    repository = PlatformRepository(session)
    resource = repository.resource(resource_id)
    if resource is None or resource.kind != kind:
        raise NotFound("没有找到该资源")
    _check(state, resource, needed)
    if action == LearningAction.REPLAY and not repository.has_record(
        state.account.id, resource.id, LearningAction.OPEN
    ):
        raise Forbidden("只能回放打开过（已缓存）的课程", code="NOT_OPENED")
    record = LearningRecord(
        student_account_id=state.account.id,
        resource_id=resource.id,
        action=action,
        content=content,
        at=clock.now(),
    )
    repository.add(record)
    if state.linked:
        land(session, clock, state.account)
    return record


@dataclass(frozen=True, slots=True)
class ResourceDetail:
    """One resource as its page shows it: what the student did with it, and for each
    action either ``None`` (allowed) or the refusal that acting would raise."""

    resource: Resource
    records: list[LearningRecord]
    refusals: dict[str, Forbidden | None]


def detail(session: Session, principal: Principal, resource_id: int) -> ResourceDetail:
    """A resource the student can see (listed for them, or used by them before — a course
    opened before a transfer can still be replayed)."""
    state = standing(session, principal)
    repository = PlatformRepository(session)
    resource = repository.resource(resource_id)
    records = repository.records_for(state.account.id, resource_id) if resource else []
    if resource is None or not (records or _listed_for(state, resource)):
        raise NotFound("没有找到该资源")
    opened = any(r.action == LearningAction.OPEN for r in records)
    return ResourceDetail(resource, records, _refusals(state, resource, opened=opened))


def listing(
    session: Session, principal: Principal
) -> list[tuple[Resource, dict[str, Forbidden | None]]]:
    """The resources ``visible`` lists, each with its actions' refusals (None: allowed),
    so that a page offers only what will work and says why the rest will not."""
    state = standing(session, principal)
    repository = PlatformRepository(session)
    found = []
    for resource in visible(session, principal):
        opened = resource.kind == "course" and repository.has_record(
            state.account.id, resource.id, LearningAction.OPEN
        )
        found.append((resource, _refusals(state, resource, opened=opened)))
    return found


def _refusals(state: Standing, resource: Resource, *, opened: bool) -> dict[str, Forbidden | None]:
    refusals: dict[str, Forbidden | None] = {}
    for action, (kind, needed) in ACTIONS.items():
        if kind != resource.kind:
            continue
        try:
            _check(state, resource, needed)
            if action == LearningAction.REPLAY and not opened:
                raise Forbidden("只能回放打开过（已缓存）的课程", code="NOT_OPENED")
            refusals[action] = None
        except Forbidden as refusal:
            refusals[action] = refusal
    return refusals


def _listed_for(state: Standing, resource: Resource) -> bool:
    """The same rule as :meth:`PlatformRepository.visible_resources`, for one resource."""
    if resource.class_id is not None:
        return state.linked and resource.class_id == state.class_id
    if resource.pool_region is not None:
        return state.linked and (state.region_code or "").startswith(resource.pool_region)
    return True


def _check(state: Standing, resource: Resource, needed: Capability) -> None:
    if needed not in state.granted:
        raise _refusal(state, needed)
    if resource.pool_region is not None and needed is not Capability.COURSE_REPLAY_CACHED:
        if Capability.REGION_POOL not in state.granted:
            raise _refusal(state, Capability.REGION_POOL)
        if not (state.region_code or "").startswith(resource.pool_region):
            raise Forbidden("该课程属于其他地区的资源池", code="OUT_OF_REGION")
    if resource.class_id is not None and resource.class_id != state.class_id:
        raise Forbidden("这不是你所在班级的作业或直播课", code="NOT_YOUR_CLASS")


#: why a suspended student cannot use each capability (article 二.2), in their words
SUSPENDED_REASONS = {
    Capability.COURSE_OPEN: "休学期间不能打开新课程，只能回放已缓存（打开过）的课程",
    Capability.HOMEWORK_SUBMIT: "休学期间暂停作业提交，复学后恢复",
    Capability.LIVE_JOIN: "休学期间暂停直播课堂，复学后恢复",
    Capability.REGION_POOL: "休学期间暂停使用地区资源池，只能回放已缓存的课程",
    Capability.ARCHIVE_VIEW: "休学期间暂停查看电子学籍档案，复学后恢复；档案中的记录都会保留",
}


def _refusal(state: Standing, needed: Capability) -> Forbidden:
    """The refusal of ``needed``, saying what stops it for this student."""
    if not state.linked:
        if needed is Capability.ARCHIVE_VIEW:
            return Forbidden(
                "账号尚未激活（未与学籍关联），还没有电子学籍档案；学习记录会保留，激活后归集到档案",
                code="NOT_ACTIVATED",
            )
        return Forbidden(
            "账号尚未激活（未与学籍关联），暂时只能学习国家平台课程", code="NOT_ACTIVATED"
        )
    if state.status is EnrollmentStatus.SUSPENDED:
        return Forbidden(SUSPENDED_REASONS[needed], code="SUSPENDED")
    label = state.status.label if state.status else ""
    return Forbidden(f"学籍状态为“{label}”，不能使用此功能", code="NOT_ENROLLED")


def archive(
    session: Session, principal: Principal
) -> list[tuple[ArchiveEntry, LearningRecord, Resource]]:
    state = standing(session, principal)
    if Capability.ARCHIVE_VIEW not in state.granted:
        raise _refusal(state, Capability.ARCHIVE_VIEW)
    return PlatformRepository(session).archive(state.account.registry_index)


@dataclass(frozen=True, slots=True)
class Overview:
    """What a guardian sees of a child on the platform: the status the platform follows,
    how many resources of each kind the child's pools hold, and the archive."""

    status: EnrollmentStatus
    resource_counts: dict[ResourceKind, int]
    archive: list[dict[str, str]]


def overview_of(session: Session, record: RegistryRecord) -> Overview:
    repository = PlatformRepository(session)
    projection = repository.projection(record.student_id)
    status = EnrollmentStatus(projection.status if projection else record.status)
    region = projection.region_code if projection else record.region_code
    class_id = projection.class_id if projection else record.class_id
    counts = Counter(ResourceKind(r.kind) for r in repository.visible_resources(region, class_id))
    archive = repository.archive(registry_no_index(record.registry_no))
    return Overview(
        status,
        {kind: counts.get(kind, 0) for kind in ResourceKind},
        [
            {
                "resource": resource.title,
                "kind": resource.kind,
                "action": entry_record.action,
                "at": entry_record.at.isoformat(),
            }
            for _, entry_record, resource in archive
        ],
    )
