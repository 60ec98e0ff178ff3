"""The national layout as people use it: ``xueji registry export`` and the HTTP API."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from fastapi.testclient import TestClient

from tests.e2e.conftest import Headers, run_cli
from tests.e2e.test_import_cli_api import demo_registry
from tests.national_files import HEADERS, read_cells, student, write_national
from tests.registry_world import HAIKOU
from xueji.demo.load import HAIKOU_SCHOOL_CODE


def test_cli_export_contract(tmp_path: Path) -> None:
    var = demo_registry(tmp_path / "var")
    rows = [student(41), student(42, registry_no="", document_type="8", document_no="87654321")]
    path = write_national(tmp_path / "national.xlsx", rows)
    done = run_cli(
        "registry", "import", str(path), "--school", HAIKOU_SCHOOL_CODE, "--json", var_dir=var
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["new"] == 2
    output = tmp_path / "out.xlsx"
    exported = run_cli(
        "registry",
        "export",
        "--school",
        HAIKOU_SCHOOL_CODE,
        "--format",
        "national",
        "--output",
        str(output),
        var_dir=var,
    )
    assert exported.returncode == 0, exported.stderr
    # the demo's students registered by hand have no national record to report yet
    assert "名学生还没有全国学籍信息" in exported.stdout
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    cells = read_cells(output)
    assert cells[0] == HEADERS
    by_name = {row[1]: row for row in cells[1:]}
    assert str(by_name["学生四一"][0]) == rows[0]["registry_no"]
    assert str(by_name["学生四二"][0]).startswith("J440604")
    assert by_name["学生四二"][HEADERS.index("身份证件号")] == "87654321"


def test_cli_export_refusals(tmp_path: Path) -> None:
    var = demo_registry(tmp_path / "var")
    base = ("registry", "export", "--school", HAIKOU_SCHOOL_CODE, "--output")
    wrong = run_cli(*base, str(tmp_path / "a.xlsx"), "--format", "csv", var_dir=var)
    assert wrong.returncode != 0 and "CLI_USAGE" in wrong.stderr
    nowhere = run_cli(*base, str(tmp_path / "missing" / "a.xlsx"), var_dir=var)
    assert nowhere.returncode != 0 and "REPORT_PATH_UNWRITABLE" in nowhere.stderr
    assert "无法写入导出文件" in nowhere.stderr
    unknown = run_cli(
        "registry",
        "export",
        "--school",
        "9999999999",
        "--output",
        str(tmp_path / "b.xlsx"),
        var_dir=var,
    )
    assert unknown.returncode != 0 and "NOT_FOUND" in unknown.stderr
    assert not (tmp_path / "b.xlsx").exists()


def test_api_national_template_upload_and_export(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    admin = as_user("haikou-admin")
    template = client.get("/api/v1/national-template.xlsx", headers=admin)
    assert template.status_code == 200
    assert read_cells(template.content)[0] == HEADERS
    url = f"/api/v1/schools/{HAIKOU}/imports"
    blank = client.post(url, files={"file": ("空.xlsx", template.content)}, headers=admin)
    assert (blank.json()["new"], blank.json()["rejected"]) == (0, 0)
    path = write_national(tmp_path / "学生基本信息表.xlsx", [student(7), student(8, ethnicity="x")])
    files = {"file": (path.name, path.read_bytes())}
    done = client.post(url, files=files, headers=admin).json()
    assert (done["new"], done["rejected"]) == (1, 1)
    assert done["errors"][0]["code"] == "ETHNICITY_INVALID"
    assert client.get(done["report_url"], headers=admin).status_code == 200
    export = f"/api/v1/schools/{HAIKOU}/export.xlsx?format=national"
    answer = client.get(export, headers=admin)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    rows = {row[1]: dict(zip(HEADERS, row, strict=True)) for row in read_cells(answer.content)[1:]}
    assert set(rows) == {"学生七", "陈小明"}
    # registered by hand, without a national record: the guardians are its members
    registered = rows["陈小明"]
    assert (registered["成员1是否监护人"], registered["民族"]) == ("1", None)
    assert registered["成员1联系电话"] is not None
    assert client.get(export, headers=as_user("haikou-teacher")).status_code == 403
    assert client.get(export, headers=as_user("huajing-admin")).status_code == 404
    assert client.get(f"{export[:-8]}xml", headers=admin).status_code == 422
