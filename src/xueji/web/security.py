"""Headers every answer carries.

* ``Content-Security-Policy``: only this origin's scripts, styles, images and forms; no
  framing (``frame-ancestors 'none'``), no plugins, no ``<base>``. The pages have no
  inline script or style. The API documentation (``/docs``) may use inline styles, which
  Swagger UI sets on its elements.
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (older browsers),
  ``Referrer-Policy: same-origin`` (addresses may hold a registry number).
* ``Cache-Control: no-store`` on every answer to a request that carries a session
  (cookie or bearer token) — pages, JSON (``?reveal=true``), the info-sheet PDF — so no
  shared or browser cache keeps a child's data.
* ``Strict-Transport-Security`` when cookies are marked secure (served over HTTPS).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xueji.web.deps import request_token

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        policy = DOCS_POLICY if request.url.path.startswith("/docs") else POLICY
        private = request_token(request) is not None and not request.url.path.startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                if private:
                    headers["Cache-Control"] = "no-store"
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)
