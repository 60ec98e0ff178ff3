"""The worker keeps taking events while its maintenance runs: a daily reconciliation of a
province takes a while, and on SQLite the worker is the only consumer."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.conftest import NOW
from xueji.domain.clock import FixedClock
from xueji.sync import worker


def test_events_are_taken_while_a_long_daily_job_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    polls: list[float] = []

    def poll(*_: Any, **__: Any) -> int:
        polls.append(time.monotonic())
        return 0

    monkeypatch.setattr(worker, "run_once", poll)
    started, release, stop = threading.Event(), threading.Event(), threading.Event()

    def long_reconciliation() -> None:
        started.set()
        release.wait(10)

    loop = threading.Thread(
        target=worker.run_forever,
        args=(None, FixedClock(NOW), None, stop),
        kwargs={"idle_seconds": 0.01, "on_idle": long_reconciliation},
    )
    loop.start()
    try:
        assert started.wait(5)
        during = len(polls)
        time.sleep(0.3)
        assert len(polls) > during + 5  # still polling while the job runs
    finally:
        release.set()
        stop.set()
        loop.join(5)
    assert not loop.is_alive()
