"""Every page form over HTTP: its CSRF token is checked by the page routers, once who is
asking is known, so a form posted without a session still goes to the sign-in page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import Headers
from tests.e2e.test_registry_pages import page_login

OPEN_FORMS = ["/login", "/logout", "/register", "/parent/register"]
SIGNED_IN_FORMS = [
    "/students/1/edit",
    "/students/1/enrollment-changes",
    "/transfers",
    "/transfers/1/confirm",
    "/transfers/1/reject",
    "/imports",
    "/schools/1144060401/unmatched/1/notices",
    "/student/details",
    "/student/resources/1/open",
    "/parent/applications",
    "/phone-change-applications/1/forward",
    "/ops/dead-letters/1/retry",
    "/my-data/erasure",
    "/my-data/erasure/1/withdraw",
]


@pytest.mark.parametrize("path", OPEN_FORMS + SIGNED_IN_FORMS)
def test_a_form_without_its_token_is_refused(
    client: TestClient, as_user: Headers, path: str
) -> None:
    as_user("haikou-admin")
    page_login(client, "haikou-admin")
    refused = client.post(path, data={"reason": "x"}, follow_redirects=False)
    assert refused.status_code == 403
    assert "页面已过期或来源不明" in refused.text and "CSRF_FAILED" in refused.text
    assert client.get("/api/v1/me").status_code == 200, "still signed in"


@pytest.mark.parametrize("path", SIGNED_IN_FORMS)
def test_the_refusal_on_a_signed_in_page_shows_who_is_signed_in(
    client: TestClient, as_user: Headers, path: str
) -> None:
    as_user("haikou-admin")
    page_login(client, "haikou-admin")
    refused = client.post(path, data={"csrf_token": "x" * 43}, follow_redirects=False)
    assert refused.status_code == 403
    assert "haikou-admin（学校信息管理员）" in refused.text


@pytest.mark.parametrize("path", SIGNED_IN_FORMS)
def test_a_form_posted_without_a_session_goes_to_the_sign_in_page(
    client: TestClient, as_user: Headers, path: str
) -> None:
    as_user("haikou-admin")
    client.get("/login")
    for data in ({}, {"csrf_token": client.cookies["xueji_csrf"]}):
        response = client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"


def test_a_form_from_another_origin_is_refused(client: TestClient, as_user: Headers) -> None:
    as_user("haikou-admin")
    token = page_login(client, "haikou-admin")
    refused = client.post(
        "/transfers",
        data={"registry_no": "G1", "csrf_token": token},
        headers={"Origin": "http://elsewhere.example"},
    )
    assert refused.status_code == 403 and "请求来源与本站不一致" in refused.text


def test_the_sign_in_page_shows_students_and_parents_where_to_register(
    client: TestClient,
) -> None:
    page = client.get("/login")
    assert 'href="/register"' in page.text and 'href="/parent/register"' in page.text
