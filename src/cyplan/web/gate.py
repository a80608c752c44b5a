"""The shared server's gate (issue 14 part 2): no request reaches a route without a live session, except signing
in and out, the static files and the health check.

For a signed-in request it sets request.state.user (cyplan.auth.session.User), .tenant (the server area the user
works in, kept in the session; the first of their areas until they choose another), .tenants (every area they
hold a role in, in the config's order) and .roles (their roles in .tenant), as docs/decisions/0011 and the
routes' permission checks (web/access.py) expect. A signed-in user with no role anywhere gets a page saying to
ask their area's admin. Audit entries made while answering name the user (audit.WHO).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import anyio.to_thread
from anyio.lowlevel import RunVar
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cyplan.auth.config import ServerConfig
from cyplan.auth.roles import Role
from cyplan.auth.session import COOKIE, Session
from cyplan.store import audit
from cyplan.store.workspace import CONFIG_FILE, DB_FILE, Workspace, WorkspaceError

T = TypeVar("T")
PUBLIC_PREFIXES = ("/signin/", "/static/")
PUBLIC = {"/signin", "/signout", "/healthz", "/favicon.ico"}


def server_workspace(config: ServerConfig) -> Workspace:
    """The server's own workspace (users' roles, sessions, the sign-in audit trail). On SQLite it is made on first
    start; on PostgreSQL the first `cyplan server add-area` makes it (after `cyplan server migrate`)."""
    path = config.server_dir
    if not _made(path):
        if config.database_url:
            raise WorkspaceError(f"{path} is not set up yet: run 'cyplan server add-area CODE --config {config.path}' "
                                 "for each area (the first also makes the server's own workspace), after 'cyplan "
                                 "server migrate' (docs/deployment.md)")
        return Workspace.create(path)
    return Workspace.open(path)


def check_areas(config: ServerConfig) -> None:
    """Every area the config lists has been made; else a WorkspaceError saying how to make the first missing one
    (not `cyplan init`, whose workspace would not be the area on a shared database)."""
    for area in config.areas:
        if not _made(config.area_dir(area.code)):
            raise WorkspaceError(f"the area {area.code} ({area.name}) has not been made: there is no workspace in "
                                 f"{config.area_dir(area.code)}. Run 'cyplan server add-area {area.code} --config "
                                 f"{config.path}' (or take it out of the file)")


def _made(path: Path) -> bool:
    return (path / DB_FILE).exists() or (path / CONFIG_FILE).exists()


def public(path: str) -> bool:
    return path in PUBLIC or path.startswith(PUBLIC_PREFIXES)


def sign_in_first(request: Request) -> Response:
    """401 for the API (a program cannot follow a sign-in), the sign-in page for a browser, back here after."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": "Sign in first: open this server's address in a browser and sign in."},
                            status_code=401)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method not in ("GET", "HEAD"):
        here = "/"  # a form sent after the session ended cannot be sent again from the sign-in: start afresh
    target = "/signin?next=" + quote(here, safe="")
    if request.headers.get("hx-request"):  # htmx would put the provider's page inside this one: go there whole
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _served(request: Request, held: dict[str, frozenset[Role]]) -> dict[str, frozenset[Role]]:
    return {code: held[code] for code in request.app.state.area_names if code in held}


@dataclass(frozen=True)
class Found:
    """What the gate's one transaction found: the live session (None: sign in first), its user's roles in each
    served area and the area the request works in (None: the user holds no role)."""

    session: Session | None
    areas: dict[str, frozenset[Role]]
    tenant: str | None


def session_and_areas(request: Request, key: str | None) -> Found:
    """The live session, its user's roles and the working area's data version in one transaction on one connection:
    on PostgreSQL each transaction is round trips of its own (its start, the area's setting, its end) and a
    connection taken from the pool, and this is done for every request (issue 14 part 8)."""
    if key is None:
        return Found(None, {}, None)
    with request.app.state.server_workspace.engine.begin() as conn:
        got = request.app.state.sessions.find_with_roles(conn, key)
        if got is None:
            return Found(None, {}, None)
        found, held = got
        areas = _served(request, held)
        tenant = found.tenant if found.tenant in areas else next(iter(areas), None)
        if tenant is not None:  # the last statements of the transaction: they are the area's, not the server's
            request.app.state.areas[tenant].read_version_in(conn)
        return Found(found, areas, tenant)


# How many of a worker's requests read their session at once, each in a thread (the reads wait on the database). The
# others wait their turn in the order they came (anyio's limiter is first come, first served). With anyio's 40, all
# of a worker's ~25 people under the benchmark's load had a thread, and they took the interpreter's lock from each
# other (and from the event loop) after every answer of the database, in no particular order (issue 14 part 8).
GATE_THREADS = 4
_GATE_LIMITER: RunVar[anyio.CapacityLimiter] = RunVar("cyplan_gate_threads")  # one per event loop, as anyio's own


async def in_gate_thread(func: Callable[..., T], *args: Any) -> T:
    """func(*args) in a thread, GATE_THREADS at most at once in this event loop."""
    try:
        limiter = _GATE_LIMITER.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(GATE_THREADS)
        _GATE_LIMITER.set(limiter)
    return await anyio.to_thread.run_sync(partial(func, *args), limiter=limiter)


class Gate:
    """The gate as plain ASGI (not Starlette's BaseHTTPMiddleware, whose extra task and streams per request cost
    more than the rest of a page's bookkeeping on the shared server; app.py's RequestContext does the same)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        request.state.roles = frozenset()
        if public(request.url.path):
            await self.app(scope, receive, send)
            return
        sessions = request.app.state.sessions
        found = await in_gate_thread(session_and_areas, request, sessions.key(request.cookies.get(COOKIE)))
        if found.session is None:
            await sign_in_first(request)(scope, receive, send)
            return
        request.state.user, request.state.session = found.session.user, found.session
        request.state.tenants = tuple(found.areas)
        token = audit.WHO.set(found.session.user.name)
        try:
            if found.tenant is None:
                from cyplan.web.routes.signin import no_role

                await no_role(request)(scope, receive, send)
                return
            if found.tenant != found.session.tenant:
                await in_gate_thread(sessions.choose, found.session.key, found.tenant)
            request.state.tenant, request.state.roles = found.tenant, found.areas[found.tenant]
            await self.app(scope, receive, send)
        finally:
            audit.WHO.reset(token)
