"""Signing in and out of the shared server, and choosing the area to work in (issue 14 part 2).

GET /signin sends the browser to the identity provider (PKCE, state and nonce kept in a short-lived signed cookie
for the way back); /signin/callback checks the answer, starts a new session and goes back to the page asked for
(a path on this server only: never another site). POST /signout ends the session on the server. Every sign-in,
failure (with its reason) and sign-out is in the server workspace's audit trail, and an address with too many
failures in the window is refused until it passes.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from cyplan.auth.config import ServerConfig
from cyplan.auth.oidc import Pending, Provider, SignInFailed
from cyplan.auth.session import COOKIE, Sessions
from cyplan.store import audit

router = APIRouter(include_in_schema=False)
PENDING_COOKIE = "cyplan_signin"
PENDING_MAX_AGE = 600  # seconds a sign-in may take at the provider


def _config(request: Request) -> ServerConfig:
    return request.app.state.server


def _pending_signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret, salt="cyplan-signin")


def local_path(value: str | None) -> str:
    """The return address after sign-in: a path on this server, else the overview (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):  # a header split or a browser's stripped tab
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(("/signin", "/signout")):
        return "/"
    return value


def _page(request: Request, title: str, message: str, status: int, link: tuple[str, str] | None = None) -> Response:
    from cyplan.web.app import plain_page

    return plain_page(request, "signin.html", {"title": title, "message": message, "link": link}, status)


def no_role(request: Request) -> Response:
    """The page for a signed-in user who holds no role in any of the server's areas."""
    name = request.state.user.name
    message = (f"You are signed in as {name}, but you have no role in any area on this server yet. Ask your area's "
               "cyplan administrator to give you one (they need the name shown here), then reload this page.")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=403)
    return _page(request, "You have no role yet", message, 403)


# -- too many failures ----------------------------------------------------------------------------------


def wait_needed(request: Request) -> int:
    """Seconds this address must wait before another sign-in, 0 if none: failures counted from the audit trail,
    which every worker shares."""
    config = _config(request)
    source = audit.SOURCE.get()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=config.failure_window)
    with request.app.state.server_workspace.engine.connect() as conn:
        failed = [e for e in audit.read(conn, "sign-in failed", since.isoformat(timespec="microseconds"))
                  if e["source"] == source]
    if len(failed) < config.failures_allowed:
        return 0
    oldest = dt.datetime.fromisoformat(failed[-config.failures_allowed]["at"])
    return max(1, math.ceil((oldest - since).total_seconds()))


def _too_many(request: Request, wait: int) -> Response:
    minutes = max(1, math.ceil(wait / 60))
    response = _page(request, "Too many failed sign-ins", f"There have been too many failed sign-ins from your "
                     f"address. Try again in {minutes} minute{'s' if minutes > 1 else ''}.", 429)
    response.headers["Retry-After"] = str(wait)
    return response


def _failed(request: Request, reason: str, next_path: str = "/") -> Response:
    audit.append(request.app.state.server_workspace.engine, "sign-in failed", {"reason": reason}, who="unknown")
    response = _page(request, "Sign-in failed", f"Sign-in failed: {reason}.", 400,
                     ("/signin?next=" + next_path, "Try signing in again"))
    response.delete_cookie(PENDING_COOKIE, path="/signin")
    return response


# -- the routes ---------------------------------------------------------------------------------------------


@router.get("/signin")
def signin(request: Request, next: str | None = None) -> Response:
    # always to the provider, even with a live session here: the session at the end is the provider's user's, never
    # one planted in this browser beforehand
    back = local_path(next)
    if wait := wait_needed(request):
        return _too_many(request, wait)
    provider: Provider = request.app.state.provider
    try:
        url, pending = provider.begin(back)
    except SignInFailed as e:
        return _page(request, "Sign-in is not working", f"Sign-in is not working just now: {e}", 503)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(PENDING_COOKIE, _pending_signer(request).dumps(
        [pending.state, pending.nonce, pending.verifier, pending.next]), max_age=PENDING_MAX_AGE, path="/signin",
        httponly=True, secure=_config(request).secure, samesite="lax")  # lax: the provider's redirect is cross-site
    return response


def _pending(request: Request) -> Pending | None:
    try:
        kept = _pending_signer(request).loads(request.cookies.get(PENDING_COOKIE, ""), max_age=PENDING_MAX_AGE)
    except BadSignature:
        return None
    if not (isinstance(kept, list) and len(kept) == 4 and all(isinstance(x, str) for x in kept)):
        return None
    return Pending(*kept[:3], local_path(kept[3]))


@router.get("/signin/callback")
def callback(request: Request, code: str | None = None, state: str | None = None, error: str | None = None,
             error_description: str | None = None) -> Response:
    if wait := wait_needed(request):
        return _too_many(request, wait)
    pending = _pending(request)
    back = pending.next if pending else "/"
    try:
        if error:
            raise SignInFailed(f"the sign-in service said: {(error_description or error)[:300]}")
        if pending is None:
            raise SignInFailed("no sign-in was started in this browser, or it took longer than "
                               f"{PENDING_MAX_AGE // 60} minutes")
        if not state or not secrets.compare_digest(state, pending.state):
            raise SignInFailed("the answer from the sign-in service is not for the sign-in started here (state)")
        if not code:
            raise SignInFailed("the sign-in service sent no code")
        user = request.app.state.provider.finish(pending, code)
    except SignInFailed as e:
        return _failed(request, str(e), back)
    sessions: Sessions = request.app.state.sessions
    sessions.sweep()  # sessions timed out are refused anyway: forget them now and then
    if (old := sessions.key(request.cookies.get(COOKIE))) is not None:
        sessions.end(old)  # whatever session this browser held is over: the new one has a new id
    key = sessions.start(user, None, audit.SOURCE.get())
    audit.append(request.app.state.server_workspace.engine, "sign-in", {"user": user.name, "name": user.display},
                 who=user.name)
    response = RedirectResponse(back, status_code=303)
    _set_session(request, response, key)
    response.delete_cookie(PENDING_COOKIE, path="/signin")
    return response


def _set_session(request: Request, response: Response, key: str) -> None:
    config = _config(request)
    response.set_cookie(COOKIE, request.app.state.sessions.cookie(key), max_age=math.ceil(config.session_absolute),
                        httponly=True, secure=config.secure, samesite="lax")


@router.post("/signout")
def signout(request: Request) -> Response:
    sessions: Sessions = request.app.state.sessions
    key = sessions.key(request.cookies.get(COOKIE))
    found = sessions.find(key) if key else None
    if key is not None:
        sessions.end(key)
    if found is not None:
        audit.append(request.app.state.server_workspace.engine, "sign-out", {"user": found.user.name},
                     who=found.user.name)
    response = RedirectResponse("/signout", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/signout")
def signed_out(request: Request) -> Response:
    return _page(request, "You have signed out", "You have signed out of cyplan.", 200, ("/signin", "Sign in again"))


@router.post("/area")
def choose_area(request: Request, tenant: Annotated[str, Form()]) -> Response:
    if tenant not in request.state.tenants:  # one answer for an area not held and one that does not exist
        raise HTTPException(403, "You hold no role in that area. Choose one of the areas listed.")
    request.app.state.sessions.choose(request.state.session.key, tenant)
    return RedirectResponse("/", status_code=303)


@router.get("/healthz")
def healthz() -> dict[str, Any]:
    return {"status": "ok"}

