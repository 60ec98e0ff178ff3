"""What an identity number or a mobile number looks like inside other text: for the log
masker, which must find them wherever a library wrote them, and for the names people
choose (usernames, student numbers), which must not be one — a name is stored in clear."""

from __future__ import annotations

import re

#: a resident ID or registry number (G/J/L prefix optional), not inside a longer word
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])[GJLgjl]?[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
#: a mainland mobile number, with or without +86 / 86 and spaces or hyphens between its
#: groups (138 0013 8000, 138-0013-8000: the spellings sign-in accepts), not inside a
#: longer run of digits
PHONE_LIKE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
#: eleven digits in a row: a phone, or most of an ID number
_DIGIT_RUN = re.compile(r"[0-9]{11,}")


def holds_identifier(name: str) -> bool:
    """True when a chosen name could carry a phone or an ID or registry number: eleven
    or more digits in a row anywhere in it."""
    return _DIGIT_RUN.search(name) is not None
