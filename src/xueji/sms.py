"""Sending text messages: a port with two adapters.

* ``DevSmsSender`` (default, demo and tests): appends each message to
  ``var/sms-outbox.jsonl`` (mode 0600) — where a developer reads the code — and logs that
  it did, without the text: a code in a log line would outlive its five minutes. The
  phone is written masked in both (``138****8001``).
* ``HttpSmsSender`` (production): POSTs ``{"phone", "message"}`` as JSON to the configured
  gateway with a bearer token. It never logs a message, so a code never reaches a log.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

from xueji.config import Settings
from xueji.db.private_files import private_directory, private_file
from xueji.domain.clock import Clock
from xueji.domain.errors import Unavailable, XuejiError
from xueji.domain.masking import mask_phone

log = logging.getLogger("xueji.sms")


class SmsSender(Protocol):
    def send(self, phone: str, message: str) -> None: ...


class SmsNotSent(Unavailable):
    code = "SMS_NOT_SENT"


class DevSmsSender:
    def __init__(self, outbox: Path, clock: Clock) -> None:
        self.outbox, self.clock = outbox, clock
        self._lock = threading.Lock()

    def send(self, phone: str, message: str) -> None:
        log.info("短信（开发模式，未真正发送）至 %s，内容见 %s", mask_phone(phone), self.outbox)
        record = {
            "at": self.clock.now().isoformat(),
            "phone": mask_phone(phone),
            "message": message,
        }
        with self._lock:
            private_directory(self.outbox.parent)
            private_file(self.outbox)
            with self.outbox.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")


class HttpSmsSender:
    def __init__(self, url: str, token: str, *, timeout: float = 5.0) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, message: str) -> None:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"phone": phone, "message": message}).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.token}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            error.close()
            log.error("短信网关拒绝发送：HTTP %s", error.code)
            raise SmsNotSent("短信发送失败，请稍后再试") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            log.error("短信网关发送失败：%s", type(error).__name__)
            raise SmsNotSent("短信发送失败，请稍后再试") from None


def sender_for(settings: Settings, clock: Clock) -> SmsSender:
    if settings.sms_sender == "http":
        if not settings.sms_gateway_url:
            raise XuejiError("XUEJI_SMS_SENDER=http 需要 XUEJI_SMS_GATEWAY_URL", code="CONFIG")
        return HttpSmsSender(settings.sms_gateway_url, settings.sms_gateway_token)
    return DevSmsSender(settings.var_dir / "sms-outbox.jsonl", clock)


def warn_if_development(settings: Settings) -> None:
    """Said once when the service starts, where operators look."""
    if settings.sms_sender == "dev":
        log.warning(
            "短信为开发模式（XUEJI_SMS_SENDER=dev）：不真正发送，验证码写入 %s。"
            "生产部署请设 XUEJI_SMS_SENDER=http",
            settings.var_dir / "sms-outbox.jsonl",
        )
