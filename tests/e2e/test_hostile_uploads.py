"""Uploads an attacker or a careless clerk sends to a running ``xueji serve``: refused by
their declared size or their own shape, at once, before the body is read."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest

from tests.e2e.test_serve_processes import serving_processes
from tests.unit.test_import_limits import far_cell_xlsx
from xueji.demo.load import HAIKOU_SCHOOL_CODE

IMPORTS = f"/api/v1/schools/{HAIKOU_SCHOOL_CODE}/imports?dry_run=true"
BOUNDARY = "xuejiboundary"


@pytest.fixture(scope="module")
def admin_token(live_server: str) -> str:
    body = {"username": "haikou-admin", "password": "xueji-demo-2026"}
    answer = httpx.post(live_server + "/api/v1/session", json=body)
    return str(answer.json()["token"])


def server_peak_kib(base: str) -> int:
    """The serving process's peak resident memory (``VmHWM``)."""
    port = urlsplit(base).port
    assert port is not None
    [pid] = serving_processes(port)
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0])


@pytest.fixture
def memory_kept(live_server: str) -> Iterator[None]:
    """The test leaves the server's peak memory within 50 MiB of where it was."""
    before = server_peak_kib(live_server)
    yield
    assert server_peak_kib(live_server) - before < 50 * 1024


def declared_upload(base: str, *, declared: int, token: str | None) -> tuple[int, bytes, float]:
    """Headers announcing a body of ``declared`` bytes, then only its first kilobyte: the
    answer must come without the rest having been sent."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    assert host and port
    lines = [
        f"POST {IMPORTS} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {declared}",
        "Connection: close",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    started = time.perf_counter()
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b"x" * 1024)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1], time.perf_counter() - started


def test_an_anonymous_upload_is_refused_before_its_body_is_read(live_server: str) -> None:
    status, body, seconds = declared_upload(live_server, declared=50 << 20, token=None)
    assert status == 401 and b"NOT_AUTHENTICATED" in body
    assert seconds < 2


def test_an_upload_declared_over_the_limit_is_refused_at_once(
    live_server: str, admin_token: str
) -> None:
    status, body, seconds = declared_upload(live_server, declared=21 << 20, token=admin_token)
    assert status == 413 and b"IMPORT_FILE_TOO_LARGE" in body
    assert b"20 MB" in body
    assert seconds < 2


def test_a_chunked_upload_is_cut_off_when_it_passes_the_limit(
    live_server: str, admin_token: str, memory_kept: None
) -> None:
    sent = 0

    def endless() -> Iterator[bytes]:
        nonlocal sent
        disposition = 'Content-Disposition: form-data; name="file"; filename="a.csv"'
        yield f"--{BOUNDARY}\r\n{disposition}\r\n\r\n".encode()
        while sent < 200 << 20:
            sent += 1 << 20
            yield b"," * (1 << 20)

    headers = {
        "Authorization": f"Bearer {admin_token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }
    try:
        answer = httpx.post(live_server + IMPORTS, content=endless(), headers=headers, timeout=30)
    except httpx.TransportError:
        pytest.fail("the server closed the connection instead of answering")
    assert answer.status_code == 413 and answer.json()["code"] == "IMPORT_FILE_TOO_LARGE"
    assert sent == 200 << 20  # the client sent it all; the server kept none of it


def test_a_json_body_over_a_megabyte_is_refused(live_server: str) -> None:
    answer = httpx.post(
        live_server + "/api/v1/session",
        content=b'{"username": "' + b"a" * (2 << 20) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413 and answer.json()["code"] == "REQUEST_TOO_LARGE"


@pytest.mark.parametrize("kind", ["far_cell", "wide_csv"])
def test_a_file_shaped_to_exhaust_memory_is_refused_from_its_shape(
    live_server: str, admin_token: str, tmp_path: Path, kind: str, memory_kept: None
) -> None:
    if kind == "far_cell":
        path = far_cell_xlsx(tmp_path / "far.xlsx", "XFD1048576")
    else:
        path = tmp_path / "wide.csv"
        path.write_bytes(("学籍号" + "," * 1_000_000 + "\n").encode())
    started = time.perf_counter()
    answer = httpx.post(
        live_server + IMPORTS,
        files={"file": (path.name, path.read_bytes())},
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=30,
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "IMPORT_SHEET_TOO_LARGE"
    assert time.perf_counter() - started < 2
    assert httpx.get(live_server + "/login").status_code == 200  # still serving
