"""``xueji keys rotate`` as an operator runs it, on the demo served by ``xueji serve``
started with both keys: the server keeps signing people in and finding students by
number through the switch, without a restart; the key file then holds the new key,
and a process started with the old one is refused, saying why."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx

from tests.e2e.conftest import XUEJI, cli_env, demo_server, run_cli
from xueji.demo.load import DEMO_PASSWORD, PARENTS, STUDENTS

NEW_KEY = "a freshly generated master key of 44 chars!!"


def served_as_before(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as web:
        for phone, _ in PARENTS:
            signed = web.post(
                "/api/v1/session", json={"username": phone, "password": DEMO_PASSWORD}
            )
            assert signed.status_code == 200, signed.text
        admin = web.post(
            "/api/v1/session", json={"username": "haikou-admin", "password": DEMO_PASSWORD}
        ).json()["token"]
        for student in STUDENTS[:3]:
            shown = web.get(
                f"/api/v1/students/{quote(student.registry_no)}",
                headers={"Authorization": f"Bearer {admin}"},
            )
            assert shown.status_code == 200, shown.text


def test_rotating_the_key_under_a_running_server(tmp_path: Path) -> None:
    with demo_server(tmp_path, XUEJI_NEW_SECRET_KEY=NEW_KEY) as base:
        served_as_before(base)
        old_key = (tmp_path / "secret.key").read_text().strip()
        missing = run_cli("keys", "rotate", "--json", var_dir=tmp_path)
        assert missing.returncode != 0 and "KEY_NEW_MISSING" in missing.stderr
        rotated = subprocess.run(
            [str(XUEJI), "keys", "rotate", "--json", "--batch", "10"],
            capture_output=True,
            text=True,
            env=cli_env(tmp_path, XUEJI_NEW_SECRET_KEY=NEW_KEY),
            timeout=120,
        )
        assert rotated.returncode == 0, rotated.stderr
        printed = json.loads(rotated.stdout)
        assert set(printed) == {"rows"} and printed["rows"] > len(STUDENTS)
        served_as_before(base)  # the same server, not restarted

    assert (tmp_path / "secret.key").read_text().strip() == NEW_KEY
    assert run_cli("audit", "verify", var_dir=tmp_path).returncode == 0
    refused = subprocess.run(
        [str(XUEJI), "audit", "verify"],
        capture_output=True,
        text=True,
        env=cli_env(tmp_path, XUEJI_SECRET_KEY=old_key),
        timeout=60,
    )
    assert refused.returncode != 0
    assert "KEY_MISMATCH" in refused.stderr and "轮换前的旧主密钥" in refused.stderr
    with demo_server(tmp_path, XUEJI_SECRET_KEY=NEW_KEY) as base:
        served_as_before(base)
