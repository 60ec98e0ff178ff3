"""The demo as ``make run`` serves it, used the way people use it — parents signing in
by phone, a mistyped sign-in with a bare ID number, a clerk opening a student by a
full-width number, a registration that tries a registry number as its student number,
a code sent by SMS — leaves no phone, ID or registry number of the demo in clear in the
database file, its WAL, the server's log or the development SMS outbox; and every one
of those files is the service's alone."""

from __future__ import annotations

import stat
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx

from tests.e2e.conftest import demo_server
from xueji.demo.load import DEMO_PASSWORD, PARENTS, STUDENTS

FULL_WIDTH = str.maketrans("0123456789G", "０１２３４５６７８９Ｇ")


def identifiers() -> set[str]:
    found = {"13900139000"}  # the demo's applicant for a phone change
    for student in STUDENTS:
        found |= {student.registry_no, student.registry_no[1:]}
        found |= {guardian.phone for guardian in student.guardians}
    found |= {phone for phone, _ in PARENTS}
    return found


def use_the_demo(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as web:
        for phone, _ in PARENTS:
            signed = web.post(
                "/api/v1/session", json={"username": phone, "password": DEMO_PASSWORD}
            )
            assert signed.status_code == 200, signed.text
        wrong = web.post(
            "/api/v1/session", json={"username": STUDENTS[1].registry_no[1:], "password": "x"}
        )
        assert wrong.status_code == 401
        admin = web.post(
            "/api/v1/session", json={"username": "haikou-admin", "password": DEMO_PASSWORD}
        ).json()["token"]
        typed = quote(STUDENTS[0].registry_no.translate(FULL_WIDTH))
        shown = web.get(f"/api/v1/students/{typed}", headers={"Authorization": f"Bearer {admin}"})
        assert shown.status_code == 200, shown.text
        refused = web.post(
            "/api/v1/accounts",
            json={
                "student_no": STUDENTS[2].registry_no,
                "password": "a good password 1",
                "registry_no": STUDENTS[2].registry_no,
                "name": STUDENTS[2].name,
                "gender": "1",
                "birth_date": "2016-09-21",
                "school_name": "佛山市禅城区海口小学",
            },
        )
        assert refused.json()["details"]["fields"]["student_no"] == "STUDENT_NO_RESERVED"
        sent = web.post(
            "/api/v1/sms-codes", json={"phone": "13800138006", "purpose": "parent_register"}
        )
        assert sent.status_code == 202, sent.text


def test_the_demo_keeps_no_identifier_in_clear_at_rest_or_in_its_log(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    with demo_server(var_dir) as base:
        use_the_demo(base)
        wal = (var_dir / "xueji.db-wal").read_bytes()  # while the server still holds it
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in var_dir.iterdir()}
    files = {
        "xueji.db": (var_dir / "xueji.db").read_bytes(),
        "xueji.db-wal": wal,
        "serve.log": (var_dir / "serve.log").read_bytes(),
        "sms-outbox.jsonl": (var_dir / "sms-outbox.jsonl").read_bytes(),
    }
    assert b"GET /api/v1/students/" in files["serve.log"]  # the log was written
    leaks = [
        (name, value)
        for name, content in files.items()
        for value in identifiers()
        for spelling in (value, value.translate(FULL_WIDTH))
        if spelling.encode("utf-8") in content
    ]
    assert leaks == []
    assert stat.S_IMODE(var_dir.stat().st_mode) == 0o700
    private = {"xueji.db", "xueji.db-wal", "xueji.db-shm", "secret.key", "sms-outbox.jsonl"}
    assert {name: modes[name] for name in private} == dict.fromkeys(private, 0o600)
