"""End-to-end tier: the real app over HTTP (both databases), the CLI as a user runs it,
and the pages in a real Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import NOW, TEST_MASTER_KEY
from tests.databases import BACKENDS, migrated_engine, reset
from tests.registry_world import PASSWORD, build_world, register
from xueji.app import create_app
from xueji.config import Settings
from xueji.container import Container
from xueji.db.scope import transaction
from xueji.domain.clock import FixedClock

CHROMIUM = Path("/usr/bin/chromium")
Headers = Callable[[str], dict[str, str]]
XUEJI = Path(sys.executable).parent / "xueji"


@pytest.fixture(scope="session", params=BACKENDS)
def app_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with migrated_engine(request.param, tmp_path_factory.mktemp(request.param)) as built:
        yield built


@pytest.fixture
def app_clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def client(app_engine: Engine, app_clock: FixedClock, tmp_path: Path) -> Iterator[TestClient]:
    reset(app_engine)
    settings = Settings(
        var_dir=tmp_path, database_url=str(app_engine.url), secret_key=TEST_MASTER_KEY.decode()
    )
    container = Container.build(settings, engine=app_engine, clock=app_clock)
    with TestClient(create_app(container=container), base_url="http://testserver") as test_client:
        yield test_client


def cli_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
    env.update({"XUEJI_VAR_DIR": str(var_dir), **extra})
    return env


def run_cli(*args: str, var_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(XUEJI), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=cli_env(var_dir),
        timeout=120,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``xueji serve`` as ``make run`` starts it: migrated, demo data, real port; its base
    URL and its data directory (where the development SMS sender writes)."""
    var_dir = tmp_path_factory.mktemp("live")
    with demo_server(var_dir) as base:
        yield base, var_dir


@contextmanager
def demo_server(var_dir: Path, **serve_env: str) -> Iterator[str]:
    """A migrated ``xueji serve`` with the demo data in ``var_dir``, on a free port: its
    base URL while the block runs (its log: ``var_dir/serve.log``); ``serve_env``: more
    settings for the server alone."""
    for command in (("db", "upgrade"), ("demo", "load")):
        done = run_cli(*command, var_dir=var_dir)
        assert done.returncode == 0, done.stderr
    port = _free_port()
    log = (var_dir / "serve.log").open("w")
    process = subprocess.Popen(
        [str(XUEJI), "serve", "--port", str(port)],
        env=cli_env(var_dir, **serve_env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def live_server(live_instance: tuple[str, Path]) -> str:
    return live_instance[0]


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("xueji serve exited early")
        try:
            httpx.get(base + "/login", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("xueji serve did not start in 30 s")


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("XUEJI_REQUIRE_BROWSER") == "1":
            pytest.fail("XUEJI_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip("browser tests skipped: install Debian's chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            locale="zh-CN",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            yield context.new_page()
        finally:
            context.close()


@pytest.fixture
def as_user(client: TestClient) -> Headers:
    """Sign-in headers by username, in a registry built by ``build_world``."""
    container = client.app.state.container  # type: ignore[attr-defined]
    with transaction(container.sessions) as session:
        world = build_world(session, container.clock)
        register(session, container.clock, world)
    tokens: dict[str, str] = {}

    def headers(username: str) -> dict[str, str]:
        if username not in tokens:
            response = client.post(
                "/api/v1/session", json={"username": username, "password": PASSWORD}
            )
            tokens[username] = response.json()["token"]
        return {"Authorization": f"Bearer {tokens[username]}"}

    return headers


def create_student(
    client: TestClient, admin: dict[str, str], registry_no: str, name: str, school: str
) -> None:
    """Registers a student born 2016-02-11 (male) with one guardian, through the API."""
    created = client.post(
        "/api/v1/students",
        json={
            "registry_no": registry_no,
            "name": name,
            "gender": "1",
            "birth_date": "2016-02-11",
            "school_code": school,
            "guardians": [{"name": "赵大", "relation": "父亲", "phone": "13700137001"}],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text


def guardian_sms_code(client: TestClient) -> str:
    """The latest guardian-consent code the development SMS sender wrote."""
    import json
    import re

    outbox = Path(client.app.state.container.settings.var_dir) / "sms-outbox.jsonl"  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    message = next(m["message"] for m in reversed(lines) if "学生账号激活确认" in m["message"])
    found = re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", message)
    assert found, message
    return found.group(0)


def guardian_consents(client: TestClient, student: dict[str, str]) -> dict[str, object]:
    """The student asks for guardian codes; the guardian reads the code out; the student
    types it. Returns the account as answered."""
    asked = client.post("/api/v1/me/guardian-codes", headers=student)
    assert asked.status_code == 202, asked.text
    verified = client.post(
        "/api/v1/me/verification", json={"code": guardian_sms_code(client)}, headers=student
    )
    assert verified.status_code == 200, verified.text
    body: dict[str, object] = verified.json()
    return body
