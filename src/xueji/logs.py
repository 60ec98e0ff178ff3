"""Logging that never writes an identity number or a phone number in clear.

The root handler's formatter masks anything shaped like a resident ID / registry number
or a mainland mobile number in the finished line, tracebacks included, whichever library
wrote it (uvicorn's access log includes request paths, which may carry a registry
number). SQL parameters are kept out of error messages by the engine (``hide_parameters``).
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


class RedactingFormatter(logging.Formatter):
    """Masks the whole formatted line, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
