"""Parents at the service level on both databases: SMS codes and their limits,
registration bound through guardian phones (or 没有该用户), bindings that follow registry
events, the phone-change application from parent to head teacher to school, and what a
parent sees of a child."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.integration.test_platform_sync import drain
from tests.integration.test_platform_sync import sign_up as sign_up_student
from tests.registry_world import HAIKOU, HUAJING, World, build_world, number, register
from xueji.audit import service as audit
from xueji.audit.models import AuditEntry
from xueji.auth import codes
from xueji.auth import service as auth
from xueji.auth.service import Principal
from xueji.domain.clock import FixedClock
from xueji.domain.enrollment import ChangeKind
from xueji.domain.errors import Conflict, Forbidden, NotFound, Throttled, ValidationFailed
from xueji.domain.roles import Role
from xueji.parents import applications, approval, children
from xueji.parents import service as parents
from xueji.parents.models import ParentBinding, PhoneChangeApplication
from xueji.platform import learning
from xueji.registry import service as registry
from xueji.registry.enrollment import service as enrollment
from xueji.registry.lookup import lookup
from xueji.registry.validation import GuardianFacts

GUARDIAN = "13800138001"  # 陈小明's guardian (陈大明, 父亲) in the test registry
STRANGER = "13912345678"
PASSWORD = "parent password 1"
PURPOSE = "parent_register"
SIX_DIGITS = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")
LI_HUA = number(birth="20150923", sequence="002")
HUAJING_CHILD = number("440106", "20150923", "022")


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


def send_code(session: Session, clock: FixedClock, phone: str, *, client: str = "") -> str:
    """Ask for a code and read it from the message the gateway would send."""
    message = codes.request_code(
        session, clock, phone=phone, purpose=PURPOSE, client=client or f"client-{phone}"
    )
    found = SIX_DIGITS.search(message.text)
    assert found, message.text
    return found.group(0)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def sign_up(
    session: Session, clock: FixedClock, phone: str
) -> tuple[parents.ParentRegistration, Principal]:
    code = send_code(session, clock, phone)
    outcome = parents.register_parent(session, clock, phone=phone, code=code, password=PASSWORD)
    assert isinstance(outcome, parents.ParentRegistration), outcome
    principal = auth.principal_by_username(session, outcome.account.phone)
    assert principal is not None and principal.role is Role.PARENT
    return outcome, principal


def names_of(session: Session, parent: Principal) -> list[str]:
    return [child["name"] for child in children.children_of(session, parent)]


Facts = tuple[str, str, str]


def guardians(session: Session, world: World, registry_no: str = number()) -> list[Facts]:
    """The child's guardians in the registry, in order: (name, relation code, phone)."""
    located = registry.locate_by_id(session, world.platform, student_id(session, registry_no))
    return [(g.name, g.relation, g.phone) for g in sorted(located.guardians, key=lambda g: g.rank)]


def student_id(session: Session, registry_no: str) -> int:
    record = lookup(session, registry_no=registry_no)
    assert record is not None
    return record.student_id


def set_guardians(
    session: Session,
    clock: FixedClock,
    world: World,
    *facts: GuardianFacts,
    registry_no: str = number(),
) -> None:
    """学生信息维护 by 海口小学: the child's guardians become ``facts``."""
    registry.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=registry_no,
        changes={"guardians": list(facts)},
        reason="家长联系方式更正",
    )


def masked(registry_no: str) -> str:
    """How a registry number is shown outside the registry: five first, four last."""
    return registry_no[:5] + "*" * 10 + registry_no[-4:]


def apply(
    session: Session,
    clock: FixedClock,
    parent: Principal,
    *,
    registry_no: str = number(),
    student_name: str = "陈小明",
    guardian_name: str = "林秀英",
    relation: str = "母亲",
) -> PhoneChangeApplication | ValidationFailed:
    return applications.apply(
        session,
        clock,
        parent,
        registry_no=registry_no,
        student_name=student_name,
        guardian_name=guardian_name,
        relation=relation,
    )


def applied(session: Session, clock: FixedClock, parent: Principal, **form: str) -> int:
    outcome = apply(session, clock, parent, **form)
    assert isinstance(outcome, PhoneChangeApplication), outcome
    return outcome.id


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- SMS codes -----------------------------------------------------------------------


def test_codes_to_one_phone_wait_a_minute_then_twice_as_long_whatever_its_spelling(
    session: Session, clock: FixedClock
) -> None:
    first = codes.request_code(session, clock, phone=GUARDIAN, purpose=PURPOSE, client="10.0.0.1")
    assert first.phone == GUARDIAN and first.expires_at == clock.now() + codes.LIFETIME
    assert "家长注册验证码" in first.text and "5 分钟内有效" in first.text
    with pytest.raises(Throttled) as again:
        codes.request_code(
            session, clock, phone="+86 138-0013-8001", purpose=PURPOSE, client="10.0.0.2"
        )
    assert again.value.retry_after == 60 and again.value.message == (
        "验证码已发送，请查收短信；如未收到，请 60 秒后再重新获取"
    )
    send_code(session, clock, STRANGER, client="10.0.0.1")  # another phone is not held up
    clock.advance(seconds=59)
    with pytest.raises(Throttled) as still:
        send_code(session, clock, GUARDIAN)
    assert still.value.retry_after == 1
    clock.advance(seconds=2)
    send_code(session, clock, GUARDIAN)
    with pytest.raises(Throttled) as doubled:
        send_code(session, clock, GUARDIAN)
    assert doubled.value.retry_after == 120
    clock.advance(hours=3)  # after a quiet hour the count starts again: one minute
    send_code(session, clock, GUARDIAN)
    with pytest.raises(Throttled) as forgotten:
        send_code(session, clock, GUARDIAN)
    assert forgotten.value.retry_after == 60


def test_one_client_address_gets_ten_codes_an_hour(session: Session, clock: FixedClock) -> None:
    phones = [f"1390000{n:04d}" for n in range(11)]
    for phone in phones[:10]:
        send_code(session, clock, phone, client="10.0.0.7")
    with pytest.raises(Throttled) as refused:
        send_code(session, clock, phones[10], client="10.0.0.7")
    assert refused.value.retry_after == 60
    send_code(session, clock, phones[10], client="10.0.0.8")


@pytest.mark.parametrize(
    ("phone", "purpose", "code"),
    [
        ("12345", PURPOSE, "PHONE_INVALID"),
        ("12800138001", PURPOSE, "PHONE_INVALID"),
        (GUARDIAN, "lottery", "PURPOSE_INVALID"),
        (GUARDIAN, "", "PURPOSE_INVALID"),
    ],
)
def test_a_malformed_code_request_is_refused_and_not_counted(
    session: Session, clock: FixedClock, phone: str, purpose: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        codes.request_code(session, clock, phone=phone, purpose=purpose, client="10.0.0.1")
    assert refused.value.code == code
    send_code(session, clock, GUARDIAN, client="10.0.0.1")


@pytest.mark.parametrize(("elapsed", "accepted"), [(0, True), (299, True), (300, False)])
def test_a_code_is_valid_for_five_minutes(
    session: Session, clock: FixedClock, elapsed: int, accepted: bool
) -> None:
    code = send_code(session, clock, STRANGER)
    clock.advance(seconds=elapsed)
    outcome = parents.register_parent(session, clock, phone=STRANGER, code=code, password=PASSWORD)
    assert isinstance(outcome, parents.ParentRegistration) is accepted
    assert (auth.principal_by_username(session, STRANGER) is not None) is accepted
    if not accepted:
        assert isinstance(outcome, ValidationFailed) and outcome.code == "SMS_CODE_INVALID"


def test_a_wrong_code_creates_nothing_and_five_wrong_tries_spend_the_code(
    session: Session, clock: FixedClock
) -> None:
    code = send_code(session, clock, STRANGER)
    for _ in range(codes.MAX_ATTEMPTS):
        refused = parents.register_parent(
            session, clock, phone=STRANGER, code=wrong(code), password=PASSWORD
        )
        assert isinstance(refused, ValidationFailed)
        assert refused.code == "SMS_CODE_INVALID"
        assert refused.message == "验证码不正确或已失效，请重新获取"
        assert refused.details == {"fields": {"code": "SMS_CODE_INVALID"}}
        assert auth.principal_by_username(session, STRANGER) is None
    late = parents.register_parent(session, clock, phone=STRANGER, code=code, password=PASSWORD)
    assert isinstance(late, ValidationFailed) and late.code == "SMS_CODE_INVALID"
    clock.advance(seconds=61)
    sign_up(session, clock, STRANGER)  # a new code works


def test_a_code_is_used_once_and_a_newer_code_replaces_the_older(
    session: Session, clock: FixedClock
) -> None:
    older = send_code(session, clock, STRANGER)
    clock.advance(seconds=61)
    newer = send_code(session, clock, STRANGER)
    consume = lambda code: codes.consume_code(  # noqa: E731
        session, clock, phone=STRANGER, purpose=PURPOSE, code=code
    )
    if older != newer:  # one time in a million the two codes are the same
        assert consume(older) is not None
    assert consume(f" {newer} ") is None
    refused = consume(newer)
    assert refused is not None and refused.code == "SMS_CODE_INVALID"


def test_a_malformed_registration_is_refused_without_spending_the_code(
    session: Session, clock: FixedClock
) -> None:
    code = send_code(session, clock, STRANGER)
    for _ in range(codes.MAX_ATTEMPTS + 1):
        with pytest.raises(ValidationFailed) as refused:
            parents.register_parent(
                session, clock, phone=STRANGER, code=code, password="aaaaaaaaaaaa", name="x" * 51
            )
        assert refused.value.details == {
            "fields": {"password": "PASSWORD_WEAK", "name": "NAME_INVALID"}
        }
    with pytest.raises(ValidationFailed) as bad_phone:
        parents.register_parent(session, clock, phone="1380013", code=code, password=PASSWORD)
    assert bad_phone.value.details == {"fields": {"phone": "PHONE_INVALID"}}
    outcome = parents.register_parent(
        session, clock, phone=STRANGER, code=code, password=PASSWORD, name=" 林秀英 "
    )
    assert isinstance(outcome, parents.ParentRegistration)
    assert outcome.account.name == "林秀英"


# --- registration and bindings ---------------------------------------------------------


def test_a_guardian_phone_binds_every_child_with_it_in_every_school(
    session: Session, clock: FixedClock, world: World
) -> None:
    xiaoming = register(session, clock, world)
    xiaohong = register(
        session,
        clock,
        world,
        registry_no=HUAJING_CHILD,
        name="陈小红",
        school=HUAJING,
        admin=world.huajing_admin,
        phone=GUARDIAN,
    )
    register(session, clock, world, registry_no=LI_HUA, name="李华", phone="13700137000")
    spelled = "+86 138 0013 8001"
    code = send_code(session, clock, spelled)
    outcome = parents.register_parent(session, clock, phone=spelled, code=code, password=PASSWORD)
    assert isinstance(outcome, parents.ParentRegistration)
    assert outcome.account.phone == GUARDIAN
    assert outcome.binding() == {"code": "BOUND", "message": "已绑定 2 名学生"}
    assert [parents.child_summary(c) for c in outcome.children] == [
        {
            "student_id": xiaoming.student.id,
            "registry_no": masked(number()),
            "name": "陈小明",
            "school_name": "佛山市禅城区海口小学",
        },
        {
            "student_id": xiaohong.student.id,
            "registry_no": masked(HUAJING_CHILD),
            "name": "陈小红",
            "school_name": "广州市天河区华景小学",
        },
    ]
    parent = auth.principal_by_username(session, GUARDIAN)
    assert parent is not None and parent.role is Role.PARENT
    assert names_of(session, parent) == ["陈小明", "陈小红"]
    clock.advance(seconds=61)
    with pytest.raises(Conflict) as again:
        parents.register_parent(
            session,
            clock,
            phone=GUARDIAN,
            code=send_code(session, clock, GUARDIAN),
            password=PASSWORD,
        )
    assert again.value.code == "PARENT_EXISTS"


def test_a_phone_no_child_lists_gets_an_account_told_no_such_user(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    outcome, parent = sign_up(session, clock, STRANGER)
    assert outcome.children == []
    assert outcome.binding() == {"code": "NO_SUCH_USER", "message": "没有该用户"}
    assert children.children_of(session, parent) == []


def test_bindings_follow_guardian_corrections_once_the_event_is_applied(
    session: Session, clock: FixedClock, world: World
) -> None:
    located = register(session, clock, world)
    drain(session, clock)
    _, father = sign_up(session, clock, GUARDIAN)
    _, mother = sign_up(session, clock, STRANGER)
    assert (names_of(session, father), names_of(session, mother)) == (["陈小明"], [])

    set_guardians(
        session,
        clock,
        world,
        GuardianFacts("陈大明", "51", GUARDIAN),
        GuardianFacts("林秀英", "52", STRANGER),
    )
    assert names_of(session, mother) == [], "bound by the event, not by the correction"
    assert drain(session, clock) == 1
    assert (names_of(session, father), names_of(session, mother)) == (["陈小明"], ["陈小明"])

    clock.advance(minutes=1)
    set_guardians(session, clock, world, GuardianFacts("林秀英", "52", STRANGER))
    drain(session, clock)
    assert (names_of(session, father), names_of(session, mother)) == ([], ["陈小明"])
    [ended] = session.scalars(
        select(ParentBinding).where(
            ParentBinding.parent_account_id == parents.own_parent_account(session, father).id
        )
    )
    assert ended.student_id == located.student.id and ended.ended_at == clock.now()

    clock.advance(minutes=1)
    set_guardians(
        session,
        clock,
        world,
        GuardianFacts("林秀英", "52", STRANGER),
        GuardianFacts("陈大明", "51", GUARDIAN),
    )
    drain(session, clock)
    assert names_of(session, father) == ["陈小明"]
    history = session.scalars(
        select(ParentBinding.ended_at)
        .where(ParentBinding.parent_account_id == parents.own_parent_account(session, father).id)
        .order_by(ParentBinding.id)
    ).all()
    assert history == [clock.now() - dt.timedelta(minutes=1), None], "history is kept"


def test_children_of_shows_the_masked_number_status_resources_and_archive(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    register(session, clock, world, registry_no=LI_HUA, name="李华", class_id=world.other_class_id)
    student = sign_up_student(session, clock)  # 陈小明's own platform account
    drain(session, clock)
    national = learning.publish(
        session, clock, world.platform, kind="course", title="国家·数学", national=True
    )
    learning.publish(session, clock, world.foshan, kind="course", title="佛山·科学")
    learning.publish(session, clock, world.guangzhou, kind="course", title="广州·英语")
    learning.publish(
        session, clock, world.haikou_teacher, kind="homework", title="口算", class_id=world.class_id
    )
    learning.publish(
        session,
        clock,
        world.other_teacher,
        kind="live",
        title="班会",
        class_id=world.other_class_id,
    )
    learning.act(session, clock, student, resource_id=national.id, action="open")
    set_guardians(
        session, clock, world, GuardianFacts("李大华", "51", GUARDIAN), registry_no=LI_HUA
    )
    drain(session, clock)
    _, parent = sign_up(session, clock, GUARDIAN)

    xiaoming, lihua = children.children_of(session, parent)
    assert xiaoming["registry_no"] == masked(number())
    assert number() not in str(xiaoming)
    assert (xiaoming["name"], xiaoming["school_name"]) == ("陈小明", "佛山市禅城区海口小学")
    assert (xiaoming["status"], xiaoming["status_label"]) == ("enrolled", "在籍在校")
    assert xiaoming["resources"] == {"course": 2, "homework": 1, "live": 0}
    assert xiaoming["archive"] == [
        {"resource": "国家·数学", "kind": "course", "action": "open", "at": clock.now().isoformat()}
    ]
    assert lihua["resources"] == {"course": 2, "homework": 0, "live": 1}
    assert lihua["archive"] == [], "a child without a platform account has no archive"

    enrollment.change_enrollment(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(),
        kind=ChangeKind.SUSPEND,
        reason="病休",
    )
    drain(session, clock)
    suspended = children.children_of(session, parent)[0]
    assert (suspended["status"], suspended["status_label"]) == ("suspended", "休学")
    for outsider in (world.haikou_admin, student):
        with pytest.raises(Forbidden) as refused:
            children.children_of(session, outsider)
        assert refused.value.message == "只有家长账号可以这样做"


# --- phone-change applications ---------------------------------------------------------


def test_an_application_forwarded_and_approved_records_the_phone_and_binds_the_parent(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    drain(session, clock)
    _, father = sign_up(session, clock, GUARDIAN)
    _, parent = sign_up(session, clock, STRANGER)
    application = apply(session, clock, parent)
    assert isinstance(application, PhoneChangeApplication)
    assert (application.state, application.phone, application.school_code) == (
        "submitted",
        STRANGER,
        HAIKOU,
    )
    [mine] = applications.views_for(session, parent)
    assert mine["state_label"] == "待班主任转交" and mine["relation_label"] == "母亲"
    assert "applicant_phone" not in mine and "current_guardians" not in mine

    [seen] = applications.views_for(session, world.haikou_teacher)
    assert seen["applicant_phone"] == "139****5678" and not seen["applicant_phone_revealed"]
    with pytest.raises(Forbidden):  # a head teacher forwards without the full phone
        applications.reveal(session, clock, world.haikou_teacher, application.id)
    with pytest.raises(NotFound):  # another school's administrator does not see it at all
        applications.reveal(session, clock, world.huajing_admin, application.id)
    revealed = applications.reveal(session, clock, world.haikou_admin, application.id)
    assert revealed["applicant_phone"] == STRANGER and revealed["applicant_phone_revealed"]
    [read] = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "phone_change.revealed")
    ).all()
    assert read.actor == f"account:{world.haikou_admin.account_id}"
    assert audit.read_payload(read) == {
        "application_id": application.id,
        "fields": ["applicant_phone"],
    }
    assert seen["registry_no"] == masked(number())
    assert seen["current_guardians"] == [
        {"name": "陈大明", "relation_label": "父亲", "phone": "138****8001"}
    ]
    with pytest.raises(NotFound):
        approval.approve(session, clock, world.haikou_teacher, application.id)
    clock.advance(minutes=5)
    forwarded = applications.forward(session, clock, world.haikou_teacher, application.id)
    assert (forwarded.state, forwarded.forwarded_by) == (
        "forwarded",
        world.haikou_teacher.account_id,
    )
    assert forwarded.forwarded_at == clock.now()
    with pytest.raises(Conflict) as twice:
        applications.forward(session, clock, world.haikou_teacher, application.id)
    assert twice.value.code == "APPLICATION_STATE"

    clock.advance(minutes=5)
    decided = approval.approve(session, clock, world.haikou_admin, application.id)
    approved = decided.application
    assert decided.replaced == ()  # added beside the father
    assert approved.state == "approved"
    assert approved.reason == f"家长联系方式变更申请 {application.id}"
    assert (approved.decided_by, approved.decided_at) == (
        world.haikou_admin.account_id,
        clock.now(),
    )
    assert guardians(session, world) == [("陈大明", "51", GUARDIAN), ("林秀英", "52", STRANGER)]
    assert names_of(session, parent) == [], "bound by the guardian change's event"
    drain(session, clock)
    assert names_of(session, parent) == ["陈小明"] and names_of(session, father) == ["陈小明"]
    assert applications.views_for(session, parent)[0]["state_label"] == "已通过"
    with pytest.raises(Conflict) as decided:
        applications.reject(session, clock, world.haikou_admin, application.id, reason="晚了")
    assert decided.value.code == "APPLICATION_STATE"
    actions = audit_actions(session)
    assert actions[actions.index("phone_change.applied") :] == [
        "phone_change.applied",
        "phone_change.revealed",
        "phone_change.forwarded",
        "student.guardians_changed",
        "phone_change.approved",
    ]
    assert audit.verify(session).ok


@pytest.mark.parametrize(
    ("relation", "after"),
    [
        ("母亲", [("陈大明", "51", GUARDIAN), ("林秀英", "52", STRANGER)]),
        ("父亲", [("林秀英", "51", STRANGER)]),
    ],
)
def test_approval_adds_a_guardian_or_replaces_the_one_of_the_same_relation(
    session: Session, clock: FixedClock, world: World, relation: str, after: list[Facts]
) -> None:
    register(session, clock, world)
    drain(session, clock)
    _, old = sign_up(session, clock, GUARDIAN)
    _, new = sign_up(session, clock, STRANGER)
    application_id = applied(session, clock, new, relation=relation)
    approval.approve(session, clock, world.haikou_admin, application_id)  # no forwarding
    assert guardians(session, world) == after
    drain(session, clock)
    assert names_of(session, new) == ["陈小明"]
    old_kept = any(phone == GUARDIAN for _, _, phone in after)
    assert names_of(session, old) == (["陈小明"] if old_kept else [])


def test_a_fifth_guardian_replaces_the_one_the_school_chooses_who_is_told(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    four = [
        GuardianFacts("陈大明", "51", GUARDIAN),
        GuardianFacts("王秀兰", "62", "13600136000"),
        GuardianFacts("陈建国", "61", "13600136001"),
        GuardianFacts("王建军", "63", "13600136002"),
    ]
    set_guardians(session, clock, world, *four)
    _, parent = sign_up(session, clock, STRANGER)
    application_id = applied(session, clock, parent, relation="母亲")
    [shown] = applications.views_for(session, world.haikou_admin)
    assert shown["needs_replacement"] is True
    with pytest.raises(Conflict) as full:
        approval.approve(session, clock, world.haikou_admin, application_id)
    assert full.value.code == "GUARDIANS_FULL" and "请选择" in full.value.message
    assert guardians(session, world) == [(g.name, g.relation, g.phone) for g in four]
    [still] = applications.for_caller(session, parent)
    assert still.state == "submitted"

    decided = approval.approve(session, clock, world.haikou_admin, application_id, replace=3)
    assert decided.replaced == ("13600136001",)
    after = [four[0], four[1], four[3], GuardianFacts("林秀英", "52", STRANGER)]
    assert guardians(session, world) == [(g.name, g.relation, g.phone) for g in after]
    sent: list[tuple[str, str]] = []

    class Gateway:
        def send(self, phone: str, message: str) -> None:
            sent.append((phone, message))

    approval.notify_replaced(decided, Gateway())
    assert sent == [("13600136001", approval.REPLACED_TEXT)]
    assert "陈小明" not in sent[0][1]


def test_a_rejection_needs_a_reason_changes_nothing_and_allows_a_new_application(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    drain(session, clock)
    _, parent = sign_up(session, clock, STRANGER)
    application_id = applied(session, clock, parent, guardian_name="王五", relation="其他亲属")
    with pytest.raises(ValidationFailed) as blank:
        applications.reject(session, clock, world.haikou_admin, application_id, reason="  ")
    assert blank.value.code == "REASON_REQUIRED"
    with pytest.raises(ValidationFailed) as long:
        applications.reject(session, clock, world.haikou_admin, application_id, reason="因" * 501)
    assert long.value.code == "REASON_TOO_LONG"
    assert applications.for_caller(session, parent)[0].state == "submitted"
    rejected = applications.reject(
        session, clock, world.haikou_admin, application_id, reason=" 无法核实与学生的关系 "
    )
    assert (rejected.state, rejected.reason) == ("rejected", "无法核实与学生的关系")
    [mine] = applications.views_for(session, parent)
    assert (mine["state_label"], mine["reason"]) == ("未通过", "无法核实与学生的关系")
    with pytest.raises(Conflict):
        approval.approve(session, clock, world.haikou_admin, application_id)
    assert guardians(session, world) == [("陈大明", "51", GUARDIAN)]
    drain(session, clock)
    assert names_of(session, parent) == []
    assert "phone_change.rejected" in audit_actions(session)
    again = applied(session, clock, parent, guardian_name="王五", relation="其他亲属")
    assert again != application_id


def test_a_mismatching_application_is_answered_alike_and_guesses_are_limited(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    _, parent = sign_up(session, clock, STRANGER)
    answers = [
        apply(session, clock, parent, student_name="王芳"),  # a real number, another name
        apply(session, clock, parent, registry_no=number(sequence="011")),  # no such number
    ]
    for answer in answers:
        assert isinstance(answer, ValidationFailed)
        assert (answer.code, answer.message) == (
            "APPLICATION_NOT_MATCHED",
            "学籍号与学生姓名对不上，请对照《学籍基本信息表》核对后重新填写",
        )
    for _ in range(3):
        assert isinstance(apply(session, clock, parent, student_name="王芳"), ValidationFailed)
    with pytest.raises(Throttled):
        apply(session, clock, parent)  # the sixth try waits, even a right one
    assert applications.for_caller(session, parent) == []
    clock.advance(seconds=61)
    assert isinstance(apply(session, clock, parent), PhoneChangeApplication)


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ({"registry_no": "G4406042016021100"}, {"registry_no": "ID_LENGTH"}),
        ({"student_name": "陈3明"}, {"student_name": "NAME_INVALID"}),
        ({"guardian_name": " "}, {"guardian_name": "NAME_INVALID"}),
        ({"relation": "表哥"}, {"relation": "RELATION_INVALID"}),
    ],
)
def test_a_malformed_application_names_the_field(
    session: Session, clock: FixedClock, world: World, form: dict[str, str], fields: dict
) -> None:
    register(session, clock, world)
    _, parent = sign_up(session, clock, STRANGER)
    with pytest.raises(ValidationFailed) as refused:
        apply(session, clock, parent, **form)
    assert refused.value.details == {"fields": fields}
    assert applications.for_caller(session, parent) == []


def test_an_application_is_refused_for_a_guardian_twice_open_or_from_staff(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    _, guardian = sign_up(session, clock, GUARDIAN)
    _, parent = sign_up(session, clock, STRANGER)
    with pytest.raises(Conflict) as already:
        apply(session, clock, guardian)
    assert already.value.code == "ALREADY_GUARDIAN"
    applied(session, clock, parent)
    with pytest.raises(Conflict) as open_:
        apply(session, clock, parent, relation="父亲")
    assert open_.value.code == "APPLICATION_OPEN"
    with pytest.raises(Forbidden):
        apply(session, clock, world.haikou_admin)


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("other_teacher", "forward"),  # the head teacher of another class
        ("huajing_admin", "approve"),
        ("huajing_admin", "reject"),
        ("haikou_teacher", "approve"),  # the child's head teacher only forwards
        ("haikou_teacher", "reject"),
        ("haikou_admin", "forward"),
        ("foshan", "approve"),  # the region sees the child but does not decide
        ("platform", "reject"),
        ("other_parent", "forward"),
    ],
)
def test_an_application_is_not_found_by_those_who_may_not_act_on_it(
    session: Session, clock: FixedClock, world: World, who: str, action: str
) -> None:
    register(session, clock, world)
    _, parent = sign_up(session, clock, STRANGER)
    _, other_parent = sign_up(session, clock, "13700137000")
    application_id = applied(session, clock, parent)
    principal = other_parent if who == "other_parent" else getattr(world, who)
    act = {
        "forward": lambda i: applications.forward(session, clock, principal, i),
        "approve": lambda i: approval.approve(session, clock, principal, i),
        "reject": lambda i: applications.reject(session, clock, principal, i, reason="不同意"),
    }[action]
    with pytest.raises(NotFound) as refused:
        act(application_id)
    with pytest.raises(NotFound) as absent:
        act(application_id + 1000)
    assert refused.value.message == absent.value.message == "没有找到该申请"
    [untouched] = applications.for_caller(session, parent)
    assert untouched.state == "submitted"
    assert guardians(session, world) == [("陈大明", "51", GUARDIAN)]


def test_staff_lists_show_the_applications_of_children_in_their_scope(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    register(session, clock, world, registry_no=LI_HUA, name="李华", class_id=world.other_class_id)
    register(
        session,
        clock,
        world,
        registry_no=HUAJING_CHILD,
        name="王芳",
        school=HUAJING,
        admin=world.huajing_admin,
    )
    _, parent = sign_up(session, clock, STRANGER)
    xiaoming = applied(session, clock, parent)
    lihua = applied(session, clock, parent, registry_no=LI_HUA, student_name="李华")
    wangfang = applied(session, clock, parent, registry_no=HUAJING_CHILD, student_name="王芳")
    _, other_parent = sign_up(session, clock, "13700137000")

    def ids(principal: Principal, **page: int) -> list[int]:
        return [item["id"] for item in applications.views_for(session, principal, **page)]

    assert ids(world.platform) == [wangfang, lihua, xiaoming]
    assert ids(world.foshan) == [lihua, xiaoming]
    assert ids(world.guangzhou) == ids(world.huajing_admin) == [wangfang]
    assert ids(world.haikou_admin) == [lihua, xiaoming]
    assert ids(world.haikou_teacher) == [xiaoming]
    assert ids(world.other_teacher) == [lihua]
    assert ids(parent) == [wangfang, lihua, xiaoming]
    assert ids(other_parent) == []
    assert ids(world.platform, limit=2) == [wangfang, lihua]
    assert applications.page_for(session, world.platform, limit=2)[1] == lihua
    assert ids(world.platform, limit=2, before=lihua) == [xiaoming]
    assert applications.page_for(session, world.platform, limit=2, before=lihua)[1] is None
    with pytest.raises(ValidationFailed) as too_many:
        ids(world.platform, limit=501)
    assert too_many.value.code == "PAGE_SIZE_INVALID"


def test_an_open_application_follows_the_child_to_the_new_school(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    drain(session, clock)
    _, parent = sign_up(session, clock, STRANGER)
    decided = applied(session, clock, parent, relation="父亲")
    applications.reject(session, clock, world.haikou_admin, decided, reason="无法核实")
    application_id = applied(session, clock, parent)
    transfer = enrollment.request_transfer(
        session,
        clock,
        world.huajing_admin,
        registry_no=number(),
        to_school_code=HUAJING,
        reason="迁居",
    )
    enrollment.confirm_transfer(session, clock, world.haikou_admin, transfer_id=transfer.id)
    drain(session, clock)
    assert applications.views_for(session, world.haikou_admin) == []
    # the decided one stays with the school that decided it: not the new school's to see
    shown, next_before = applications.page_for(session, world.huajing_admin, limit=1)
    assert [(a["id"], a["school_code"]) for a in shown] == [(application_id, HUAJING)]
    assert next_before is None
    assert [a.id for a in applications.for_caller(session, parent)] == [application_id, decided]
    with pytest.raises(NotFound):
        approval.approve(session, clock, world.haikou_admin, application_id)
    approval.approve(session, clock, world.huajing_admin, application_id)
    drain(session, clock)
    [child] = children.children_of(session, parent)
    assert child["school_name"] == "广州市天河区华景小学"


def test_an_approval_on_a_stale_page_is_refused_and_one_same_relation_guardian_goes(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    two_others = [
        GuardianFacts("陈大明", "51", GUARDIAN),
        GuardianFacts("王一", "97", "13600136010"),
        GuardianFacts("王二", "97", "13600136011"),
    ]
    set_guardians(session, clock, world, *two_others)
    _, parent = sign_up(session, clock, STRANGER)
    application_id = applied(session, clock, parent, relation="其他监护人")
    [shown] = applications.views_for(session, world.haikou_admin)
    with pytest.raises(Conflict) as stale:
        approval.approve(
            session, clock, world.haikou_admin, application_id, version=shown["version"] - 1
        )
    assert stale.value.code == "RECORD_CHANGED"
    decided = approval.approve(
        session, clock, world.haikou_admin, application_id, version=shown["version"]
    )
    assert decided.replaced == ("13600136010",)  # the first of that relation, not both
    assert [phone for _, _, phone in guardians(session, world)] == [
        GUARDIAN,
        "13600136011",
        STRANGER,
    ]
