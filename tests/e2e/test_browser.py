"""Pages in a real Chromium against ``xueji serve``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.import_files_helper import row, write_csv
from xueji.demo.load import DEMO_PASSWORD, STUDENTS, demo_number
from xueji.domain.masking import mask_phone


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
    page.wait_for_url(live_server + "/dashboard")  # an administrator starts at what waits
    assert page.locator("h1").first.inner_text() == "概览"
    assert "海口小学信息管理员（学校信息管理员）" in page.content()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(live_server + "/login")


def test_import_then_correct_through_the_pages(
    live_server: str, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    sign_in(page, live_server, "haikou-admin")
    wrong_name = demo_number("440604", "20170301", "011")
    path = write_csv(
        tmp_path / "名单.csv",
        [
            row(
                wrong_name,
                "周小明",
                birth="2017-03-01",
                grade="2",
                class_name="二年级(1)班",
                phone="13900000011",
            ),
            row("G445222202508211234", "错号", birth="2025-08-21"),
        ],
    )
    page.get_by_role("link", name="批量导入").click()
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="检查").click()
    assert page.locator("[data-count=new]").inner_text() == "1"
    assert page.locator("[data-count=rejected]").inner_text() == "1"
    assert "应为“0”" in page.locator("table.grid").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载错误报告（xlsx）").click()
    assert download.value.suggested_filename == "import-errors.xlsx"
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="导入").click()
    assert page.locator("h2").first.inner_text().startswith("导入完成")
    page.get_by_role("link", name="学生名单").click()
    page.get_by_label("姓名或学籍号").fill(wrong_name)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name="周小明").first.click()
    page.get_by_role("link", name="学生信息维护").click()
    page.get_by_label("学生姓名").fill("周晓明")
    page.get_by_label("更正原因（必填）").fill("按户口簿更正")
    page.get_by_role("button", name="保存更正").click()
    assert page.get_by_role("status").inner_text() == "已保存更正，并已通知平台刷新。"
    assert page.locator("h1").inner_text() == "周晓明"
    # the same file again: the check names the student and field; importing keeps the fix
    page.get_by_role("link", name="批量导入").click()
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="检查").click()
    assert page.locator("[data-count=differs]").inner_text() == "1"
    differs = page.locator("table[data-changes]").inner_text()
    assert "姓名" in differs and "周晓明" in differs and "周小明" in differs
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="导入").click()
    assert page.locator("[data-count=changed]").inner_text() == "0"
    page.get_by_role("link", name="学生名单").click()
    page.get_by_label("姓名或学籍号").fill(wrong_name)
    page.get_by_role("button", name="查询").click()
    assert page.get_by_role("link", name="周晓明").count() == 1


def sign_in(page: Any, base: str, username: str, landing: str = "") -> None:
    """Through the login page; ``landing``: where the role starts (administrators at the
    overview, a head teacher at the home page)."""
    if not landing:
        landing = "/" if username == "haikou-teacher" else "/dashboard"
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + landing)


def last_sms_code(var_dir: Path, phone: str) -> str:
    """The code of the latest text the development sender wrote for ``phone``."""
    outbox = (var_dir / "sms-outbox.jsonl").read_text(encoding="utf-8").splitlines()
    message = next(json.loads(m)["message"] for m in reversed(outbox) if mask_phone(phone) in m)
    code = re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", message)
    assert code, message
    return code.group(0)


def test_register_ask_a_guardian_then_see_and_correct_the_difference(
    live_instance: tuple[str, Path], browser_page: Any
) -> None:
    """A student registers with one wrong character: told only which field differs; asks
    for a code on the guardian's phone, types it in; is then told how it differs, and
    corrects it: active."""
    live_server, var_dir = live_instance
    page = browser_page
    page.goto(live_server + "/register")
    page.get_by_label("学生号（自己设定，登录用）").fill("abudu2016")
    page.get_by_label("密码").fill("a good password 1")
    page.get_by_label("学籍号").fill(demo_number("650102", "20160921", "013").lower())
    page.get_by_label("姓名").fill("阿卜杜.艾力")
    page.get_by_label("性别").select_option("1")
    page.get_by_label("出生日期").fill("2016-09-21")
    page.get_by_label("学校全称").fill("佛山市禅成区海口小学")
    page.get_by_role("button", name="注册").click()
    page.wait_for_url(live_server + "/student")
    assert page.locator("[data-status]").inner_text() == "未激活（信息与学籍不一致）"
    reason = page.get_by_role("region", name="未激活原因").inner_text()
    assert "学校全称与学籍登记的不一致" in reason and "同音字" not in reason
    page.get_by_role("button", name="发送验证码到监护人手机").click()
    assert "验证码已发送" in page.get_by_role("status").inner_text()
    page.get_by_label("验证码或激活码").fill(last_sms_code(var_dir, "13800138004"))
    page.get_by_role("button", name="确认", exact=True).click()
    reason = page.get_by_role("region", name="未激活原因").inner_text()
    assert "学校全称与学籍登记的不一致：同音字（您填写的第 5 个字符处）" in reason
    page.get_by_label("学校全称").fill("佛山市禅城区海口小学")
    page.get_by_role("button", name="重新核对").click()
    assert page.locator("[data-status]").inner_text() == "已激活"


def test_suspended_student_sees_why_homework_is_closed(live_server: str, browser_page: Any) -> None:
    page = browser_page
    sign_in(page, live_server, "zhangli2015", landing="/student")
    for _ in range(50):  # the in-process worker applies the demo's suspension event
        if page.locator("[data-limit]").count():
            break
        page.wait_for_timeout(100)
        page.reload()
    assert "休学期间" in page.locator("[data-limit]").inner_text()
    homework = page.locator("tr", has_text="口算练习（第一周）")
    assert homework.get_by_role("button", name="提交作业").is_disabled()
    assert "休学期间暂停作业提交" in homework.locator("[data-refusal]").inner_text()
    assert page.get_by_role("link", name="查看我的电子学籍档案").count() == 0
    course = page.locator("tr", has_text="三年级数学")
    course.get_by_role("button", name="回放").click()
    assert page.get_by_role("status").inner_text() == "正在回放"
    page.get_by_role("link", name="口算练习（第一周）").click()
    assert "休学期间" in page.locator("[data-refused=SUSPENDED]").inner_text()


def test_parent_with_an_unknown_phone_applies_and_is_bound_after_approval(
    live_instance: tuple[str, Path], browser_page: Any
) -> None:
    base, var_dir = live_instance
    page, phone, password = browser_page, "13700001111", "parent password 1"
    page.goto(base + "/parent/register")
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    assert "验证码已发送" in page.get_by_role("status").inner_text()
    page.get_by_label("验证码").fill(last_sms_code(var_dir, phone))
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="注册").click()
    page.wait_for_url(base + "/parent")
    assert page.get_by_role("alert").inner_text() == "没有该用户"

    page.get_by_label("孩子的学籍号").fill(STUDENTS[1].registry_no)
    page.get_by_label("孩子的姓名").fill("李华")
    page.get_by_label("监护人姓名（您的姓名）").fill("王秀兰")
    page.get_by_label("与孩子的关系").select_option(label="母亲")
    page.get_by_role("button", name="提交申请").click()
    assert page.locator("tr[data-application] [data-state]").first.inner_text() == "待班主任转交"
    page.get_by_role("button", name="退出登录").click()

    masked = mask_phone(phone)
    sign_in(page, base, "haikou-teacher")
    page.goto(base + "/phone-change-applications")
    row = page.locator("tr", has_text=masked)
    assert "李建国（父亲）138****8003" in row.inner_text()
    assert phone not in row.inner_text() and row.get_by_text("查看完整号码").count() == 0
    row.get_by_role("button", name="转交学校").click()
    assert page.locator("tr", has_text=masked).locator("[data-state]").inner_text() == "待学校审核"
    page.get_by_role("button", name="退出登录").click()

    sign_in(page, base, "haikou-admin")
    page.goto(base + "/phone-change-applications")
    page.locator("tr", has_text=masked).get_by_role("link", name="查看完整号码（记入审计）").click()
    approving = page.locator("tr", has_text=phone)
    approving.get_by_role("button", name="审核通过").click()  # not yet ticked: nothing happens
    assert approving.locator("[data-state]").inner_text() == "待学校审核"
    approving.get_by_label("已核对申请人与孩子的关系").check()
    approving.get_by_role("button", name="审核通过").click()
    state = page.locator("tr", has_text=masked).locator("[data-state]").inner_text()
    assert state.startswith("已通过")
    page.get_by_role("button", name="退出登录").click()

    page.goto(base + "/login")
    page.get_by_label("用户名").fill(phone)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/parent")
    for _ in range(50):  # the in-process worker applies the guardian change
        if page.locator("[data-child]").count():
            break
        page.wait_for_timeout(100)
        page.reload()
    child = page.locator("[data-child]")
    assert child.count() == 1 and "李华" in child.inner_text()


def test_an_administrator_on_a_phone_reads_whole_menu_items_and_ticks_boxes_by_their_words(
    live_server: str, browser_page: Any
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "haikou-admin")
    links = page.locator("nav.menu a")
    assert links.count() >= 5
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None and box["height"] < 32, links.nth(index).inner_text()
        assert box["x"] + box["width"] <= 390  # nothing runs off the screen
    page.goto(live_server + "/schools/1144060401/unmatched")
    box = page.locator("input[name=fields]").first.bounding_box()
    words = page.locator("label.inline").first.bounding_box()
    assert box is not None and words is not None
    assert words["y"] <= box["y"] + box["height"] / 2 <= words["y"] + words["height"]
    assert box["width"] < 40  # a box, not a field across the page
