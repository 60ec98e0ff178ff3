"""The administrator pages over HTTP: scope (another school's record answers like a
record that does not exist), CSRF on every form, and the list's search."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import Headers
from tests.registry_world import PASSWORD, number


def page_login(client: TestClient, username: str) -> str:
    client.get("/login")
    token = client.cookies.get("xueji_csrf")
    assert token
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return token


PAGES = [
    ("GET", "/students/{id}", None),
    ("GET", "/students/{id}?reveal=true", None),
    ("GET", "/students/{id}/edit", None),
    ("GET", "/students/{id}/info-sheet.pdf", None),
    (
        "POST",
        "/students/{id}/edit",
        {
            "name": "陈晓明",
            "gender": "1",
            "birth_date": "2016-02-11",
            "g1_name": "陈大明",
            "g1_relation": "51",
            "g1_phone": "13800138001",
            "reason": "x",
        },
    ),
    ("POST", "/students/{id}/enrollment-changes", {"kind": "suspend", "reason": "x"}),
    ("GET", "/students/{id}/record", None),
    ("GET", "/students/{id}/record?reveal=true", None),
    ("GET", "/students/{id}/record/edit", None),
    ("POST", "/students/{id}/record/edit", {"ethnicity": "01", "reason": "x"}),
]


@pytest.mark.parametrize(("method", "path", "form"), PAGES)
def test_another_schools_student_page_is_like_a_missing_one(
    client: TestClient, as_user: Headers, method: str, path: str, form: dict[str, str] | None
) -> None:
    as_user("haikou-admin")  # builds the registry with student id 1 at 海口小学
    token = page_login(client, "huajing-admin")
    data = dict(form, csrf_token=token) if form else None
    real = client.request(method, path.format(id=1), data=data)
    missing = client.request(method, path.format(id=999999), data=data)
    assert real.status_code == missing.status_code == 404
    assert real.text == missing.text
    assert "陈小明" not in real.text


def test_own_school_sees_and_corrects(client: TestClient, as_user: Headers) -> None:
    as_user("haikou-admin")
    token = page_login(client, "haikou-admin")
    listing = client.get("/students", params={"q": "陈"})
    assert "陈小明" in listing.text and "共 1 名学生" in listing.text
    detail = client.get("/students/1")
    assert "G4406**********" in detail.text and "138****8001" in detail.text
    form = {
        "name": "陈晓明",
        "gender": "1",
        "birth_date": "2016-02-11",
        "class_id": "",
        "g1_name": "陈大明",
        "g1_relation": "51",
        "g1_phone": "13800138001",
        "reason": "",
    }
    form["version"] = form_version(client, 1)
    refused = client.post("/students/1/edit", data=dict(form, csrf_token=token))
    assert refused.status_code == 422 and "请填写原因" in refused.text
    no_csrf = client.post("/students/1/edit", data=dict(form, reason="更正"))
    assert no_csrf.status_code == 403
    saved = client.post(
        "/students/1/edit", data=dict(form, reason="更正", csrf_token=token), follow_redirects=False
    )
    assert saved.status_code == 303
    assert "陈晓明" in client.get("/students/1").text


def form_version(client: TestClient, student_id: int) -> str:
    found = re.search(
        r'name="version" value="(\d+)"', client.get(f"/students/{student_id}/edit").text
    )
    assert found
    return found.group(1)


def test_a_form_opened_before_another_change_is_refused_and_changes_nothing(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    token = page_login(client, "haikou-admin")
    opened = client.get("/students/1/edit").text
    assert "13800138001" not in opened and 'value="138****8001"' in opened
    version = form_version(client, 1)
    patched = client.patch(
        f"/api/v1/students/{number()}", json={"name": "陈晓明", "reason": "改名"}, headers=admin
    )
    assert patched.status_code == 200
    stale = {
        "name": "陈小明",
        "gender": "1",
        "birth_date": "2016-02-11",
        "g1_name": "陈大明",
        "g1_relation": "51",
        "g1_phone": "138****8001",
        "reason": "家长换号",
        "version": version,
        "csrf_token": token,
    }
    refused = client.post("/students/1/edit", data=stale)
    assert refused.status_code == 409 and "已被他人修改" in refused.text
    assert client.get(f"/api/v1/students/{number()}", headers=admin).json()["name"] == "陈晓明"


def test_masked_phones_stay_and_all_four_guardians_are_on_the_form(
    client: TestClient, as_user: Headers
) -> None:
    admin = as_user("haikou-admin")
    guardians = [
        {"name": "陈大明", "relation": "父亲", "phone": "13800138001"},
        {"name": "林秀英", "relation": "母亲", "phone": "13800138002"},
        {"name": "陈老三", "relation": "祖父", "phone": "13800138003"},
    ]
    url = f"/api/v1/students/{number()}"
    assert client.patch(
        url, json={"guardians": guardians, "reason": "补录"}, headers=admin
    ).is_success
    token = page_login(client, "haikou-admin")
    page = client.get("/students/1/edit").text
    assert 'name="g3_phone" value="138****8003"' in page and 'name="g4_phone" value=""' in page
    form = {
        "name": "陈晓明",
        "gender": "1",
        "birth_date": "2016-02-11",
        "g1_name": "陈大明",
        "g1_relation": "51",
        "g1_phone": "138****8001",
        "g2_name": "林秀英",
        "g2_relation": "52",
        "g2_phone": "13900139002",
        "g3_name": "陈老三",
        "g3_relation": "61",
        "g3_phone": "138****8003",
        "g4_name": "林外婆",
        "g4_relation": "64",
        "g4_phone": "13800138004",
        "reason": "更正姓名，补录外祖母",
        "version": form_version(client, 1),
        "csrf_token": token,
    }
    saved = client.post("/students/1/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303
    revealed = client.get(url, params={"reveal": "true"}, headers=admin).json()
    assert [g["phone"] for g in revealed["guardians"]] == [
        "13800138001",
        "13900139002",
        "13800138003",
        "13800138004",
    ]
    cleared = {**form, "g3_phone": "", "version": form_version(client, 1), "reason": "删去祖父"}
    assert client.post("/students/1/edit", data=cleared, follow_redirects=False).is_redirect
    revealed = client.get(url, params={"reveal": "true"}, headers=admin).json()
    assert [g["name"] for g in revealed["guardians"]] == ["陈大明", "林秀英", "林外婆"]


def test_region_admin_lists_only_their_region(client: TestClient, as_user: Headers) -> None:
    as_user("haikou-admin")
    page_login(client, "guangzhou")
    assert "共 0 名学生" in client.get("/students").text
    assert client.get("/students/1").status_code == 404


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/students/{HUGE}"),
        ("GET", f"/students?page={HUGE}"),
        ("GET", f"/api/v1/students?offset={HUGE}"),
        ("POST", f"/api/v1/transfers/{HUGE}/confirm"),
    ],
)
def test_a_number_too_large_for_any_record_is_a_clear_refusal(
    client: TestClient, as_user: Headers, method: str, path: str
) -> None:
    response = client.request(method, path, headers=as_user("haikou-admin"))
    assert response.status_code == 422
    if path.startswith("/api/"):
        assert response.json()["code"] == "NUMBER_OUT_OF_RANGE"
    else:
        assert "请求中的数字超出范围" in response.text


def test_an_id_beyond_postgresqls_integers_is_no_server_error(
    client: TestClient, as_user: Headers
) -> None:
    """SQLite's ids go further: there it is simply no such student."""
    response = client.get("/students/3000000000", headers=as_user("haikou-admin"))
    assert response.status_code in (404, 422)


def test_a_refused_transfer_request_keeps_what_was_typed(
    client: TestClient, as_user: Headers
) -> None:
    as_user("huajing-admin")
    token = page_login(client, "huajing-admin")
    typed = {"registry_no": "G440604201602110010", "reason": "随父母迁居", "csrf_token": token}
    refused = client.post("/transfers", data=typed)
    assert refused.status_code == 422 and "校验码" in refused.text
    assert 'value="G440604201602110010"' in refused.text and 'value="随父母迁居"' in refused.text


def test_a_refused_enrollment_change_is_shown_on_the_student_page_with_the_reason_kept(
    client: TestClient, as_user: Headers
) -> None:
    as_user("haikou-admin")
    token = page_login(client, "haikou-admin")
    typed = {"kind": "resume", "reason": "家长来电说已康复", "csrf_token": token}
    unconfirmed = client.post("/students/1/enrollment-changes", data=typed)
    assert unconfirmed.status_code == 422 and "请勾选确认" in unconfirmed.text
    typed["confirmed"] = "true"
    refused = client.post("/students/1/enrollment-changes", data=typed)
    assert refused.status_code == 409
    assert "不能办理“复学”" in refused.text and "陈小明" in refused.text
    assert 'value="家长来电说已康复"' in refused.text
    # the menu offers only what an enrolled student's status allows
    offered = refused.text.split('<select name="kind" required>')[1].split("</select>")[0]
    assert 'value="resume"' not in offered and 'value="suspend"' in offered


def test_a_transfer_is_handed_over_on_the_page_only_once_confirmed(
    client: TestClient, as_user: Headers
) -> None:
    requested = client.post(
        "/api/v1/transfers",
        json={"registry_no": number(), "to_school_code": "1144010601", "reason": "随父母迁居"},
        headers=as_user("huajing-admin"),
    )
    assert requested.status_code == 201, requested.text
    transfer_id = requested.json()["id"]
    token = page_login(client, "haikou-admin")
    url = f"/transfers/{transfer_id}/confirm"
    unticked = client.post(url, data={"csrf_token": token})
    assert unticked.status_code == 422 and "请勾选确认" in unticked.text
    assert "<td>待确认</td>" in unticked.text
    done = client.post(url, data={"confirmed": "true", "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert "已确认调档" in client.get(done.headers["location"]).text
    again = client.post(url, data={"confirmed": "true", "csrf_token": token})
    assert again.status_code == 409  # a resubmitted form does not act twice


def test_the_asking_school_sees_which_child_each_request_is_about(
    client: TestClient, as_user: Headers
) -> None:
    as_user("huajing-admin")
    token = page_login(client, "huajing-admin")
    typed = {
        "registry_no": number(),
        "student_name": "陈小明",
        "reason": "随父母迁居",
        "csrf_token": token,
    }
    asked = client.post("/transfers", data=typed, follow_redirects=False)
    assert asked.status_code == 303
    mine = client.get("/transfers").text.split("本校提出的转入申请")[1]
    assert '陈小明<span class="muted">（申请时填写）</span>' in mine
    assert number() not in mine  # the number stays masked
