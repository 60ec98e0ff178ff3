"""Logging that never writes an identity number or a phone number in clear.

A filter on the root handler masks anything shaped like a resident ID / registry number
or a mainland mobile number, whichever library wrote the line (uvicorn's access log
includes request paths, which may carry a registry number).
"""

from __future__ import annotations

import logging
import re

from xueji.domain.masking import mask, mask_phone

_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])[GJLgjl]?[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_PHONE_LIKE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def redact(text: str) -> str:
    text = _ID_LIKE.sub(lambda match: mask(match.group(0)), text)
    return _PHONE_LIKE.sub(lambda match: mask_phone(match.group(0)), text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
