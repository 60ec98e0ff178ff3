"""What a worker does beside applying events, in a thread of its own
(``worker.run_forever``): raise the propagation alarms (at most once a minute), run the
daily reconciliation with repair, and the other daily jobs the composition root hands in
(the families' erasures, the retention purge) — each one worker per day, however many
run, through a conditional update of ``scheduled_jobs``."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from xueji.db.scope import transaction
from xueji.domain.clock import Clock
from xueji.sync import ops
from xueji.sync.reconcile import service as reconcile
from xueji.sync.reconcile.report import Report
from xueji.sync.repository import OutboxRepository

#: Publishes resync events for these student ids; returns how many it published. The
#: registry owns its events, so the composition root hands this in (``xueji.app``).
Resync = Callable[[Session, Clock, list[int]], int]
#: A daily job: its name in ``scheduled_jobs`` and what it does in one transaction
#: (returns a count for the log).
DailyJob = tuple[str, Callable[[Session, Clock], int]]

log = logging.getLogger("xueji.sync")
ALARM_EVERY_SECONDS = 60.0
RECONCILE_EVERY = DAILY = dt.timedelta(days=1)


def reconcile_and_repair(sessions: sessionmaker[Session], clock: Clock, resync: Resync) -> Report:
    """Reconcile; for students that disagree, publish resync events (the consumer applies
    them like any other event). Returns the report before repair."""
    report = reconcile.reconcile_committed(sessions, clock)
    students = report.repairable_students
    if students:
        with transaction(sessions) as session:
            resync(session, clock, students)
    return report


class Maintenance:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        *,
        sla_hours: float,
        resync: Resync,
        daily: Sequence[DailyJob] = (),
    ):
        self.sessions, self.clock, self.sla_hours = sessions, clock, sla_hours
        self.resync, self.daily = resync, daily
        self._last_alarm_check = -ALARM_EVERY_SECONDS

    def __call__(self) -> None:
        """At most once a minute: the maintenance thread calls this every second, and
        these checks (one of them a write) need not run that often."""
        if time.monotonic() - self._last_alarm_check < ALARM_EVERY_SECONDS:
            return
        self._last_alarm_check = time.monotonic()
        with transaction(self.sessions) as session:
            ops.raise_alarms(ops.status(session, self.clock, sla_hours=self.sla_hours))
        with transaction(self.sessions) as session:
            due = OutboxRepository(session).take_job(
                "reconcile", now=self.clock.now(), every=RECONCILE_EVERY
            )
        if due:
            report = reconcile_and_repair(self.sessions, self.clock, self.resync)
            if report.agree:
                log.info("每日对账：学籍与平台一致（%s 名学生）", report.students)
            else:
                counts = {k: f.count for k, f in report.findings.items() if f.count}
                log.error(
                    "告警：每日对账发现不一致 %s，已为 %s 名学生重放事件",
                    counts,
                    len(report.repairable_students),
                )
        self.run_daily_jobs()

    def run_daily_jobs(self) -> None:
        """Each due job runs in the transaction that takes its day's slot: a job that
        fails gives the slot back (it is tried again at the next check, and logged), and
        does not keep the others from running."""
        for name, job in self.daily:
            try:
                with transaction(self.sessions) as session:
                    if not OutboxRepository(session).take_job(
                        name, now=self.clock.now(), every=DAILY
                    ):
                        continue
                    done = job(session, self.clock)
            except Exception:
                log.exception("告警：每日任务 %s 失败，稍后重试", name)
                continue
            log.info("每日任务 %s：%s", name, done)
