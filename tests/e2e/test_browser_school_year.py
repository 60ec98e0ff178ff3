"""The school year in a real Chromium, on a demo of its own (it renames a school and
promotes classes): the region administrator starts at the overview, corrects a school's
name, previews and confirms 学年升级; the school's clerk approves the demo's own
phone-change application (a third guardian, no dead end) and re-enrolls a student who
had withdrawn — each irreversible step only once its box is ticked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import demo_server
from tests.e2e.test_browser import sign_in
from xueji.demo.load import STUDENTS


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出登录").click()


def test_a_school_year_through_the_pages(browser_page: Any, tmp_path: Path) -> None:
    page = browser_page
    with demo_server(tmp_path) as base:
        sign_in(page, base, "foshan")
        assert page.locator("h1").first.inner_text() == "概览"
        assert page.locator("[data-table=students] svg.chart").count() == 1
        page.get_by_role("link", name="学校").click()
        row = page.locator("tr[data-school='1144060401']")
        row.get_by_label("新的学校全称").fill("佛山市禅城区海口中心小学")
        row.get_by_label("更正原因").fill("更名批文")
        row.get_by_role("button", name="更正").click()
        assert "学校全称已更正" in page.get_by_role("status").inner_text()
        page.get_by_role("link", name="学年升级").click()
        page.get_by_label("范围").select_option(label="佛山市禅城区海口中心小学")
        page.get_by_role("button", name="预览").click()
        promoted = page.locator("[data-count=promoted]").inner_text()
        assert int(promoted) > 0 and "四年级" in page.locator("table").inner_text()
        page.get_by_role("button", name="确认学年升级").click()  # not ticked: nothing done
        assert page.get_by_role("status").count() == 0
        page.get_by_label("我已核对以上人数，确认升级（不可撤销）").check()
        page.get_by_role("button", name="确认学年升级").click()
        assert f"升级 {promoted} 人" in page.get_by_role("status").inner_text()
        assert "本学年已升级过" in page.content()
        sign_out(page)

        sign_in(page, base, "haikou-admin")
        assert page.locator("[data-todo]").first.inner_text().endswith("1")  # the application
        page.get_by_role("link", name="家长联系方式变更申请待审核").click()
        application = page.locator("tr[data-application]").first
        application.get_by_label("已核对申请人与孩子的关系").check()
        application.get_by_role("button", name="审核通过").click()
        state = page.locator("tr[data-application] [data-state]").first.inner_text()
        assert state.startswith("已通过")

        page.get_by_role("link", name="学生名单").click()
        page.get_by_label("姓名或学籍号").fill(STUDENTS[1].registry_no[-4:])  # as shown
        page.get_by_role("button", name="查询").click()
        page.get_by_role("link", name=STUDENTS[1].name).click()
        for kind, reason in (("退学", "随父母迁居外省"), ("重新入学", "返回原校就读")):
            page.locator("select[name=kind]").select_option(label=kind)
            page.get_by_label("原因", exact=True).fill(reason)
            page.get_by_label("已核对学生和异动类型，确认办理").check()
            page.get_by_role("button", name="办理").click()
            assert "学籍异动已办理" in page.get_by_role("status").inner_text()
        assert "在籍在校" in page.locator(".facts").inner_text()
