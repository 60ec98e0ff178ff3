"""Fuzzing the JSON API against its own OpenAPI description: schemathesis (``st run``)
over ``/openapi.json`` of a real ``xueji serve`` with the demo data, once per role and
once anonymous. Every answer must be a non-5xx status the operation documents, with the
documented content type and a body matching the documented schema.

* The server is this module's own: fuzzing creates schools, students, transfers and
  accounts, and signs sessions out.
* Each role's run carries that role's session; a fuzzed sign-out is followed by a fresh
  sign-in, so ``DELETE /api/v1/session`` is fuzzed as every role. Some generated values
  are swapped for ones the demo data holds, to get past 404 (``fuzz_hooks.py``).
* Signing in and the sign-up operations (student accounts, SMS codes, parents) do not
  look at the caller: they are fuzzed in the anonymous run only. That run comes last,
  because its failed sign-ins block the address for a while (``docs/security.md``).
* Each run has a time budget (fuzzing repeats until it is spent), so the whole test
  takes about three minutes whatever the speed of the machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import demo_server
from xueji.demo.load import DEMO_PASSWORD

ST = Path(sys.executable).parent / "st"
HOOKS = Path(__file__).with_name("fuzz_hooks.py")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
#: role → demo account (``xueji.demo.load``); None: no session at all
ROLES: dict[str, str | None] = {
    "platform-admin": "admin",
    "region-admin": "foshan",
    "school-admin": "haikou-admin",
    "head-teacher": "haikou-teacher",
    "student": "chenxm2016",
    "parent": "13800138001",
    "anonymous": None,
}
#: operations that ignore the caller: fuzzed in the anonymous run only
CALLER_BLIND = (
    "POST /api/v1/session",
    "POST /api/v1/accounts",
    "POST /api/v1/sms-codes",
    "POST /api/v1/parents",
)
SECONDS_PER_RUN = {"anonymous": 15}
SECONDS_DEFAULT = 22


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("fuzz")) as base:
        yield base


@pytest.mark.parametrize("role", list(ROLES))
def test_every_answer_is_documented(fuzz_server: str, role: str, tmp_path: Path) -> None:
    username = ROLES[role]
    command = [
        str(ST),
        "run",
        f"{fuzz_server}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--max-time",
        str(SECONDS_PER_RUN.get(role, SECONDS_DEFAULT)),
        "--workers",
        "1",  # the server is one process; a second worker only competes for the cores
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XUEJI_", "SCHEMATHESIS_"))}
    env["SCHEMATHESIS_HOOKS"] = str(HOOKS)
    if username is not None:
        for operation in CALLER_BLIND:
            command += ["--exclude-name", operation]
        env.update(FUZZ_BASE_URL=fuzz_server, FUZZ_USERNAME=username, FUZZ_PASSWORD=DEMO_PASSWORD)
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"schemathesis ({role}) found problems:\n{_report(done)}", pytrace=False)


def _report(done: subprocess.CompletedProcess[str]) -> str:
    """The failures and errors with their reproductions, and the summary (with the seed):
    not the header nor the warnings about what could not be reached."""
    output = done.stdout + done.stderr
    sections = re.split(r"^(?==+ [A-Z]+ =+$)", output, flags=re.MULTILINE)
    wanted = ("FAILURES", "ERRORS", "SUMMARY")
    kept = [part for part in sections if part.lstrip("=").lstrip().startswith(wanted)]
    return "".join(kept) if kept else output
