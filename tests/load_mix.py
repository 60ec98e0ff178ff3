"""A busy school's mix of requests, driven by many concurrent clients against a running
``xueji serve``: sign-ins (right and wrong), registrations, SMS codes, corrections,
enrollment changes and revealed reads (which write an audit entry). Used by the
concurrency test (no 5xx, every acknowledged write kept) and by ``bench/concurrency.py``.

Each client writes only to its own student, so the last value it saw acknowledged is the
value the registry must hold afterwards. Clients present distinct addresses through
``X-Forwarded-For`` (the server trusts 127.0.0.1 as its proxy), as a school's pupils
behind a proxy would, so address throttling does not turn the mix into refusals.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx2 as httpx

from xueji.domain.identity import check_character

PASSWORD = "xueji-demo-2026"
ADMIN = "haikou-admin"
SCHOOL_CODE = "1144060401"
SCHOOL_NAME = "佛山市禅城区海口小学"
#: (operation, weight)
MIX = (
    ("signin_ok", 2),
    ("signin_wrong", 2),
    ("register", 2),
    ("sms_code", 1),
    ("correct", 3),
    ("enrollment", 2),
    ("reveal", 2),
)
#: statuses each operation may answer; anything else (any 5xx above all) is a failure
ALLOWED = {
    "signin_ok": {200, 429},
    "signin_wrong": {401, 429},
    "register": {201, 422, 429},
    "sms_code": {202, 429},
    "correct": {200},
    "enrollment": {200},
    "reveal": {200},
}


def resident_number(serial: int) -> str:
    """A valid registry number (G + resident ID) of a child born in 2016 in 禅城区."""
    birth = dt.date(2016, 1, 1) + dt.timedelta(days=serial // 400)
    body = f"440604{birth:%Y%m%d}{serial % 400 + 100:03d}"
    return "G" + body + check_character(body)


def chinese(number: int) -> str:
    """A number written in Chinese numerals, for names (digits are no name characters)."""
    return "".join("零一二三四五六七八九"[int(d)] for d in str(number))


@dataclass
class Student:
    registry_no: str
    name: str
    status: str = "enrolled"


@dataclass
class Outcome:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    unexpected: list[tuple[str, int, str]] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


async def admin_token(client: httpx.AsyncClient) -> str:
    answer = await client.post("/api/v1/session", json={"username": ADMIN, "password": PASSWORD})
    answer.raise_for_status()
    return str(answer.json()["token"])


async def create_students(client: httpx.AsyncClient, token: str, count: int) -> list[Student]:
    """One student per client, registered by the school through the API."""
    students = []
    for serial in range(count):
        number = resident_number(700_000 + serial)
        body = {
            "registry_no": number,
            "name": f"并发{chinese(serial)}号",
            "gender": "1" if int(number[17]) % 2 else "2",
            "birth_date": f"{number[7:11]}-{number[11:13]}-{number[13:15]}",
            "school_code": SCHOOL_CODE,
            "guardians": [{"name": "家长", "relation": "51", "phone": f"1391{serial:07d}"}],
        }
        answer = await client.post(
            "/api/v1/students", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 201, answer.text
        students.append(Student(number, body["name"]))
    return students


class Client:
    def __init__(self, number: int, student: Student, token: str, outcome: Outcome) -> None:
        self.number, self.student, self.outcome = number, student, outcome
        self.rng = random.Random(number)
        self.address = f"10.77.{number // 250}.{number % 250 + 1}"
        self.bearer = {"Authorization": f"Bearer {token}"}
        self.serial = 0

    async def run(self, http: httpx.AsyncClient, deadline: float) -> None:
        operations = [name for name, weight in MIX for _ in range(weight)]
        while time.monotonic() < deadline:
            name = self.rng.choice(operations)
            started = time.perf_counter()
            try:
                answer = await getattr(self, name)(http)
            except httpx.TransportError as error:
                self.outcome.unexpected.append((name, 0, repr(error)))
                continue
            self.outcome.latencies_ms.append((time.perf_counter() - started) * 1000)
            self.outcome.statuses[(name, answer.status_code)] += 1
            if answer.status_code not in ALLOWED[name]:
                self.outcome.unexpected.append((name, answer.status_code, answer.text[:300]))
            else:
                self.acknowledged(name, answer)

    def acknowledged(self, name: str, answer: httpx.Response) -> None:
        if name == "correct" and answer.status_code == 200:
            self.student.name = answer.json()["name"]
        elif name == "enrollment" and answer.status_code == 200:
            self.student.status = answer.json()["status"]
        elif name == "register" and answer.status_code == 201:
            self.outcome.registered.append(answer.json()["student_no"])

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"X-Forwarded-For": self.address, **(extra or {})}

    async def signin_ok(self, http: httpx.AsyncClient) -> httpx.Response:
        body = {"username": ADMIN, "password": PASSWORD}
        return await http.post("/api/v1/session", json=body, headers=self._headers())

    async def signin_wrong(self, http: httpx.AsyncClient) -> httpx.Response:
        body = {"username": "foshan", "password": f"wrong-{self.rng.random()}"}
        return await http.post("/api/v1/session", json=body, headers=self._headers())

    async def register(self, http: httpx.AsyncClient) -> httpx.Response:
        self.serial += 1
        number = resident_number(self.number * 1000 + self.serial)
        body = {
            "student_no": f"c{self.number}n{self.serial}r{self.rng.randrange(10**6)}",
            "password": PASSWORD,
            "registry_no": number,
            "name": "没有此人",
            "gender": "1",
            "birth_date": f"{number[7:11]}-{number[11:13]}-{number[13:15]}",
            "school_name": SCHOOL_NAME,
        }
        return await http.post("/api/v1/accounts", json=body, headers=self._headers())

    async def sms_code(self, http: httpx.AsyncClient) -> httpx.Response:
        self.serial += 1
        phone = f"137{self.number:03d}{self.serial % 100_000:05d}"
        body = {"phone": phone, "purpose": "parent_register"}
        return await http.post("/api/v1/sms-codes", json=body, headers=self._headers())

    async def correct(self, http: httpx.AsyncClient) -> httpx.Response:
        self.serial += 1
        name = f"并发{chinese(self.number)}改{chinese(self.serial)}"
        body = {"name": name, "reason": "更正姓名（并发测试）"}
        url = f"/api/v1/students/{self.student.registry_no}"
        return await http.patch(url, json=body, headers=self._headers(self.bearer))

    async def enrollment(self, http: httpx.AsyncClient) -> httpx.Response:
        kind = "resume" if self.student.status == "suspended" else "suspend"
        body = {"kind": kind, "reason": "并发测试"}
        url = f"/api/v1/students/{self.student.registry_no}/enrollment-changes"
        return await http.post(url, json=body, headers=self._headers(self.bearer))

    async def reveal(self, http: httpx.AsyncClient) -> httpx.Response:
        url = f"/api/v1/students/{self.student.registry_no}?reveal=true"
        return await http.get(url, headers=self._headers(self.bearer))


async def drive(base: str, *, clients: int, seconds: float) -> tuple[Outcome, list[Student]]:
    """Run the mix for ``seconds`` with ``clients`` concurrent clients; returns what was
    answered and each client's student as last acknowledged."""
    outcome = Outcome()
    limits = httpx.Limits(max_connections=clients + 5, max_keepalive_connections=clients + 5)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        token = await admin_token(http)
        students = await create_students(http, token, clients)
        crowd = [Client(n, students[n], token, outcome) for n in range(clients)]
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(client.run(http, deadline) for client in crowd))
        outcome.seconds = time.monotonic() - started
    return outcome, students


async def registry_values(base: str, students: list[Student]) -> list[tuple[str, str]]:
    """(name, status) of each student as the registry holds them now."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        token = await admin_token(http)
        found = []
        for student in students:
            answer = await http.get(
                f"/api/v1/students/{student.registry_no}",
                headers={"Authorization": f"Bearer {token}"},
            )
            answer.raise_for_status()
            found.append((answer.json()["name"], answer.json()["status"]))
        return found
