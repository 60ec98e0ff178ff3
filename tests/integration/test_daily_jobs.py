"""The daily jobs an idle worker runs (the families' erasures, the retention purge):
each once a day, a failing one tried again at the next check without holding up the
others."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from xueji.domain.clock import Clock, FixedClock
from xueji.sync.maintenance import Maintenance


def test_a_failing_job_neither_blocks_the_others_nor_loses_its_day(
    session: Session, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    factory = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    runs: list[str] = []
    failing = {"on": True}

    def flaky(_: Session, __: Clock) -> int:
        runs.append("flaky")
        if failing["on"]:
            raise RuntimeError("boom")
        return 1

    def steady(_: Session, __: Clock) -> int:
        runs.append("steady")
        return 0

    jobs = Maintenance(
        factory,
        clock,
        sla_hours=24,
        resync=lambda *_: 0,
        daily=(("flaky", flaky), ("steady", steady)),
    )
    jobs.run_daily_jobs()
    assert runs == ["flaky", "steady"] and "每日任务 flaky 失败" in caplog.text
    jobs.run_daily_jobs()  # the failed job is due again at once; the other is done today
    assert runs == ["flaky", "steady", "flaky"]
    failing["on"] = False
    jobs.run_daily_jobs()
    jobs.run_daily_jobs()
    assert runs == ["flaky", "steady", "flaky", "flaky"]
    clock.advance(days=1)
    jobs.run_daily_jobs()
    assert runs[-2:] == ["flaky", "steady"]
