"""Pages in a real Chromium against ``xueji serve``."""

from __future__ import annotations

from typing import Any

from xueji.demo.load import DEMO_PASSWORD


def test_sign_in_through_the_page_shows_the_chinese_home(
    live_server: str, browser_page: Any
) -> None:
    page = browser_page
    page.goto(live_server + "/")
    assert page.url.endswith("/login")
    assert page.locator("h1").inner_text() == "登录"
    page.get_by_label("用户名").fill("haikou-admin")
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误"
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/")
    assert page.locator("h1").inner_text() == "欢迎，海口小学信息管理员"
    assert "学校信息管理员" in page.content()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(live_server + "/login")
