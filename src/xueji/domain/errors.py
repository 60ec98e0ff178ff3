"""Every error a user can meet, each with a stable code and a Chinese message.

The tree::

    XuejiError                      base: code, message, details
    ├── ValidationFailed            bad input; nothing was changed
    │   ├── IdentityError           a resident ID or registry number is invalid
    │   │   (ID_FORMAT, ID_LENGTH, ID_BIRTH_DATE, ID_REGION, ID_CHECKSUM)
    │   └── TooLarge                a request or upload over its size limit; not read
    ├── IllegalTransition           an enrollment change the status table forbids
    ├── AuthFailed                  wrong username or password
    ├── Throttled                   too many attempts; retry_after seconds
    ├── NotAuthenticated            no valid session
    ├── Forbidden                   signed in, but not allowed
    ├── NotFound                    absent, or outside the caller's scope (never told apart)
    ├── Conflict                    the change clashes with existing data
    └── Unavailable                 a service we depend on (SMS gateway) failed; retry later

Only ``xueji.web`` maps these to HTTP statuses; the CLI maps them to exit codes.
"""

from __future__ import annotations

from typing import Any


class XuejiError(Exception):
    """Base of all domain errors: a stable ``code`` and a Chinese ``message``."""

    code: str = "ERROR"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.details: dict[str, Any] = details

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(XuejiError):
    code = "VALIDATION_FAILED"


class IdentityError(ValidationFailed):
    """An identity number failed one check; ``code`` says which."""


class IllegalTransition(XuejiError):
    code = "ILLEGAL_TRANSITION"


class AuthFailed(XuejiError):
    code = "AUTH_FAILED"


class Throttled(XuejiError):
    code = "THROTTLED"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, retry_after=retry_after)
        self.retry_after = retry_after


class TooLarge(ValidationFailed):
    code = "REQUEST_TOO_LARGE"


class NotAuthenticated(XuejiError):
    code = "NOT_AUTHENTICATED"


class Forbidden(XuejiError):
    code = "FORBIDDEN"


class NotFound(XuejiError):
    code = "NOT_FOUND"


class Conflict(XuejiError):
    code = "CONFLICT"


class Unavailable(XuejiError):
    code = "UNAVAILABLE"
