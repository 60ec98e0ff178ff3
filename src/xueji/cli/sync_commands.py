"""``xueji reconcile`` and ``xueji sync …``: is the platform in step with the registry,
and the operator's hands on the event queue."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Annotated

import typer

from xueji.cli.output import console, errors, fail, print_json
from xueji.domain.errors import NotFound, XuejiError

if TYPE_CHECKING:
    from xueji.sync.reconcile.report import Report

app = typer.Typer(no_args_is_help=True)


def reconcile(
    repair: Annotated[
        bool, typer.Option("--repair", help="为不一致的学生重放事件（经正常的事件处理）")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")] = False,
) -> None:
    """Compare the registry with the platform; exit 0 only when both sides agree."""
    from xueji.cli.scope import migrated_container
    from xueji.sync.reconcile import service as reconciliation

    try:
        built = migrated_container()
        report = reconciliation.reconcile_committed(built.sessions, built.clock)
        before, published = report, 0
        if repair and report.repairable_students:
            from xueji import app
            from xueji.auth.service import Principal
            from xueji.db.scope import transaction
            from xueji.registry.events import publish_resync

            operator = Principal.platform_operator(name=getpass.getuser())
            with transaction(built.sessions) as session:
                published = publish_resync(
                    session, built.clock, operator, report.repairable_students
                )
            app.drain_events(built)
            report = reconciliation.reconcile_committed(built.sessions, built.clock)
    except XuejiError as error:
        raise fail(error) from None
    if as_json:
        body = report.as_json()
        if repair:
            body["repair"] = {
                "resync_events": published,
                "before": {name: f.count for name, f in before.findings.items()},
            }
        print_json(body)
    else:
        _print_report(report, repaired=published if repair else None)
    if not report.agree:
        raise typer.Exit(1)


def _print_report(report: Report, *, repaired: int | None) -> None:
    from xueji.sync.reconcile.report import LABELS

    if repaired is not None:
        console.print(f"已为 {repaired} 名学生重放事件。", highlight=False)
    console.print(
        f"对账：学籍 {report.students:,} 名学生，平台 {report.accounts:,} 个学生账号，"
        f"用时 {report.seconds:.2f} 秒；变更处理中的学生 {report.in_flight} 名。",
        highlight=False,
    )
    if report.agree:
        console.print("学籍与平台一致。", highlight=False)
        return
    for name, finding in report.findings.items():
        if finding.count:
            errors.print(
                f"{LABELS[name]}（{name}）：{finding.count:,} 项，例如 {finding.examples}",
                highlight=False,
            )


@app.command("retry", help="重试一个死信事件（或提前重试正在退避等待的事件）")
def retry(event_id: Annotated[int, typer.Argument(help="事件号")]) -> None:
    from xueji.audit.service import Actor
    from xueji.cli.scope import unit_of_work
    from xueji.sync import worker

    try:
        with unit_of_work() as (built, session):
            event = worker.retry(
                session, built.clock, Actor(None, f"operator:{getpass.getuser()}"), event_id
            )
            if event is None:
                raise NotFound(
                    f"没有未处理的事件 {event_id}（不存在或已处理）", code="EVENT_NOT_FOUND"
                )
    except XuejiError as error:
        raise fail(error) from None
    console.print(f"事件 {event_id} 已重新排队，将由事件处理进程处理。", highlight=False)


@app.command("status", help="事件同步状况：积压、延迟、死信、超过 SLA 的事件")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")] = False,
) -> None:
    from xueji.cli.scope import unit_of_work
    from xueji.sync import ops

    try:
        with unit_of_work() as (built, session):
            current = ops.status(session, built.clock, sla_hours=built.settings.sync_sla_hours)
            dead = [
                (e.id, e.student_id, e.attempts, e.last_error) for e in ops.dead_letters(session)
            ]
    except XuejiError as error:
        raise fail(error) from None
    if as_json:
        print_json({**current.as_json(), "dead_letter_ids": [d[0] for d in dead]})
        return
    console.print(
        f"待处理 {current.pending_events}，最早已等待 {current.oldest_pending_age_s:.1f} 秒；"
        f"延迟 p50 {current.lag_p50_ms} ms，p99 {current.lag_p99_ms} ms；"
        f"死信 {current.dead_letters}，超过 SLA {current.sla_breaches}。",
        highlight=False,
    )
    for event_id, student_id, attempts, last_error in dead:
        errors.print(
            f"死信 {event_id}：学生 {student_id}，失败 {attempts} 次，最后错误 {last_error}",
            highlight=False,
        )
    for alarm in current.alarms:
        errors.print(f"告警：{alarm}", highlight=False)
