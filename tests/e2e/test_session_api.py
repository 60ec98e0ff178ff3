"""The session API contract, over HTTP through the real app, on both databases."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from xueji.domain.clock import FixedClock
from xueji.domain.roles import Role

PASSWORD = "correct horse battery"


def create_staff(
    client: TestClient,
    username: str = "foshan",
    role: Role = Role.REGION_ADMIN,
    region: str | None = "4406",
) -> None:
    from xueji.auth import service
    from xueji.db.scope import transaction

    container = client.app.state.container  # type: ignore[attr-defined]
    with transaction(container.sessions) as session:
        service.create_account(
            session,
            container.clock,
            username=username,
            password=PASSWORD,
            role=role,
            region_code=region,
            display_name="佛山市教育局",
        )


def sign_in(client: TestClient, password: str = PASSWORD, username: str = "foshan"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/session", json={"username": username, "password": password})


def test_sign_in_returns_token_role_and_expiry(client: TestClient, app_clock: FixedClock) -> None:
    create_staff(client)
    response = sign_in(client)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "role", "expires_at"}
    assert body["role"] == "region_admin"
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert expires == app_clock.now() + dt.timedelta(hours=12)


def test_me_and_sign_out_with_bearer_token(client: TestClient) -> None:
    create_staff(client)
    token = sign_in(client).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["username"] == "foshan"
    assert me.json()["region_code"] == "4406"
    assert me.json()["role_label"] == "区域管理员"
    assert client.delete("/api/v1/session", headers=headers).status_code == 204
    after = client.get("/api/v1/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["code"] == "NOT_AUTHENTICATED"


def test_wrong_credentials_are_401_with_a_stable_code(client: TestClient) -> None:
    create_staff(client)
    response = sign_in(client, password="wrong password")
    assert response.status_code == 401
    assert response.json() == {"code": "AUTH_FAILED", "message": "用户名或密码错误", "details": {}}


def test_throttled_sign_in_is_429_with_retry_after(
    client: TestClient, app_clock: FixedClock
) -> None:
    create_staff(client)
    for _ in range(5):
        assert sign_in(client, password="guess").status_code == 401
    throttled = sign_in(client)
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "THROTTLED"
    assert throttled.json()["retry_after"] == 1
    assert throttled.headers["Retry-After"] == "1"
    app_clock.advance(seconds=1)
    assert sign_in(client).status_code == 200


def test_malformed_request_is_422_in_chinese(client: TestClient) -> None:
    response = client.post("/api/v1/session", json={"username": 1})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert body["details"]["fields"] == {"username": "FIELD_INVALID", "password": "FIELD_REQUIRED"}
    assert body["details"]["messages"] == {"username": "须为文本", "password": "必须填写"}


def test_a_body_that_is_not_utf8_is_400_with_a_stable_code(client: TestClient) -> None:
    """The framework refuses it before any field is read; the answer still has the
    error shape and a code of its own (not the bare HTTP_ERROR)."""
    response = client.post(
        "/api/v1/session",
        content=b'{"username": "\xff"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "MALFORMED_REQUEST",
        "message": "请求内容无法解析：请检查编码（UTF-8）和格式",
        "details": {},
    }


def test_unknown_api_path_is_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_cookie_authenticated_api_writes_need_the_csrf_header(client: TestClient) -> None:
    create_staff(client)
    page = client.get("/login")
    csrf_token = page.cookies.get("xueji_csrf") or client.cookies.get("xueji_csrf")
    form = {"username": "foshan", "password": PASSWORD, "csrf_token": csrf_token}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    refused = client.delete("/api/v1/session")
    assert refused.status_code == 403
    assert refused.json()["code"] == "CSRF_FAILED"
    assert client.get("/api/v1/me").status_code == 200
    accepted = client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf_token})
    assert accepted.status_code == 204


def test_login_form_without_csrf_token_is_refused(client: TestClient) -> None:
    create_staff(client)
    client.get("/login")
    response = client.post("/login", data={"username": "foshan", "password": PASSWORD})
    assert response.status_code == 403
    assert "页面已过期" in response.text
    assert client.get("/api/v1/me").status_code == 401


def test_the_page_session_cookie_lasts_twelve_hours_by_the_browsers_own_clock(
    client: TestClient,
) -> None:
    """Max-Age, not a date: the service's clock (here fixed in the past) and the
    browser's may differ by hours, and the session must still last its twelve hours."""
    create_staff(client)
    client.get("/login")
    form = {"username": "foshan", "password": PASSWORD, "csrf_token": client.cookies["xueji_csrf"]}
    signed = client.post("/login", data=form, follow_redirects=False)
    assert signed.status_code == 303
    cookie = next(
        header
        for header in signed.headers.get_list("set-cookie")
        if header.startswith("xueji_session=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert f"Max-Age={12 * 3600}" in cookie and "expires" not in attributes
    assert client.get("/api/v1/me").status_code == 200
