"""Safety before users and roles arrive (docs/security.md): the server answers only its own host names, an
unsafe request must come from its own pages, every form carries a server-signed token, uploads have a size limit,
and every response carries headers that keep the pages out of other sites' frames and scripts.

CSRF: each browser gets a random session id in an HttpOnly, SameSite=Strict cookie; its forms carry that id
signed (HMAC) with the workspace's own secret, kept in the workspace folder. A POST passes only with a token this
workspace signed for this cookie: a made-up pair, or a token from another workspace or browser, is refused."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "cyplan_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SECRET_FILE = "cyplan-web.secret"
TOKEN_MAX_AGE = 7 * 24 * 3600  # seconds: a page left open for a week still posts; an older token is refused
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
UPLOAD_LIMIT = 50_000_000  # bytes: a year of record-level returns for a large area is well under this
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
SAME_ORIGIN = {"same-origin", "none"}  # Sec-Fetch-Site values of the app's own pages (or a typed address)
# 'unsafe-inline' styles only: Vega and Swagger UI set style attributes; no inline script runs on any page
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
           "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin",
           "Cross-Origin-Resource-Policy": "same-origin"}


# -- the CSRF token ------------------------------------------------------------------------------------


def workspace_secret(folder: Path) -> bytes:
    """The workspace's signing key, made on first use readable by its owner alone (0600). A folder that cannot
    be written gets a key for this run only: its pages' tokens then last until the server stops."""
    path = folder / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    except OSError:
        return secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as out:
        key = secrets.token_hex(32).encode()
        out.write(key)
    return key


class Signer:
    """Signs a browser's session id; only a token it signed for that session verifies."""

    def __init__(self, secret: bytes):
        self._s = URLSafeTimedSerializer(secret, salt="cyplan-csrf")

    def sign(self, session: str) -> str:
        return self._s.dumps(session)

    def verify(self, session: str | None, token: str | None) -> bool:
        if not session or not token:
            return False
        try:
            signed = self._s.loads(token, max_age=TOKEN_MAX_AGE)
        except BadSignature:  # includes an expired token
            return False
        return isinstance(signed, str) and secrets.compare_digest(signed, session)


def new_session() -> str:
    return secrets.token_urlsafe(32)


# -- host and origin -----------------------------------------------------------------------------------


def host_name(value: str) -> str:
    """The name in a Host header or an Origin's netloc, lower case, without its port or a trailing dot. A value
    that is not a name with an optional port (junk after an IPv6 address, a port that is not a number) comes
    back whole, and so matches no allowed name."""
    value = value.strip().lower()
    parsed = re.fullmatch(r"(\[[0-9a-f:.]*\]|[^:\[\]]*)(?::[0-9]*)?", value)
    if parsed is None:
        return value
    name = parsed.group(1)
    return name[:-1] if name.endswith(".") else name


def allowed_hosts(host: str | None = None, extra: Iterable[str] = ()) -> frozenset[str]:
    """The names the server answers to: this computer's, the address it listens on and the names given."""
    names = {*LOCAL_HOSTS, *extra, *([host] if host else [])}
    return frozenset(f"[{n}]" if ":" in n and not n.startswith("[") else host_name(n) for n in names)


def _refuse(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status, headers=HEADERS)


class Guard:
    """Refuses, before anything else sees it, a request for a host name the server is not meant for (DNS
    rebinding: another site's name pointed at this computer) and an unsafe request sent by another site."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]):
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.check(Headers(scope=scope), scope["method"])
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def check(self, headers: Headers, method: str) -> Response | None:
        host = host_name(headers.get("host", ""))
        if host not in self.hosts:
            return _refuse(400, f"This server does not answer to the address '{host or '(none)'}'. It answers to "
                                f"{', '.join(sorted(self.hosts))}. To use another name for this computer, start "
                                "it with 'cyplan serve --allowed-host NAME'.")
        if method not in UNSAFE:
            return None
        site = headers.get("sec-fetch-site")
        if site is not None and site.lower() not in SAME_ORIGIN:
            return _refuse(403, "Refused: this request came from another web site. Use cyplan's own pages.")
        origin = headers.get("origin")
        if origin is not None and not self._own(origin, headers.get("host", "")):
            return _refuse(403, f"Refused: this request came from another web site ({origin[:100]}). Use cyplan's "
                                "own pages.")
        return None

    @staticmethod
    def _own(origin: str, host: str) -> bool:
        """The Origin is this server's own address (scheme http(s), the same host and port as asked for)."""
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()


def csp_with_hashes(html: str) -> str:
    """The policy, letting run only the inline scripts in `html` (by their SHA-256): for a page made by a library
    (Swagger UI's) that writes its start-up script inline."""
    import base64

    hashes = [base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
              for s in re.findall(r"<script>(.*?)</script>", html, re.S)]
    return CSP.replace("script-src 'self'", "script-src 'self'" + "".join(f" 'sha256-{h}'" for h in hashes))


# -- the upload limit ----------------------------------------------------------------------------------


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
