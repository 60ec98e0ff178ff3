"""The administrators' overview and the region's schools, as their users meet them: the
home page leads an administrator to what waits for them; counts by grade and status,
accounts by state and by mismatch, events waiting, each with a chart drawn on the
server and an Excel export; a region registers a school and corrects its name."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.e2e.conftest import Headers
from tests.e2e.test_accounts_api import register
from tests.e2e.test_registry_pages import page_login
from tests.registry_world import HAIKOU
from xueji.platform import statistics


def test_a_school_administrator_starts_at_the_overview(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    assert register(client, name="陈晓明").json()["status"] == "pending"  # one mismatch
    page_login(client, "haikou-admin")
    home = client.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (303, "/dashboard")
    page = client.get("/dashboard").text
    assert (
        '<a href="/schools/1144060401/unmatched">未激活的学生账号（待匹配）</a>：<strong>1</strong>'
        in page
    )
    students = page.split('data-table="students"')[1].split("</section>")[0]
    assert "<td>三年级</td><td>1</td><td>0</td><td>0</td><td>0</td><td>1</td>" in students
    assert '<svg class="chart" role="img"' in students and "三年级 1" in students
    mismatches = page.split('data-table="mismatches"')[1].split("</section>")[0]
    assert "<td>姓名</td><td>1</td>" in mismatches
    assert "<td>学籍号没有对应的学生</td><td>0</td>" in mismatches
    exported = client.get("/dashboard/students.xlsx")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "学生（按年级和学籍状态）"
    assert rows[2][:2] == ("年级", "在籍在校") and rows[3][:2] == ("三年级", 1)
    assert client.get("/dashboard/nothing.xlsx").status_code == 404


def test_the_region_sees_its_schools_registers_one_and_corrects_a_name(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    token = page_login(client, "foshan")
    listed = client.get("/schools").text
    assert f'data-school="{HAIKOU}"' in listed and "三年级 1" in listed
    assert "1144010601" not in listed  # another region's school
    created = client.post(
        "/schools",
        data={
            "school_code": "1144060402",
            "name": "佛山市禅城区石湾小学",
            "region_code": "440604",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert "学校已登记" in client.get(created.headers["location"]).text
    outside = client.post(
        "/schools",
        data={
            "school_code": "1144010699",
            "name": "广州市某小学",
            "region_code": "440106",
            "csrf_token": token,
        },
    )
    assert outside.status_code == 403 and "广州市某小学" in outside.text
    unexplained = client.post(
        f"/schools/{HAIKOU}/name",
        data={"name": "佛山市禅城区海口中心小学", "reason": "", "csrf_token": token},
    )
    assert unexplained.status_code == 422 and "佛山市禅城区海口中心小学" in unexplained.text
    renamed = client.post(
        f"/schools/{HAIKOU}/name",
        data={"name": "佛山市禅城区海口中心小学", "reason": "更名", "csrf_token": token},
        follow_redirects=False,
    )
    assert renamed.status_code == 303
    assert "佛山市禅城区海口中心小学" in client.get("/schools").text
    overview = client.get("/dashboard").text
    assert "全部 2 所学校" in overview
    one = client.get(f"/dashboard?school={HAIKOU}").text
    assert "概览：佛山市禅城区海口中心小学" in one and f"students.xlsx?school={HAIKOU}" in one


def test_only_administrators_see_the_overview_and_only_regions_the_schools(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    page_login(client, "haikou-teacher")
    assert client.get("/dashboard").status_code == 403
    page_login(client, "haikou-admin")
    assert client.get("/schools").status_code == 403
    assert client.get("/dashboard?school=1144010601").status_code == 404


def test_the_mismatch_count_says_how_many_it_left_out(
    client: TestClient, as_user: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user("haikou-admin")
    for student_no, name in (("chen2016", "陈晓明"), ("chen2017", "陈小名")):
        registered = register(client, student_no=student_no, name=name).json()
        assert registered["status"] == "pending"
    monkeypatch.setattr(statistics, "MISMATCH_SAMPLE", 1)
    page_login(client, "haikou-admin")
    mismatches = client.get("/dashboard").text.split('data-table="mismatches"')[1]
    assert "<td>姓名</td><td>1</td>" in mismatches and "另有 1 个账号未计入" in mismatches
