"""Schemathesis hooks for ``test_api_fuzz.py``, loaded by ``st run`` through
``SCHEMATHESIS_HOOKS``.

* The caller: with ``FUZZ_USERNAME`` set, every request carries that account's session,
  signed in at ``FUZZ_BASE_URL``. A fuzzed ``DELETE /api/v1/session`` ends it; the next
  request then answers 401 and schemathesis signs in again and replays it (its default
  ``retry_on``), so the cases after a sign-out still run as the role.
* Known values: random text almost never names a school, a student or a resource, so
  nearly every request would stop at 404 or 422 before reaching the code behind. About
  half the time, a generated path parameter, query parameter or body field named in
  ``KNOWN`` takes a value the demo data holds (``xueji.demo.load``) or a well-formed one
  instead, so the fuzzing also reaches transfers, enrollment changes, applications and
  registrations with real records.
"""

from __future__ import annotations

import os
from typing import Any

import httpx2 as httpx
import schemathesis
from hypothesis import strategies as st

DEMO_NUMBERS = [
    "G440604201602110014",  # 陈小明, 海口小学
    "G440604201605030028",  # 李华
    "G65010220160921013X",  # 阿卜杜·艾力
    "G440604201511300242",  # 张丽, suspended
    "G440604201007080359",  # 刘洋, graduated
    "G440106201604150461",  # 黄𠮷, 华景小学
    "g440604201602110014",
    "G440604201608080012",  # well-formed, on no record
]
SCHOOLS = ["1144060401", "1144010601", "1144060499"]
IDS = [1, 2, 3, 4, 5]
KNOWN: dict[str, list[Any]] = {
    "registry_no": DEMO_NUMBERS,
    "school_code": SCHOOLS,
    "to_school_code": SCHOOLS,
    "region_code": ["440604", "440106", "4406"],
    "class_id": IDS,
    "transfer_id": IDS,
    "application_id": IDS,
    "resource_id": IDS,
    "account_id": IDS,
    "status": ["enrolled", "suspended", "graduated", "withdrawn"],
    "kind": ["suspend", "resume", "graduate", "withdraw", "reenroll"],
    "name": ["陈小明", "李华", "赵小军", "海口小学", "三年级(2)班"],
    "student_name": ["陈小明", "李华"],
    "guardian_name": ["陈建华", "林秀英"],
    "relation": ["母亲", "祖父", "51"],
    "gender": ["1", "2", "男"],
    "birth_date": ["2016-02-11", "2016-05-03"],
    "school_name": ["佛山市禅城区海口小学", "佛山市禅成区海口小学"],
    "head_teacher": ["haikou-teacher"],
    "grade": [3, 4],
    "phone": ["13800138001", "13800138003", "13900139000", "13912345678"],
    "purpose": ["parent_register"],
    "student_no": ["zhaoxj2016", "chenxm2016"],
    "password": ["fuzz password 1"],
    "reason": ["家长申请", "演示"],
    "title": ["口算练习"],
    "fields": [["name"], ["school_name", "birth_date"]],
}


def _mixed(generated: Any) -> st.SearchStrategy[Any]:
    """The generated mapping, with some of its known names swapped for known values."""
    if not isinstance(generated, dict):
        return st.just(generated)
    names = [name for name in generated if name in KNOWN]
    if not names:
        return st.just(generated)
    swaps = {
        name: st.one_of(st.just(generated[name]), st.sampled_from(KNOWN[name])) for name in names
    }
    return st.fixed_dictionaries(swaps).map(lambda chosen: {**generated, **chosen})


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: Any) -> st.SearchStrategy[Any]:
    return _mixed(path_parameters)


@schemathesis.hook
def flatmap_query(context: Any, query: Any) -> st.SearchStrategy[Any]:
    return _mixed(query)


@schemathesis.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    return _mixed(body)


if os.environ.get("FUZZ_USERNAME"):
    BASE_URL = os.environ["FUZZ_BASE_URL"]
    USERNAME = os.environ["FUZZ_USERNAME"]
    PASSWORD = os.environ["FUZZ_PASSWORD"]

    @schemathesis.auth()
    class SignIn:
        def get(self, case: Any, context: Any) -> str:
            response = httpx.post(
                f"{BASE_URL}/api/v1/session",
                json={"username": USERNAME, "password": PASSWORD},
                timeout=30,
            )
            if response.status_code != 200:
                raise RuntimeError(f"{USERNAME} 登录失败：{response.status_code} {response.text}")
            token: str = response.json()["token"]
            return token

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
