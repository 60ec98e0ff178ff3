"""How propagation is doing, for the operators: queue depth, delay percentiles, dead
letters and SLA breaches — as JSON, as Prometheus text, and as an alarm in the log."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import asdict, dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from xueji.domain.clock import Clock
from xueji.sync.models import BULK, INTERACTIVE, OutboxEvent
from xueji.sync.repository import OutboxRepository

log = logging.getLogger("xueji.sync")
#: Delay percentiles are taken over the most recently handled events.
LAG_WINDOW = 10_000


@dataclass(frozen=True, slots=True)
class SyncStatus:
    pending_events: int
    oldest_pending_age_s: float
    lag_p50_ms: int | None
    lag_p99_ms: int | None
    dead_letters: int
    sla_breaches: int
    sla_hours: float

    @property
    def alarms(self) -> list[str]:
        found = []
        if self.sla_breaches:
            found.append(
                f"有 {self.sla_breaches} 个学籍变更事件超过 {self.sla_hours:g} 小时仍未同步到平台"
            )
        if self.dead_letters:
            found.append(
                f"有 {self.dead_letters} 个事件多次处理失败，已转入死信，"
                "请查明原因后用 xueji sync retry 事件号 重试"
            )
        return found

    def as_json(self) -> dict[str, float | int | None]:
        body = asdict(self)
        body.pop("sla_hours")
        return body


def percentile(values: list[int], fraction: float) -> int | None:
    """Nearest-rank percentile (the value below which ``fraction`` of values fall)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def status(session: Session, clock: Clock, *, sla_hours: float) -> SyncStatus:
    repository = OutboxRepository(session)
    now = clock.now()
    oldest = repository.oldest_unhandled()
    lags = repository.recent_lags(LAG_WINDOW)
    return SyncStatus(
        pending_events=repository.unhandled_count(),
        oldest_pending_age_s=round(max(0.0, (now - oldest).total_seconds()), 3) if oldest else 0.0,
        lag_p50_ms=percentile(lags, 0.50),
        lag_p99_ms=percentile(lags, 0.99),
        dead_letters=repository.dead_letter_count(),
        sla_breaches=repository.older_than(now - dt.timedelta(hours=sla_hours)),
        sla_hours=sla_hours,
    )


def prometheus(current: SyncStatus) -> str:
    """The text exposition format (version 0.0.4)."""
    metrics = [
        (
            "xueji_sync_pending_events",
            "gauge",
            "事件队列中等待处理的事件数",
            current.pending_events,
        ),
        (
            "xueji_sync_oldest_pending_age_seconds",
            "gauge",
            "最早一个未处理事件已等待的秒数",
            current.oldest_pending_age_s,
        ),
        ("xueji_sync_lag_p50_milliseconds", "gauge", "最近事件同步延迟中位数", current.lag_p50_ms),
        ("xueji_sync_lag_p99_milliseconds", "gauge", "最近事件同步延迟 p99", current.lag_p99_ms),
        ("xueji_sync_dead_letters", "gauge", "死信事件数", current.dead_letters),
        ("xueji_sync_sla_breaches", "gauge", "超过 SLA 仍未处理的事件数", current.sla_breaches),
    ]
    lines = []
    for name, kind, help_text, value in metrics:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        lines.append(f"{name} {'NaN' if value is None else value}")
    return "\n".join(lines) + "\n"


def raise_alarms(current: SyncStatus) -> list[str]:
    """Writes each alarm to the log at error level (where operators' alerting looks)."""
    for alarm in current.alarms:
        log.error("告警：%s", alarm)
    return current.alarms


def dead_letters(session: Session) -> list[OutboxEvent]:
    """Events that failed their last allowed attempt, waiting for an operator's retry."""
    return OutboxRepository(session).dead_letters()


@dataclass(frozen=True, slots=True)
class Backlog:
    """Events about some students (an administrator's schools) not applied yet."""

    interactive: int
    bulk: int
    dead_letters: int
    oldest_age_s: float


def backlog(session: Session, clock: Clock, student_ids: Select[int]) -> Backlog:
    """The events waiting for these students, by lane, and their dead letters. An import
    chunk's event counts for the school of its first student."""
    waiting = OutboxEvent.handled_at.is_(None) & OutboxEvent.dead_at.is_(None)
    mine = OutboxEvent.student_id.in_(student_ids)
    rows = session.execute(
        select(OutboxEvent.lane, func.count(), func.min(OutboxEvent.created_at))
        .where(mine, waiting)
        .group_by(OutboxEvent.lane)
    ).all()
    by_lane = {lane: count for lane, count, _ in rows}
    oldest = min((first for _, _, first in rows if first is not None), default=None)
    dead = session.scalar(select(func.count()).where(mine, OutboxEvent.dead_at.is_not(None)))
    return Backlog(
        interactive=by_lane.get(INTERACTIVE, 0),
        bulk=by_lane.get(BULK, 0),
        dead_letters=int(dead or 0),
        oldest_age_s=(clock.now() - oldest).total_seconds() if oldest else 0.0,
    )
