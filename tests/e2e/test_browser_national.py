"""The national record in a real Chromium, on a demo of its own: the clerk imports a
roster in the national layout, reads a child's record (sensitive fields only on
request), converts a J number once the child has a resident ID, and exports the school
for the national system."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import demo_server
from tests.e2e.test_browser import sign_in
from tests.national_files import HEADERS, read_cells, student, write_national
from tests.registry_world import number


def test_the_national_record_through_the_pages(browser_page: Any, tmp_path: Path) -> None:
    page = browser_page
    rows = [
        student(51, health="3"),
        student(52, registry_no="", document_type="8", document_no="87654321"),
    ]
    roster = write_national(tmp_path / "学生基本信息表.xlsx", rows)
    with demo_server(tmp_path / "var") as base:
        sign_in(page, base, "haikou-admin")
        page.get_by_role("link", name="批量导入").click()
        page.set_input_files("input[type=file]", str(roster))
        page.get_by_role("button", name="导入").click()
        assert page.locator("h2").first.inner_text().startswith("导入完成")
        assert page.locator("[data-count=new]").inner_text() == "2"
        with page.expect_download() as download:
            page.get_by_role("link", name="导出全国学籍系统格式（xlsx）").click()
        exported = read_cells(Path(download.value.path()))
        assert exported[0] == HEADERS
        assert {row[1] for row in exported[1:]} >= {"学生五一", "学生五二"}
        page.get_by_role("link", name="学生名单").click()
        page.get_by_label("姓名或学籍号").fill("学生五一")
        page.get_by_role("button", name="查询").click()
        page.get_by_role("link", name="学生五一").first.click()
        page.get_by_role("link", name="全国学籍信息").click()
        assert page.locator("[data-column=ethnicity]").inner_text() == "汉族"
        assert page.locator("[data-column=health]").count() == 0
        assert "健康状况" in page.locator("[data-withheld]").inner_text()
        page.get_by_role("link", name="查看本账号可见的敏感信息（将记入审计日志）").click()
        assert page.locator("[data-column=health]").inner_text() == "有慢性病"
        page.get_by_role("link", name="学生名单").click()
        page.get_by_label("姓名或学籍号").fill("学生五二")
        page.get_by_role("button", name="查询").click()
        page.get_by_role("link", name="学生五二").first.click()
        page.get_by_label("居民身份证号").fill(number(sequence="052")[1:])
        page.get_by_label("原因", exact=True).first.fill("取得身份证")
        page.get_by_label("已核对身份证原件，确认换号").check()
        page.get_by_role("button", name="换号").click()
        assert "学籍号已换为身份证号" in page.get_by_role("status").inner_text()
        assert page.locator("[data-former-number]").count() == 1
