"""Throttle delays are bounded; masks and log redaction hide identity numbers and phones."""

from __future__ import annotations

import logging
import sys

import pytest

from xueji.domain.masking import mask, mask_phone
from xueji.domain.throttling import ACCOUNT, ACCOUNT_FROM_ADDRESS, ThrottleRule
from xueji.logs import RedactingFormatter, redact


@pytest.mark.parametrize(
    ("failures", "delay"), [(0, 0), (4, 0), (5, 1), (6, 2), (9, 16), (15, 900), (40, 900)]
)
def test_account_from_address_delay(failures: int, delay: int) -> None:
    assert ACCOUNT_FROM_ADDRESS.delay(failures) == delay


def test_account_wide_delay_is_capped_at_a_minute() -> None:
    assert max(ACCOUNT.delay(n) for n in range(200)) == 60


def test_rule_without_free_attempts() -> None:
    assert ThrottleRule(free=0, base_seconds=2, cap_seconds=10).delay(0) == 2


def test_mask() -> None:
    assert mask("G445222202508211230") == "G4452**********1230"
    assert mask_phone("13812345678") == "138****5678"
    assert mask("123") == "***"
    assert mask(None) == ""


def test_redact_hides_numbers_in_any_text() -> None:
    line = "GET /api/v1/students/G445222202508211230 phone=13812345678 id 11010519491231002x"
    redacted = redact(line)
    assert "445222202508211230" not in redacted
    assert "13812345678" not in redacted
    assert "11010519491231002" not in redacted
    assert "G4452**********1230" in redacted


def test_redacting_formatter_masks_arguments_and_tracebacks() -> None:
    try:
        raise ValueError("bad number 445222202508211230")
    except ValueError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "id=%s", ("445222202508211230",), sys.exc_info()
        )
    line = RedactingFormatter("%(message)s").format(record)
    assert line.startswith("id=44522*********1230")
    assert "445222202508211230" not in line and "bad number 44522" in line


@pytest.mark.parametrize(
    "path",
    [
        # full-width Ｇ４４…, percent-encoded as a browser sends it
        "/api/v1/students/%EF%BC%A7%EF%BC%94%EF%BC%94%EF%BC%90%EF%BC%96%EF%BC%90%EF%BC%94"
        "%EF%BC%92%EF%BC%90%EF%BC%91%EF%BC%96%EF%BC%90%EF%BC%92%EF%BC%91%EF%BC%91"
        "%EF%BC%90%EF%BC%90%EF%BC%91%EF%BC%94",
        "/api/v1/students/G440604201602110014%3Fx",  # an escaped character beside it
        "/api/v1/students/%2547440604201602110014",  # encoded twice
        "/api/v1/parents?phone=%31%33%38%30%30%31%33%38%30%30%31",
    ],
)
def test_redact_decodes_a_url_before_masking(path: str) -> None:
    redacted = redact(f'127.0.0.1:5000 - "GET {path} HTTP/1.1" 404')
    assert "440604201602110014" not in redacted and "13800138001" not in redacted
    assert "**" in redacted


def test_a_decoded_line_break_cannot_forge_a_log_line() -> None:
    forged = redact('"GET /x%0D%0A2026-12-06 INFO xueji admin signed in HTTP/1.1" 404')
    assert "\n" not in forged and "\r" not in forged and "\\x0a" in forged
    assert redact("Traceback:\n  line 1") == "Traceback:\n  line 1"  # the line's own breaks


@pytest.mark.parametrize(
    "phone",
    ["+8613800138000", "8613800138000", "138-0013-8000", "138 0013 8000", "+86 138 0013 8000"],
)
def test_redact_masks_every_spelling_of_a_phone_that_sign_in_accepts(phone: str) -> None:
    redacted = redact(f"sign-in name {phone} refused")
    assert "0013" not in redacted and "8000" in redacted
