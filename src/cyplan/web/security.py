"""Basics of safety before users and roles arrive: a CSRF token on every form and an upload size limit.

CSRF: double submit. Each browser gets a random token in a SameSite=Strict cookie; every form carries the
same token in a hidden field (htmx sends it as a header), and a POST whose two copies differ is refused."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "cyplan_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
UPLOAD_LIMIT = 50_000_000  # bytes: a year of record-level returns for a large area is well under this


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(cookie: str | None, given: str | None) -> bool:
    return bool(cookie) and bool(given) and hmac.compare_digest(cookie, given)  # type: ignore[arg-type]


class TooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"The file is too large: the limit is {limit / 1e6:,.3g} MB")
        self.limit = limit


class UploadLimit:
    """Refuses a request body over the limit: at once when Content-Length says so, else as it arrives."""

    def __init__(self, app: ASGIApp, limit: int, refuse: Callable[[Request, TooLarge], Response]):
        self.app, self.limit, self.refuse = app, limit, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length and length.isdigit() and int(length) > self.limit:
            await self.refuse(Request(scope, receive), TooLarge(self.limit))(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise TooLarge(self.limit)
            return message

        await self.app(scope, counted, send)

