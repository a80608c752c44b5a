"""The shared server's gate (issue 14 part 2): no request reaches a route without a live session, except signing
in and out, the static files and the health check.

For a signed-in request it sets request.state.user (cyplan.auth.session.User), .tenant (the server area the user
works in, kept in the session; the first of their areas until they choose another), .tenants (every area they
hold a role in, in the config's order) and .roles (their roles in .tenant), as docs/decisions/0011 and the
routes' permission checks (web/access.py) expect. A signed-in user with no role anywhere gets a page saying to
ask their area's admin. Audit entries made while answering name the user (audit.WHO).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from cyplan.auth.config import ServerConfig
from cyplan.auth.roles import Role, roles_of
from cyplan.auth.session import COOKIE, Session
from cyplan.store import audit
from cyplan.store.workspace import CONFIG_FILE, DB_FILE, Workspace, WorkspaceError

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


def areas_of(request: Request, user: str) -> dict[str, frozenset[Role]]:
    """The user's roles in each of the server's areas, in the config's order (a role in an area no longer served
    counts for nothing)."""
    with request.app.state.server_workspace.engine.connect() as conn:
        return _served(request, roles_of(conn, user))


def _served(request: Request, held: dict[str, frozenset[Role]]) -> dict[str, frozenset[Role]]:
    return {code: held[code] for code in request.app.state.area_names if code in held}


def session_and_areas(request: Request, key: str | None) -> tuple[Session | None, dict[str, frozenset[Role]]]:
    """The live session and its user's roles in one transaction: on PostgreSQL each transaction is round trips of
    its own (the area's setting, the end), and this is done for every request (issue 14 part 8)."""
    if key is None:
        return None, {}
    with request.app.state.server_workspace.engine.begin() as conn:
        found = request.app.state.sessions.find_in(conn, key)
        return found, ({} if found is None else _served(request, roles_of(conn, found.user.name)))


async def gate(request: Request, call_next: Any) -> Response:
    request.state.roles = frozenset()
    if public(request.url.path):
        return await call_next(request)
    sessions = request.app.state.sessions
    found, areas = await run_in_threadpool(session_and_areas, request, sessions.key(request.cookies.get(COOKIE)))
    if found is None:
        return sign_in_first(request)
    request.state.user, request.state.session, request.state.tenants = found.user, found, tuple(areas)
    token = audit.WHO.set(found.user.name)
    try:
        if not areas:
            from cyplan.web.routes.signin import no_role

            return no_role(request)
        tenant = found.tenant if found.tenant in areas else next(iter(areas))
        if tenant != found.tenant:
            await run_in_threadpool(sessions.choose, found.key, tenant)
        request.state.tenant, request.state.roles = tenant, areas[tenant]
        return await call_next(request)
    finally:
        audit.WHO.reset(token)
