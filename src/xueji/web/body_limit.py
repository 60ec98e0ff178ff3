"""Every request body is hostile until its size is known.

* An upload (``multipart/form-data``) is accepted only from a signed-in caller, checked
  before a byte of the body is read: an anonymous 50 MB upload costs nothing. Its size
  is limited by ``XUEJI_MAX_UPLOAD_MB``; any other body (JSON, a form) by
  ``FORM_LIMIT``.
* A declared ``Content-Length`` over the limit is refused at once; a body sent without
  one (chunked) is counted as it arrives and refused the moment it passes the limit.

Refusals are ``413 IMPORT_FILE_TOO_LARGE`` / ``REQUEST_TOO_LARGE`` and ``401
NOT_AUTHENTICATED``, with a Chinese message, and nothing was read into memory or changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xueji.domain.errors import NotAuthenticated, TooLarge, XuejiError
from xueji.web.errors import error_response

MIB = 1024 * 1024
#: JSON bodies and page forms: the largest legitimate one is a few kilobytes
FORM_LIMIT = 1 * MIB
#: Whether the request's caller is signed in (wired by the composition root).
Authenticated = Callable[[Request], Awaitable[bool]]


class BodyLimit:
    def __init__(self, app: ASGIApp, *, upload_limit: int, authenticated: Authenticated) -> None:
        self.app, self.upload_limit, self.authenticated = app, upload_limit, authenticated

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        upload = request.headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.upload_limit if upload else FORM_LIMIT
        refusal: XuejiError | None = None
        if upload and not await self.authenticated(request):
            refusal = NotAuthenticated("请先登录再上传文件")
        elif _declared(request) > limit:
            refusal = self._too_large(upload)
        if refusal is not None:
            await error_response(refusal, request)(scope, receive, send)
            return
        state = {"received": 0, "over": False}

        async def counted() -> Message:
            """Past the limit the client is treated as gone: the app stops reading."""
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            state["received"] += len(message.get("body", b""))
            if state["received"] > limit:
                state["over"] = True
                return {"type": "http.disconnect"}
            return message

        async def answered(message: Message) -> None:
            """Whatever the app answers to a body cut off is replaced by the 413."""
            if not state["over"]:
                await send(message)

        try:
            await self.app(scope, counted, answered)
        except Exception:
            if not state["over"]:
                raise
        if state["over"]:
            await error_response(self._too_large(upload), request)(scope, receive, send)

    def _too_large(self, upload: bool) -> XuejiError:
        if upload:
            return TooLarge(
                f"文件超过 {self.upload_limit // MIB} MB 上限，请拆分后分批导入",
                code="IMPORT_FILE_TOO_LARGE",
                limit_mb=self.upload_limit // MIB,
            )
        return TooLarge("请求内容过大", limit_bytes=FORM_LIMIT)


def _declared(request: Request) -> int:
    try:
        return int(request.headers.get("content-length", "0"))
    except ValueError:
        return 0
