"""HEAD answered wherever GET is (RFC 9110 §9.3.2): the same status and headers, no body.

FastAPI routes answer only the methods they are declared with, so `curl -I` on a page got 405. Rather than
declare HEAD on every route (and in the OpenAPI spec), a HEAD request is passed on as GET and the body the
app sends back is dropped: the headers, Content-Length included, are those a GET gets. The static files answer
HEAD themselves (without reading the file), so they are left to it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = "/static/"
ASKED = "cyplan.method"  # the scope's key for the method asked for, where it is passed on as another


def asked_method(scope: Scope) -> str:
    """The method the client sent (HEAD, where HeadAsGet passed it on as GET)."""
    return str(scope.get(ASKED, scope["method"]))


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or scope["path"].startswith(STATIC):
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET", ASKED: "HEAD"}, receive, without_body)


def allow_with_head(allow: str) -> str:
    """An Allow header's methods, with HEAD after GET where GET is allowed (HeadAsGet answers it)."""
    methods = [m.strip() for m in allow.split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return ", ".join(methods)
