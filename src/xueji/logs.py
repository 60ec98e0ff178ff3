"""Logging that never writes an identity number or a phone number in clear.

The root handler's formatter masks anything shaped like a resident ID / registry number
or a mainland mobile number in the finished line, tracebacks included, whichever library
wrote it (uvicorn's access log includes request paths, which may carry a registry
number). A path arrives percent-encoded, and a number may be typed in full-width digits:
the line is decoded and normalised (NFKC) before it is searched. SQL parameters are kept
out of error messages by the engine (``hide_parameters``).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import unquote

from xueji.domain.identifier_shapes import ID_LIKE, PHONE_LIKE
from xueji.domain.masking import mask, mask_phone

#: percent-decoding passes: a path encoded twice (``%25EF%25BC…``) is decoded too
_DECODE_PASSES = 3


def redact(text: str) -> str:
    text = _decoded(text)
    text = ID_LIKE.sub(lambda match: mask(match.group(0)), text)
    return PHONE_LIKE.sub(lambda match: mask_phone(match.group(0)), text)


def _decoded(text: str) -> str:
    """The line as a reader would see it: percent-escapes decoded (invalid UTF-8 kept as
    replacement characters), full-width letters and digits folded to ASCII. A control
    character that decoding produced (``%0A`` in a path) is written escaped, so that a
    request cannot forge a line of the log; the line's own line breaks (a traceback's)
    stay."""
    for _ in range(_DECODE_PASSES):
        decoded = _PERCENT_RUN.sub(_decode_run, text)
        if decoded == text:
            break
        text = decoded
    return unicodedata.normalize("NFKC", text)


_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _decode_run(match: re.Match[str]) -> str:
    return "".join(
        f"\\x{ord(char):02x}" if unicodedata.category(char) == "Cc" else char
        for char in unquote(match.group(0), errors="replace")
    )


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
