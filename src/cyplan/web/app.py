"""The web app: one workspace, its pages and their JSON twins under /api; or, with a config file, the shared server
(issue 14): many areas, each a workspace, behind sign-in (web/gate.py, web/routes/signin.py).

Safety (security.py, docs/security.md): only its own host names answered, unsafe requests only from its own
pages with a server-signed token, an upload limit, security headers, and no stack trace ever shown (errors are
logged to the workspace's cyplan-web.log and to stderr, and the user sees a plain page)."""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import escape as markup_escape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cyplan import machine
from cyplan.auth.config import CONFIG_ENV, ServerConfig
from cyplan.auth.roles import EVERY_ROLE, Permission
from cyplan.auth.session import COOKIE as SESSION_COOKIE
from cyplan.auth.session import User
from cyplan.store import audit
from cyplan.web import access, security
from cyplan.web.head import HeadAsGet, allow_with_head, asked_method
from cyplan.web.state import WorkspaceState, one_version_per_request

HERE = Path(__file__).parent
STATIC = HERE / "static"
VENDOR = STATIC / "vendor"
LOG_FILE = "cyplan-web.log"
log = logging.getLogger("cyplan.web")

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["CSRF_FIELD"] = security.CSRF_FIELD


def in_area(href: str, area: str | None) -> str:
    """A link to another page of cyplan that keeps the area being looked at (`?area=`), so that following it does
    not fall back to the first area."""
    if not area:
        return href
    path, _, fragment = href.partition("#")
    return f"{path}{'&' if '?' in path else '?'}area={quote(area)}" + (f"#{fragment}" if fragment else "")


templates.env.filters["in_area"] = in_area

NAV = [("overview", "Overview", "/"), ("workforce", "Workforce", "/workforce"), ("services", "Services", "/services"),
       ("compare", "Compare areas", "/compare"), ("evidence", "Evidence", "/evidence"),
       ("returns", "Who services reach", "/returns"), ("data", "Data", "/data")]
ADMIN_NAV = ("admin", "Admin", "/admin/users")  # for a user who may manage the area's users or read its audit trail


# What every route may answer besides its own: the JSON of an error (the pages' twins answer HTML)
ERROR_BODY = {"application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}},
                                              "required": ["detail"]}}}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "A value the route cannot use (JSON), or a host name this server does not answer to "
                         "(text)", "content": {**ERROR_BODY, "text/plain": {"schema": {"type": "string"}}}},
    404: {"description": "An area, year, scenario, table or input the workspace does not have, named with the ones "
                         "it has", "content": ERROR_BODY},
}


class AssetsMissing(RuntimeError):
    pass


def state(request: Request) -> WorkspaceState:
    """The workspace a request is about: the server area the signed-in user is working in, or the one workspace."""
    if request.app.state.server is None:
        return request.app.state.workspace
    tenant = getattr(request.state, "tenant", None)
    if tenant is None:  # the gate lets no request without an area reach a route that reads one
        raise HTTPException(403, "Choose an area to work in first.")
    return request.app.state.areas[tenant]


State = Annotated[WorkspaceState, Depends(state)]  # the workspace, for a route's parameters


def page(request: Request, template: str, context: dict[str, Any], status_code: int = 200,
         keep: bool = False) -> HTMLResponse:
    """A page in the layout: the nav, the area's name and the CSRF token are filled in here. With `keep` (a dashboard
    page whose context is the data's and the address's alone), the page as the menu links to it (no query, or only
    one of the workspace's areas) is rendered once per version of the data and what the user's roles allow, and
    only the person's own parts filled in."""
    st = state(request)
    can = may(request)
    if keep and _keepable(request, st):
        def render() -> list[bytes | str]:
            layout = _layout(request, st, can, STAND_INS, context)
            return _cut(bytes(templates.TemplateResponse(request, template, layout).body).decode())

        kept = st.cached(_kept_key(request, template, status_code, can), render)
        return HTMLResponse(_personal(kept, request), status_code=status_code)
    return templates.TemplateResponse(request, template, _layout(request, st, can, _own(request), context),
                                      status_code=status_code)


# A kept page is rendered with these in place of the person's own parts (the CSRF token their forms carry, their
# name), then each request joins the page's pieces with its own (_cut). Random per process: no data or name can
# hold one.
STAND_INS = {part: f"cyplan{secrets.token_hex(16)}{part}" for part in ("csrf", "display", "name")}
_STAND_IN = re.compile("|".join(STAND_INS.values()))
_PART_OF = {stand_in: part for part, stand_in in STAND_INS.items()}


def _kept_key(request: Request, template: str, status_code: int, can: dict[str, bool]) -> tuple[Any, ...]:
    """What a kept page is kept under: the page, its address, the area asked for, every permission's answer, the
    user's area and the areas they may choose (the layout's header lists them)."""
    return ("page", template, request.url.path, request.query_params.get("area"), status_code,
            tuple(sorted(can.items())), getattr(request.state, "tenant", None),
            tuple(getattr(request.state, "tenants", ())))


def _keepable(request: Request, st: WorkspaceState) -> bool:
    """The address is the page as the menu links to it: no query, or only `area` naming one of the workspace's (a
    kept page for every address anyone makes up would fill the memory)."""
    if not request.url.query:
        return True
    return list(request.query_params) == ["area"] and request.query_params["area"] in st.area_codes()


def _own(request: Request) -> dict[str, str]:
    """The person's own parts of a page: their form token and, signed in, their name."""
    user = getattr(request.state, "user", None)
    return {"csrf": request.state.csrf, "display": user.display if user else "", "name": user.name if user else ""}


def _cut(html: str) -> list[bytes | str]:
    """A page rendered with the stand-ins, cut once into its bytes between them and the parts they stand for: each
    request then joins the pieces with its own, without searching the page again (100 KB and more)."""
    pieces: list[bytes | str] = []
    at = 0
    for m in _STAND_IN.finditer(html):
        pieces += [html[at:m.start()].encode(), _PART_OF[m.group(0)]]
        at = m.end()
    return [*pieces, html[at:].encode()]


def _personal(kept: list[bytes | str], request: Request) -> bytes:
    """The kept page with this request's own parts in place of the stand-ins, escaped as the template would have."""
    own = {part: str(markup_escape(value)).encode() for part, value in _own(request).items()}
    return b"".join(own[p] if isinstance(p, str) else p for p in kept)


def _layout(request: Request, st: WorkspaceState, can: dict[str, bool], own: dict[str, str],
            context: dict[str, Any]) -> dict[str, Any]:
    """The page's context: the layout's parts, the person's own (`own`: theirs, or the stand-ins), the page's."""
    names = st.area_names()
    area = st.area(request.query_params.get("area"))
    nav = NAV + ([ADMIN_NAV] if can["manage_users"] or can["view_audit"] else [])
    header = signed_in(request)
    if header["user"] is not None:
        header["user"] = User(own["name"], own["display"])
    return {"nav": nav, "area": area, "area_name": names.get(area or "", "No area yet"), "areas": names,
            "csrf_token": own["csrf"], "can": can, **header, **context}


def may(request: Request) -> dict[str, bool]:
    """What the user's roles allow, by name, for the pages to show only the links and forms they can use."""
    return {p.name.lower(): access.allowed(request, p) for p in Permission}


def signed_in(request: Request) -> dict[str, Any]:
    """The layout's header on the shared server: who is signed in, the server area and the others they may choose."""
    user = getattr(request.state, "user", None)
    if user is None:
        return {"user": None}
    names: dict[str, str] = getattr(request.app.state, "area_names", {})
    return {"user": user, "tenant": request.state.tenant, "tenant_name": names.get(request.state.tenant or "", ""),
            "tenants": {code: names.get(code, code) for code in getattr(request.state, "tenants", ())}}


def plain_page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page in the layout without an area's data: signing in and out, no role, choosing an area."""
    if not hasattr(request.state, "csrf"):
        request.state.csrf = ""
    return templates.TemplateResponse(request, template, {
        "nav": [], "area": None, "area_name": "", "areas": {}, "csrf_token": request.state.csrf,
        "can": may(request), **signed_in(request), **context}, status_code=status_code)


def chosen_area(st: WorkspaceState, area: str | None) -> str | None:
    """The area asked for, or without one the first; 404 naming the areas for one the workspace has not (never
    another area's figures under the name asked for)."""
    if area is None:
        return st.area(None)
    codes = st.area_codes()
    if area not in codes:
        raise HTTPException(404, f"There is no area ‘{area}’. The areas are: {', '.join(codes) or 'none yet'}.")
    return area


def csrf_bound(request: Request, session: str) -> str:
    """What a form's token signs: the browser's CSRF id, and on the shared server a digest of its sign-in session
    too, so that a token made before sign-in (or planted by someone who made it in their own session) is refused
    after it, and a token never shows the session's id in a page."""
    signed_in = request.cookies.get(SESSION_COOKIE) if request.app.state.server is not None else None
    return f"{session}|{hashlib.sha256(signed_in.encode()).hexdigest()}" if signed_in else session


async def csrf_protect(request: Request) -> None:
    if request.method not in security.UNSAFE:
        return
    given = request.headers.get(security.CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("multipart/form-data", "application/x-www-form-urlencoded")):
        given = (await request.form()).get(security.CSRF_FIELD)  # type: ignore[assignment]
    signer: security.Signer = request.app.state.signer
    cookie = request.cookies.get(security.CSRF_COOKIE)
    if not signer.verify(cookie and csrf_bound(request, cookie), given if isinstance(given, str) else None):
        raise HTTPException(403, "This form has expired or did not come from cyplan. Go back, reload the page and "
                                 "try again.")


def _plain(err: dict[str, Any]) -> str:
    """A validation error in words, without Python's own (a file field sent as text says 'Expected UploadFile,
    received: <class 'str'>')."""
    where = ".".join(str(x) for x in err["loc"][1:]) or "the request"
    kind = err.get("type", "")
    if kind == "missing":
        return f"{where}: this is missing"
    if "UploadFile" in str(err.get("msg", "")) or "<class" in str(err.get("msg", "")):
        return f"{where}: choose a file to upload"
    return f"{where}: {err['msg']}"


def _too_large_in(e: BaseException | None) -> security.TooLarge | None:
    """The upload limit's error behind a failure to parse a form (FastAPI reports any as 400 'error parsing the
    body', the form parser's task group wraps it in an ExceptionGroup)."""
    if isinstance(e, security.TooLarge):
        return e
    if isinstance(e, BaseExceptionGroup):
        return next((found for x in e.exceptions if (found := _too_large_in(x)) is not None), None)
    return None


def _error_page(request: Request, status: int, title: str, message: str,
                headers: dict[str, str] | None = None) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    if not hasattr(request.state, "csrf"):
        request.state.csrf = ""
    try:
        response: Response
        if request.app.state.server is not None and getattr(request.state, "tenant", None) is None:
            response = plain_page(request, "error.html", {"title": title, "message": message}, status)
        else:
            response = page(request, "error.html", {"title": title, "message": message}, status)
    except Exception:  # the workspace itself may be what failed: still no stack trace for the user
        log.exception("could not render the error page")
        response = HTMLResponse(f"<h1>{escape(title)}</h1><p>{escape(message)}</p>", status_code=status)
    response.headers.update(headers or {})
    return response


def _logging(workspace: Path) -> None:
    """Errors to the workspace's own log (one workspace is served at a time: the last app made wins)."""
    for h in [h for h in log.handlers if getattr(h, "cyplan", False)]:
        log.removeHandler(h)
        h.close()
    handler: logging.Handler
    try:
        handler = logging.FileHandler(workspace / LOG_FILE)
    except OSError as e:  # a read-only workspace is still served (with a secret for this run only): log to stderr
        handler, unwritable = logging.StreamHandler(), e
    else:
        unwritable = None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.cyplan = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    if unwritable is not None:
        log.warning("cannot write %s (%s): errors are logged here on the screen only, and pages' forms last until "
                    "the server stops", workspace / LOG_FILE, unwritable.strerror or unwritable)


def _check_assets() -> None:
    # a build from before Swagger UI was added (for /api/docs) counts as missing
    if not all((VENDOR / f).exists() for f in (".built", "swagger-ui/swagger-ui-bundle.js")):
        raise AssetsMissing("the web app's front-end files are missing: run 'make demo' or "
                            "scripts/build_web_assets.sh (it installs them from npm)")


def _new_app() -> FastAPI:
    return FastAPI(title="cyplan", description="Needs-based planning for children and young people's services.",
                   docs_url=None, redoc_url=None, openapi_url=None,  # served by its own route (a permission)
                   dependencies=[Depends(csrf_protect)], responses=ERROR_RESPONSES)


def create_app(workspace: Path, upload_limit: int = security.UPLOAD_LIMIT, host: str | None = None,
               allowed_hosts: Iterable[str] = ()) -> FastAPI:
    """The app for one workspace, answering to this computer's names, `host` (the address it listens on) and
    `allowed_hosts`. Raises WorkspaceError for a folder that is not one, AssetsMissing when the front-end files
    have not been built."""
    _check_assets()
    app = _new_app()
    app.state.server = None  # the one-person app: no sign-in, its one user holds every role
    app.state.workspace = WorkspaceState(workspace)
    app.state.signer = security.Signer(security.workspace_secret(workspace))
    _logging(workspace)
    return _finish(app, upload_limit, security.allowed_hosts(host, allowed_hosts), lambda request: workspace)


def create_server_app(config: ServerConfig, upload_limit: int = security.UPLOAD_LIMIT) -> FastAPI:
    """The shared server: each of the config's areas a workspace under its data folder, users and their sessions
    in the server workspace, every request but signing in behind the gate (web/gate.py). Raises WorkspaceError
    for an area whose folder is not a workspace, AssetsMissing as create_app."""
    from cyplan.auth.oidc import Provider
    from cyplan.auth.session import Sessions
    from cyplan.web import gate

    _check_assets()
    app = _new_app()
    gate.check_areas(config)  # first: on SQLite the server's workspace below is made, and a refusal changes nothing
    server = gate.server_workspace(config)
    secret = config.session_secret or security.workspace_secret(config.server_dir)
    app.state.server = config
    app.state.server_workspace = server
    app.state.areas = {a.code: WorkspaceState(config.area_dir(a.code)) for a in config.areas}
    app.state.area_names = {a.code: a.name for a in config.areas}
    app.state.workspace = None  # no one workspace: state(request) gives the user's area's
    app.state.signer, app.state.secret = security.Signer(secret), secret
    app.state.sessions = Sessions(server.engine, secret, config.session_idle, config.session_absolute)
    app.state.provider = Provider(config.oidc, config.redirect_uri)
    _logging(config.server_dir)
    app.state.kept_pages = True  # KeptPages on (a test turns it off to hold its answers to the routes')
    app.add_middleware(KeptPages)  # inside the gate: after its session and roles check
    app.add_middleware(gate.Gate)  # inside the middlewares below: the audit's source is set before it runs
    public = security.host_name(config.public_url.split("://", 1)[1])
    return _finish(app, upload_limit, security.allowed_hosts(config.host, [public]),
                   lambda request: state(request).path if getattr(request.state, "tenant", None)
                   else config.server_dir)


def server_app() -> FastAPI:
    """The shared server's app for uvicorn's workers (`cyplan serve --config` names this factory): the config file
    comes by the environment, as a factory takes no arguments."""
    from cyplan.auth.config import load

    limit = int(os.environ.get("CYPLAN_UPLOAD_LIMIT", security.UPLOAD_LIMIT))
    app = create_server_app(load(Path(os.environ[CONFIG_ENV])), limit)
    settle_garbage_collector()
    return app


# The collector's first threshold for a worker. Python's 700 new objects made a young collection every ~60 ms under
# the benchmark's load, promoting the objects of every request in flight, so that a full collection (every object
# of the worker, the kept results among them) came every ~10 s; in all 0.23-0.41 s of processor time a worker in 20
# s. With the worker's start-up objects frozen and 50,000 it was 0.08-0.12 s, but each young collection took 30-45
# ms of processor time at once (up to 1.2 s of waiting on the busy machine); a young collection's time grows with
# the young objects, so 10,000 makes each about a fifth of that (issue 14 part 8; benchmarks/README.md). A
# request's objects are freed by reference counting, not the collector: it only has to find cycles, which this many
# new objects still bounds (a few MB).
GC_YOUNG = 10_000


def settle_garbage_collector() -> None:
    """A worker's start-up: its objects so far (the imported code, the app) put out of the collector's reach
    (gc.freeze: they live as long as the worker, and a full collection no longer walks them), and the young
    generation's threshold raised (GC_YOUNG)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])


class RequestContext:
    """Where the audit trail says a change came from (the client's address as the server sees it: behind a reverse
    proxy named in trusted_proxies, the address it forwarded, as uvicorn rewrites it before here), the one-person
    app's user holding every role (on the shared server none until the gate finds the user's), and the data's
    version read once for the request. Plain ASGI, not Starlette's BaseHTTPMiddleware, whose extra task and
    streams per request cost more than the rest of a page's bookkeeping on the shared server."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = audit.SOURCE.set(f"web {request.client.host if request.client else 'unknown'}")
        if not hasattr(request.state, "roles"):  # what an outer layer set stands: test_roles.py's stand-in gate
            request.state.user, request.state.tenant = None, None
            request.state.roles = EVERY_ROLE if request.app.state.server is None else frozenset()
        try:
            with one_version_per_request():
                await self.app(scope, receive, send)
        finally:
            audit.SOURCE.reset(token)


# The kept pages KeptPages may answer, by address: the template the route renders and the headers it adds
# (page_or_fragment's Vary). tests/test_kept_fast.py holds its answers to the routes' own, headers and all.
KEPT_PAGES = {"/": ("overview.html", ()), "/workforce": ("workforce.html", (("vary", "HX-Request"),))}


class KeptPages:
    """The shared server's dashboard pages answered from the kept page, without routing, the route's dependencies
    and its thread (issue 14 part 8: about a quarter of a kept page's processor time, measured). Inside the gate:
    the session, the user's roles and the area's data version were read in its transaction for this request. Only
    a plain GET of the page as the menu links to it (no query, not htmx's), for a user whose roles allow the
    route's permission, when a page is already kept under the key the route itself would use for this version of
    the data; anything else goes on to the route, which answers as before (a refusal, a fragment, a page to
    render)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kept = KEPT_PAGES.get(scope["path"]) if scope["type"] == "http" else None
        if kept is not None and scope["method"] == "GET" and not scope["query_string"]:
            request = Request(scope)
            body = await _kept_answer(request, kept[0])
            if body is not None:
                response = HTMLResponse(body)
                response.headers.update(dict(kept[1]))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _kept_answer(request: Request, template: str) -> bytes | None:
    """The kept page filled in for this person, or None for the route to answer."""
    if (not request.app.state.kept_pages or getattr(request.state, "tenant", None) is None
            or request.headers.get("hx-request") or not access.allowed(request, Permission.VIEW_PUBLISHED)):
        return None
    st = state(request)
    if not st.version_read():  # on PostgreSQL the gate's transaction read it; elsewhere a read of files, in a thread
        await run_in_threadpool(st.version)
    kept = st.kept(_kept_key(request, template, 200, may(request)))
    return None if kept is None else _personal(kept, request)


class CsrfCookie:
    """The browser's CSRF id (a cookie) and the token its forms carry (request.state.csrf), and the security
    headers on every answer. Only pages carry forms: a page's scripts and styles, fetched at once without the
    cookie, must not each set a session of their own and leave the page's forms holding a token for a stale one.
    Plain ASGI, as RequestContext."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie = request.cookies.get(security.CSRF_COOKIE)
        session = cookie or security.new_session()
        request.state.csrf = request.app.state.signer.sign(csrf_bound(request, session))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not cookie and headers.get("content-type", "").startswith("text/html"):
                    server = request.app.state.server  # over https (the shared server's address): never in clear
                    made = Response()
                    made.set_cookie(security.CSRF_COOKIE, session, httponly=True, samesite="strict",
                                    secure=server is not None and server.secure)
                    headers.append("set-cookie", made.headers["set-cookie"])
                for name, value in security.HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _finish(app: FastAPI, upload_limit: int, hosts: frozenset[str], folder: Any) -> FastAPI:
    """What both apps share: the safety middlewares, the error pages, the routes. `folder(request)` is the
    workspace folder a fault is named in."""
    app.state.upload_limit = upload_limit

    app.add_middleware(RequestContext)
    app.add_middleware(CsrfCookie)  # outside RequestContext, as the two were added before

    def too_large(request: Request, e: security.TooLarge) -> Response:
        request.state.csrf = ""
        return _error_page(request, 413, "The file is too large",
                           f"{e}. Split it into smaller files, or keep only the columns cyplan reads.")

    app.add_middleware(security.UploadLimit, limit=upload_limit, refuse=too_large)
    app.add_middleware(security.Guard, hosts=hosts)
    app.add_middleware(HeadAsGet)  # outermost: HEAD reaches every layer (the host check too) as the GET it stands for

    @app.exception_handler(security.TooLarge)
    async def _too_large(request: Request, e: security.TooLarge) -> Response:
        return too_large(request, e)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, e: StarletteHTTPException) -> Response:
        if (limit := _too_large_in(e.__cause__)) is not None:  # a chunked body over the limit, met in a form
            return too_large(request, limit)
        titles = {404: "Page not found", 403: "Not allowed", 405: "Not allowed", 413: "The file is too large"}
        message, headers = e.detail, dict(e.headers or {})
        if e.status_code == 404 and e.detail == "Not Found":  # no route at all, not a route's own message
            message = "There is no page at this address. Check it, or start from the overview."
        if e.status_code == 405:
            headers["Allow"] = allow_with_head(headers.get("Allow", "GET, HEAD"))  # the static files' names none
            message = f"This address does not take {asked_method(request.scope)}; it takes {headers['Allow']}."
        return _error_page(request, e.status_code, titles.get(e.status_code, "Something is wrong"), str(message),
                           headers)

    @app.exception_handler(RequestValidationError)
    async def _bad_query(request: Request, e: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, e)
        wrong = "; ".join(_plain(err) for err in e.errors())
        return _error_page(request, 400, "This address has a value cyplan cannot read", f"{wrong}. Go back and "
                           "choose again from the page's form.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, e: Exception) -> Response:
        # a damaged or missing file: name it, say what to do
        if (fault := machine.describe(e, folder(request))) is not None:
            log.warning("%s %s: %s", request.method, request.url.path, fault)
            return _error_page(request, 503, "The workspace's files cannot be used", fault)
        log.exception("error on %s %s", request.method, request.url.path)
        return _error_page(request, 500, "Sorry, something went wrong",
                           f"cyplan could not show this page. The error has been logged in {LOG_FILE} in the "
                           "workspace folder; nothing in the workspace was changed.")

    @app.get("/api/openapi.json", include_in_schema=False, dependencies=[access.needs(Permission.VIEW_PUBLISHED)])
    def _openapi() -> JSONResponse:  # served here, not by FastAPI, so that it too needs a permission
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False, dependencies=[access.needs(Permission.VIEW_PUBLISHED)])
    def _docs() -> Response:  # Swagger UI from cyplan's own files: the pages never fetch from the internet
        html = get_swagger_ui_html(openapi_url="/api/openapi.json", title="cyplan API",
                                   swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png")
        html.headers["Content-Security-Policy"] = security.csp_with_hashes(bytes(html.body).decode())
        return html

    @app.get("/favicon.ico", include_in_schema=False, dependencies=[access.public()])
    def _favicon() -> Response:  # no icon: browsers ask anyway
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from cyplan.web.routes import ROUTERS  # the pages import this module's helpers

    for router in ROUTERS:
        app.include_router(router)
    if app.state.server is not None:
        from cyplan.web.routes import signin

        app.include_router(signin.router)
    app.openapi = lambda: access.openapi_with_permissions(app)  # type: ignore[method-assign]
    return app
