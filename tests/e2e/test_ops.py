"""Operators: ``/api/v1/ops/sync``, ``/metrics``, the ops page, ``xueji reconcile`` and
``xueji sync retry`` from outside, as an operator would use them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import Headers, create_student, run_cli
from tests.e2e.test_accounts_api import REGISTRATION, register_and_consent
from tests.e2e.test_learning_api import drain
from tests.registry_world import HAIKOU, number
from xueji.audit import service as audit

SYNC_KEYS = {
    "pending_events",
    "oldest_pending_age_s",
    "lag_p50_ms",
    "lag_p99_ms",
    "dead_letters",
    "sla_breaches",
}


def test_ops_sync_reports_the_queue_to_platform_admins_only(
    client: TestClient, as_user: Headers
) -> None:
    refused = client.get("/api/v1/ops/sync", headers=as_user("haikou-admin"))
    assert refused.status_code == 403
    before = client.get("/api/v1/ops/sync", headers=as_user("ops"))
    assert before.status_code == 200
    body = before.json()
    assert body.keys() >= SYNC_KEYS
    assert body["pending_events"] >= 1 and body["dead_letters"] == 0
    clock = client.app.state.container.clock  # type: ignore[attr-defined]
    clock.advance(seconds=2)
    drain(client)
    after = client.get("/api/v1/ops/sync", headers=as_user("ops")).json()
    assert after["pending_events"] == 0 and after["oldest_pending_age_s"] == 0
    assert after["lag_p99_ms"] >= 2000


def test_an_event_older_than_the_sla_is_an_alarm(client: TestClient, as_user: Headers) -> None:
    clock = client.app.state.container.clock  # type: ignore[attr-defined]
    clock.advance(hours=25)
    body = client.get("/api/v1/ops/sync", headers=as_user("ops")).json()
    assert body["sla_breaches"] >= 1 and any("24 小时" in a for a in body["alarms"])
    page = client.get("/ops", headers=as_user("ops"))
    assert page.status_code == 200 and "告警" in page.text


def test_metrics_are_prometheus_text(client: TestClient, as_user: Headers) -> None:
    as_user("ops")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = dict(
        line.split(" ", 1) for line in response.text.splitlines() if not line.startswith("#")
    )
    assert float(lines["xueji_sync_pending_events"]) >= 1
    assert "xueji_sync_dead_letters" in lines and "xueji_sync_lag_p99_milliseconds" in lines


def test_health_answers_anyone_without_touching_anyone(client: TestClient) -> None:
    from xueji import __version__

    answer = client.get("/api/v1/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "version": __version__}
    assert "set-cookie" not in answer.headers


def test_reconcile_cli_finds_drift_repairs_it_and_exits_zero(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", var_dir=tmp_path).returncode == 0
    assert run_cli("demo", "load", var_dir=tmp_path).returncode == 0
    assert run_cli("worker", "--once", var_dir=tmp_path).returncode == 0
    clean = run_cli("reconcile", "--json", var_dir=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout)["agree"] is True
    with sqlite3.connect(tmp_path / "xueji.db") as connection:
        connection.execute("UPDATE student_projection SET region_code = '110101'")
    drifted = run_cli("reconcile", "--json", var_dir=tmp_path)
    assert drifted.returncode == 1
    report = json.loads(drifted.stdout)
    assert report["agree"] is False
    assert report["disagreements"]["projection_stale"]["count"] >= 1
    human = run_cli("reconcile", var_dir=tmp_path)
    assert human.returncode == 1 and "已过时" in human.stderr
    repaired = run_cli("reconcile", "--repair", "--json", var_dir=tmp_path)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    body = json.loads(repaired.stdout)
    assert body["agree"] is True and body["repair"]["resync_events"] >= 1
    assert run_cli("audit", "verify", var_dir=tmp_path).returncode == 0


def test_sync_retry_requeues_a_dead_letter(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", var_dir=tmp_path).returncode == 0
    assert run_cli("demo", "load", var_dir=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "xueji.db") as connection:
        connection.execute(
            "UPDATE outbox_events SET dead_at = '2026-01-01 00:00:00.000000', attempts = 8,"
            " last_error = 'RuntimeError: boom' WHERE id = 1"
        )
    status = run_cli("sync", "status", "--json", var_dir=tmp_path)
    assert json.loads(status.stdout)["dead_letter_ids"] == [1]
    unknown = run_cli("sync", "retry", "999999", var_dir=tmp_path)
    assert unknown.returncode == 1 and "EVENT_NOT_FOUND" in unknown.stderr
    retried = run_cli("sync", "retry", "1", var_dir=tmp_path)
    assert retried.returncode == 0 and "重新排队" in retried.stdout
    assert run_cli("worker", "--once", var_dir=tmp_path).returncode == 0
    after = json.loads(run_cli("sync", "status", "--json", var_dir=tmp_path).stdout)
    assert after["dead_letters"] == 0 and after["pending_events"] == 0


def test_the_committed_state_reader_agrees_with_the_in_transaction_one(
    client: TestClient, as_user: Headers
) -> None:
    from sqlalchemy import text

    from xueji.db.scope import transaction
    from xueji.sync.reconcile import service as reconcile

    as_user("ops")
    drain(client)
    container = client.app.state.container  # type: ignore[attr-defined]
    with transaction(container.sessions) as session:
        session.execute(text("UPDATE student_projection SET status = 'graduated'"))
    committed = reconcile.reconcile_committed(container.sessions, container.clock)
    with transaction(container.sessions) as session:
        inside = reconcile.reconcile(session, container.clock)
    assert committed.as_json()["disagreements"] == inside.as_json()["disagreements"]
    assert committed.findings["projection_stale"].count == 1
    client.post(
        f"/api/v1/students/{number()}/enrollment-changes",
        json={"kind": "suspend", "reason": "病休"},
        headers=as_user("haikou-admin"),
    )  # an event waits: the student is in flight on both readers, not compared
    waiting = reconcile.reconcile_committed(container.sessions, container.clock)
    assert waiting.in_flight == 1 and waiting.findings["projection_stale"].count == 0
    container.clock.advance(minutes=5)
    late = reconcile.reconcile_committed(container.sessions, container.clock)
    assert late.findings["events_never_applied"].count == 1


def test_the_committed_state_reader_finds_the_same_in_batches(
    client: TestClient, as_user: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut into batches of one student, and with one SQLite reader streaming everything
    (as when the readers' snapshots differ), the report is the one read whole: stale
    projections, an active account that no longer matches, a waiting account that now
    does, and a student in flight."""
    from sqlalchemy import text

    from xueji.db.scope import transaction
    from xueji.sync.reconcile import queries, read_sqlite
    from xueji.sync.reconcile import service as reconcile
    from xueji.sync.reconcile.sqlite_reader import QUERIES

    admin = as_user("haikou-admin")
    for sequence in ("013", "015", "017"):
        create_student(client, admin, number(sequence=sequence), "周末", HAIKOU)
    register_and_consent(client)
    typo = REGISTRATION | {"student_no": "zhou2016", "registry_no": number(sequence="013")}
    assert (
        client.post("/api/v1/accounts", json=typo | {"name": "周未"}).json()["status"] == "pending"
    )
    as_user("ops")
    drain(client)
    container = client.app.state.container  # type: ignore[attr-defined]
    with transaction(container.sessions) as session:
        session.execute(text("UPDATE student_projection SET status = 'graduated'"))
        session.execute(text("UPDATE students SET name = '陈晓明' WHERE name = '陈小明'"))
        session.execute(text("UPDATE student_accounts SET name = '周末' WHERE status = 'pending'"))
        students = session.execute(text("SELECT count(*) FROM students")).scalar_one()
    suspended = client.post(
        f"/api/v1/students/{number(sequence='015')}/enrollment-changes",
        json={"kind": "suspend", "reason": "病休"},
        headers=admin,
    )  # its event waits: in flight, not compared
    assert suspended.status_code == 200, suspended.text
    whole = reconcile.reconcile_committed(container.sessions, container.clock)
    assert {name: f.count for name, f in whole.findings.items() if f.count} == {
        "projection_stale": students - 1,
        "active_account_mismatch": 1,
        "pending_account_matches": 1,
    }
    assert whole.in_flight == 1 and whole.students == students >= 4
    monkeypatch.setattr(queries, "BATCH_STUDENTS", 1)
    batched = reconcile.reconcile_committed(container.sessions, container.clock)
    monkeypatch.setattr(read_sqlite, "READER_GROUPS", [list(QUERIES)])
    single = reconcile.reconcile_committed(container.sessions, container.clock)
    for report in (batched, single):
        assert report.as_json()["disagreements"] == whole.as_json()["disagreements"]
        assert (report.students, report.accounts, report.in_flight) == (students, 2, 1)
        assert report.repairable_students == whole.repairable_students


def test_a_sqlite_reader_killed_midway_fails_the_reconciliation_and_stops_the_others(
    client: TestClient, as_user: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No hang and no half report: the comparison ends with an error and no reader is
    left running."""
    from xueji.sync.reconcile import queries, read_sqlite

    container = client.app.state.container  # type: ignore[attr-defined]
    if container.engine.dialect.name != "sqlite":
        pytest.skip("the reader processes are SQLite's")
    as_user("ops")
    drain(client)
    monkeypatch.setattr(queries, "BATCH_STUDENTS", 1)
    database = container.engine.url.database
    readers = read_sqlite._Readers(database, 1, 50, read_sqlite.READER_GROUPS)
    victim = readers.by_query["accounts"]
    victim.kill()
    victim.wait()
    with pytest.raises(RuntimeError, match="reading the database failed") as failed:
        readers.once()
        for _ in readers.batches():
            pass
        readers.finish()
    assert f"exit {-9}" in str(failed.value)
    assert all(process.poll() is not None for process, _ in readers.processes)
    readers.close()


def test_the_ops_page_shows_the_latest_audit_anchor(client: TestClient, as_user: Headers) -> None:
    ops = as_user("ops")
    before = client.get("/ops", headers=ops)
    assert before.status_code == 200 and "尚未取过锚点" in before.text
    assert "<section" not in before.text.split("<title>")[1].split("</title>")[0]
    built = client.app.state.container  # type: ignore[attr-defined]
    with built.sessions.begin() as session:
        anchor = audit.take_anchor(session, built.clock)
    shown = client.get("/ops", headers=ops).text
    assert anchor.head in shown and f'data-metric="anchor_entries">{anchor.entries}<' in shown
