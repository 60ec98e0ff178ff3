"""The school year from outside: a withdrawn student re-enrolled through the API; 学年升级
previewed and confirmed on its page (refused without the ticked box, or when the counts
changed since the preview), the result shown after a redirect; and
``xueji registry promote`` as an operator runs it."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from tests.e2e.conftest import Headers, run_cli
from tests.e2e.test_registry_pages import page_login
from tests.registry_world import HAIKOU, number
from xueji.demo.load import HAIKOU_SCHOOL_CODE


def test_a_withdrawn_student_is_reenrolled_at_the_same_school(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    url = f"/api/v1/students/{number()}/enrollment-changes"
    early = client.post(url, json={"kind": "reenroll", "reason": "回校"}, headers=admin)
    assert early.status_code == 409 and early.json()["code"] == "ILLEGAL_TRANSITION"
    client.post(url, json={"kind": "withdraw", "reason": "随父母迁居"}, headers=admin)
    back = client.post(url, json={"kind": "reenroll", "reason": "返回原校"}, headers=admin)
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "enrolled"


def csrf(client: TestClient) -> str:
    return client.cookies["xueji_csrf"]


def test_promotion_is_previewed_then_confirmed_on_its_page(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    page_login(client, "haikou-admin")
    preview = client.get("/promotion").text
    assert "三年级(1)班" in preview and "四年级(1)班" in preview
    assert 'data-count="promoted">1<' in preview
    form = {"school": "", "region": "", "promoted": "1", "graduated": "0"}
    unticked = client.post("/promotion", data={**form, "csrf_token": csrf(client)})
    assert unticked.status_code == 422 and "勾选确认" in unticked.text
    stale = client.post(
        "/promotion",
        data={**form, "promoted": "7", "confirmed": "true", "csrf_token": csrf(client)},
    )
    assert stale.status_code == 409 and "人数已更新" in stale.text
    done = client.post(
        "/promotion",
        data={**form, "confirmed": "true", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"]).text
    assert "学年升级完成：升级 1 人，毕业 0 人" in shown and "本学年已升级过" in shown
    classes = client.get(f"/api/v1/schools/{HAIKOU}/classes", headers=admin).json()
    assert [(c["grade"], c["name"]) for c in classes] == [(4, "四年级(1)班"), (4, "四年级(2)班")]
    # sent twice (or after the region promoted): the page says it was done, not that the
    # counts changed
    again = client.post(
        "/promotion", data={**form, "confirmed": "true", "csrf_token": csrf(client)}
    )
    assert again.status_code == 409 and "本学年已升级过" in again.text
    assert "人数已更新" not in again.text
    # the notice is made from numbers: a link cannot make the page say anything else
    forged = client.get("/promotion", params={"done": "升级 0 人，毕业 312 人"}).text
    assert "学年升级完成" not in forged and "312" not in forged


def test_a_head_teacher_has_no_promotion(client: TestClient, as_user: Headers) -> None:
    as_user("haikou-admin")
    page_login(client, "haikou-teacher")
    assert client.get("/promotion").status_code == 403
    assert "学年升级" not in client.get("/students").text


def test_registry_promote_cli(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", var_dir=tmp_path).returncode == 0
    assert run_cli("demo", "load", var_dir=tmp_path).returncode == 0
    school = ("--school", HAIKOU_SCHOOL_CODE)
    preview = run_cli("registry", "promote", *school, "--dry-run", "--json", var_dir=tmp_path)
    assert preview.returncode == 0, preview.stderr
    counts = json.loads(preview.stdout)
    assert set(counts) == {"promoted", "graduated"} and counts["promoted"] > 0
    done = run_cli("registry", "promote", "--region", "4406", "--json", var_dir=tmp_path)
    assert json.loads(done.stdout) == counts
    again = run_cli("registry", "promote", *school, var_dir=tmp_path)
    assert again.returncode == 2 and "PROMOTED" in again.stderr
    both = run_cli("registry", "promote", *school, "--region", "4406", var_dir=tmp_path)
    assert both.returncode == 2 and "CLI_USAGE" in both.stderr
    assert run_cli("audit", "verify", var_dir=tmp_path).returncode == 0
    assert HAIKOU == HAIKOU_SCHOOL_CODE


def test_a_platform_administrator_names_the_region_on_the_page(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    page_login(client, "ops")
    asked = client.get("/promotion").text
    assert 'name="region"' in asked and "行政区划代码" in asked
    region = client.get("/promotion", params={"region": "4406"}).text
    assert "三年级(1)班" in region and "四年级(1)班" in region  # 海口小学's preview
