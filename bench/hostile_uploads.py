"""The server's memory while it refuses files shaped to exhaust it: an .xlsx of a few KB
whose one far cell sits at ``XFD1048576``, and a 4 MB CSV whose header has a million
columns. Starts ``xueji serve`` on SQLite (as ``make run`` does), uploads each file as a
school administrator, and prints the answer, its time, and the server's peak resident
memory (``VmHWM``) before and after — beside the same figures for an ordinary 100-row file
in the same run.

    .venv/bin/python bench/hostile_uploads.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the files' makers live in tests/
from tests.import_files_helper import row, write_csv
from tests.unit.test_import_limits import far_cell_xlsx

from bench_common import env_for, free_port, start, stop, wait_until_up
from xueji.demo.load import HAIKOU_SCHOOL_CODE, demo_number

IMPORTS = f"/api/v1/schools/{HAIKOU_SCHOOL_CODE}/imports?dry_run=true"


def peak_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def upload(base: str, token: str, path: Path, pid: int) -> None:
    before = peak_mib(pid)
    started = time.perf_counter()
    answer = httpx.post(
        base + IMPORTS,
        files={"file": (path.name, path.read_bytes())},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    seconds = time.perf_counter() - started
    code = answer.json().get("code", "—") if answer.status_code != 200 else "accepted"
    size = path.stat().st_size / 1024
    print(
        f"  {path.name:<14} {size:9,.1f} KiB  → {answer.status_code} {code:<24}"
        f" {seconds * 1000:7.0f} ms   server peak {before:6.1f} → {peak_mib(pid):6.1f} MiB"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        env = env_for(f"sqlite:///{work / 'xueji.db'}", work)
        for command in (["db", "upgrade"], ["demo", "load"]):
            assert start(command, env, work / "setup.log").wait(timeout=300) == 0
        port = free_port()
        server = start(["serve", "--port", str(port)], env, work / "serve.log")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, server)
            body = {"username": "haikou-admin", "password": "xueji-demo-2026"}
            token = httpx.post(base + "/api/v1/session", json=body).json()["token"]
            ordinary = write_csv(
                work / "ordinary.csv",
                [
                    row(
                        demo_number("440604", "20170301", f"{2 * i + 1:03d}"),
                        "周一",
                        birth="2017-03-01",
                    )
                    for i in range(100)
                ],
            )
            wide = work / "wide.csv"
            wide.write_bytes(("学籍号" + "," * 1_000_000 + "\n").encode())
            far = far_cell_xlsx(work / "far.xlsx", "XFD1048576")
            print("xueji serve (SQLite), dry-run uploads as a school administrator:")
            for path in (ordinary, far, wide):
                upload(base, token, path, server.pid)
        finally:
            stop(server)


if __name__ == "__main__":
    main()
