"""The two SMS adapters: the development sender writes the outbox file; the gateway
sender posts JSON with its token, never logs the message, and reports a failure."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from xueji.domain.clock import FixedClock
from xueji.sms import DevSmsSender, HttpSmsSender, SmsNotSent

MESSAGE = "【学迹】您的家长注册验证码是 654321，5 分钟内有效。请勿告诉他人。"


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(
                {"auth": self.headers["Authorization"], "body": json.loads(body), "path": self.path}
            )
            self.send_response(500 if self.path == "/broken" else 200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()


def test_gateway_sender_posts_json_with_the_token_and_logs_no_code(
    gateway: tuple[str, list[dict[str, Any]]], caplog: pytest.LogCaptureFixture
) -> None:
    base, received = gateway
    caplog.set_level(logging.DEBUG)
    HttpSmsSender(base + "/send", "secret-token").send("13800138001", MESSAGE)
    assert received == [
        {
            "auth": "Bearer secret-token",
            "body": {"phone": "13800138001", "message": MESSAGE},
            "path": "/send",
        }
    ]
    assert "654321" not in caplog.text


def test_gateway_failure_is_a_clear_error_without_the_message(
    gateway: tuple[str, list[dict[str, Any]]], caplog: pytest.LogCaptureFixture
) -> None:
    base, _ = gateway
    with pytest.raises(SmsNotSent) as refused:
        HttpSmsSender(base + "/broken", "t").send("13800138001", MESSAGE)
    assert refused.value.code == "SMS_NOT_SENT"
    assert "654321" not in caplog.text


def test_development_sender_appends_to_a_private_outbox_with_masked_phones(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # listen on the sender's own logger, whatever other tests did to the root's handlers
    logged: list[str] = []
    sms_log = logging.getLogger("xueji.sms")
    monkeypatch.setattr(sms_log, "disabled", False)
    monkeypatch.setattr(sms_log, "level", logging.INFO)
    monkeypatch.setattr(sms_log, "handlers", [ListHandler(logged)])
    outbox = tmp_path / "var" / "sms-outbox.jsonl"
    sender = DevSmsSender(outbox, clock)
    sender.send("13800138001", MESSAGE)
    sender.send("13800138002", "second")
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert [line["phone"] for line in lines] == ["138****8001", "138****8002"]
    assert "13800138001" not in outbox.read_text(encoding="utf-8")
    assert outbox.stat().st_mode & 0o777 == 0o600
    # the log says a message went to the outbox; its text (the code) stays out of it
    text = "\n".join(logged)
    assert "sms-outbox.jsonl" in text and "138****8001" in text
    assert "654321" not in text and "13800138001" not in text
    assert lines[0]["message"] == MESSAGE and lines[0]["at"] == clock.now().isoformat()


class ListHandler(logging.Handler):
    """Keeps each formatted record."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.INFO)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(self.format(record))
