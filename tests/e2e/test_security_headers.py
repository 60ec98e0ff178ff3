"""What every answer tells the browser: no framing, no sniffing, no third-party origin,
nothing kept in a cache once a session is involved; and what the service believes of
``X-Forwarded-For``."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2 as httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import TEST_MASTER_KEY
from tests.e2e.conftest import Headers, create_student
from tests.registry_world import HAIKOU, number
from xueji.app import create_app
from xueji.config import Settings
from xueji.container import Container
from xueji.domain.clock import FixedClock


def test_pages_forbid_framing_sniffing_and_other_origins(client: TestClient) -> None:
    answer = client.get("/login")
    policy = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert "http" not in policy  # no third-party origin anywhere
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in answer.headers


def test_nothing_answered_to_a_session_is_cached(client: TestClient, as_user: Headers) -> None:
    admin = as_user("haikou-admin")
    create_student(client, admin, number(sequence="005"), "周一", HAIKOU)
    for url in (
        f"/api/v1/students/{number(sequence='005')}?reveal=true",
        f"/api/v1/students/{number(sequence='005')}/info-sheet.pdf",
        "/api/v1/me",
    ):
        answer = client.get(url, headers=admin)
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == "no-store", url


def test_hsts_is_sent_when_the_service_is_behind_https(
    app_engine: Engine, app_clock: FixedClock, tmp_path: Path
) -> None:
    settings = Settings(
        var_dir=tmp_path,
        database_url=str(app_engine.url),
        secret_key=TEST_MASTER_KEY.decode(),
        cookie_secure=True,
    )
    container = Container.build(settings, engine=app_engine, clock=app_clock)
    with TestClient(create_app(container=container)) as secure:
        assert secure.get("/login").headers["strict-transport-security"].startswith("max-age=")


def test_the_api_documentation_needs_no_internet(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert not re.search(r"(src|href)=\"https?://", page.text)
    for asset in re.findall(r"(?:src|href)=\"(/[^\"]+)\"", page.text):
        assert client.get(asset).status_code == 200, asset
    script_policy = page.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in script_policy
    assert client.get("/openapi.json").json()["info"]["title"].startswith("xueji")


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(live_server: str) -> None:
    """By default no proxy is trusted: an attacker cannot pick a new address for each
    guess by rewriting the header, so the per-address budget still runs out."""
    statuses = []
    for attempt in range(8):
        answer = httpx.post(
            live_server + "/api/v1/session",
            json={"username": "guangzhou", "password": f"wrong-{attempt}"},
            headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"},
        )
        statuses.append(answer.status_code)
    assert 429 in statuses


def test_only_listed_proxies_are_trusted() -> None:
    assert Settings(trusted_proxies="").uvicorn_proxy_options() == {"proxy_headers": False}
    assert Settings(trusted_proxies=" 10.0.0.2 , 10.0.0.3").uvicorn_proxy_options() == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.2,10.0.0.3",
    }
