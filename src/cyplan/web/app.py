"""The web app: one workspace, its pages and their JSON twins under /api.

Safety basics: CSRF token on every form (security.py), an upload limit, no stack trace ever shown (errors
are logged to the workspace's cyplan-web.log and to stderr, and the user sees a plain page)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from cyplan.web import security
from cyplan.web.state import WorkspaceState

HERE = Path(__file__).parent
STATIC = HERE / "static"
VENDOR = STATIC / "vendor"
LOG_FILE = "cyplan-web.log"
log = logging.getLogger("cyplan.web")

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["CSRF_FIELD"] = security.CSRF_FIELD

NAV = [("overview", "Overview", "/"), ("workforce", "Workforce", "/workforce"), ("services", "Services", "/services"),
       ("returns", "Who services reach", "/returns"), ("data", "Data", "/data")]


class AssetsMissing(RuntimeError):
    pass


def state(request: Request) -> WorkspaceState:
    return request.app.state.workspace


State = Annotated[WorkspaceState, Depends(state)]  # the workspace, for a route's parameters


def page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page in the layout: the nav, the area's name and the CSRF token are filled in here."""
    st: WorkspaceState = request.app.state.workspace
    frames = st.frames()
    names = dict(frames["areas"].select("code", "name").iter_rows())
    area = st.area(request.query_params.get("area"))
    return templates.TemplateResponse(request, template, {
        "nav": NAV, "area": area, "area_name": names.get(area or "", "No area yet"), "areas": names,
        "csrf_token": request.state.csrf, **context}, status_code=status_code)


async def csrf_protect(request: Request) -> None:
    if request.method not in security.UNSAFE:
        return
    given = request.headers.get(security.CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("multipart/form-data", "application/x-www-form-urlencoded")):
        given = (await request.form()).get(security.CSRF_FIELD)  # type: ignore[assignment]
    if not security.tokens_match(request.cookies.get(security.CSRF_COOKIE), given if isinstance(given, str) else None):
        raise HTTPException(403, "This form has expired or did not come from cyplan. Go back, reload the page and "
                                 "try again.")


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status)
    if not hasattr(request.state, "csrf"):
        request.state.csrf = ""
    try:
        return page(request, "error.html", {"title": title, "message": message}, status)
    except Exception:  # the workspace itself may be what failed: still no stack trace for the user
        log.exception("could not render the error page")
        return HTMLResponse(f"<h1>{title}</h1><p>{message}</p>", status_code=status)


def _logging(workspace: Path) -> None:
    """Errors to the workspace's own log (one workspace is served at a time: the last app made wins)."""
    for h in [h for h in log.handlers if getattr(h, "cyplan", False)]:
        log.removeHandler(h)
        h.close()
    handler = logging.FileHandler(workspace / LOG_FILE)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.cyplan = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def create_app(workspace: Path, upload_limit: int = security.UPLOAD_LIMIT) -> FastAPI:
    """The app for one workspace. Raises WorkspaceError for a folder that is not one, AssetsMissing when the
    front-end files have not been built."""
    if not (VENDOR / ".built").exists():
        raise AssetsMissing("the web app's front-end files are missing: run 'make demo' or "
                            "scripts/build_web_assets.sh (it installs them from npm)")
    app = FastAPI(title="cyplan", description="Needs-based planning for children and young people's services.",
                  docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json",
                  dependencies=[Depends(csrf_protect)])
    app.state.workspace = WorkspaceState(workspace)
    app.state.upload_limit = upload_limit
    _logging(workspace)

    @app.middleware("http")
    async def csrf_cookie(request: Request, call_next: Any) -> Response:
        cookie = request.cookies.get(security.CSRF_COOKIE)
        request.state.csrf = cookie or security.new_token()
        response = await call_next(request)
        # only pages carry forms: a page's scripts and styles, fetched at once without the cookie, must not
        # each set a token of their own and leave the page's forms holding a stale one
        if not cookie and response.headers.get("content-type", "").startswith("text/html"):
            response.set_cookie(security.CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    def too_large(request: Request, e: security.TooLarge) -> Response:
        request.state.csrf = request.cookies.get(security.CSRF_COOKIE, "")
        return _error_page(request, 413, "The file is too large",
                           f"{e}. Split it into smaller files, or keep only the columns cyplan reads.")

    app.add_middleware(security.UploadLimit, limit=upload_limit, refuse=too_large)

    @app.exception_handler(security.TooLarge)
    async def _too_large(request: Request, e: security.TooLarge) -> Response:
        return too_large(request, e)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, e: StarletteHTTPException) -> Response:
        titles = {404: "Page not found", 403: "Not allowed", 405: "Not allowed", 413: "The file is too large"}
        message = e.detail
        if e.status_code == 404 and e.detail == "Not Found":  # no route at all, not a route's own message
            message = "There is no page at this address. Check it, or start from the overview."
        return _error_page(request, e.status_code, titles.get(e.status_code, "Something is wrong"), str(message))

    @app.exception_handler(RequestValidationError)
    async def _bad_query(request: Request, e: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, e)
        wrong = "; ".join(f"{'.'.join(str(x) for x in err['loc'][1:]) or 'the request'}: {err['msg']}"
                          for err in e.errors())
        return _error_page(request, 400, "This address has a value cyplan cannot read", f"{wrong}. Go back and "
                           "choose again from the page's form.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, e: Exception) -> Response:
        log.exception("error on %s %s", request.method, request.url.path)
        return _error_page(request, 500, "Sorry, something went wrong",
                           f"cyplan could not show this page. The error has been logged in {LOG_FILE} in the "
                           "workspace folder; nothing in the workspace was changed.")

    @app.get("/favicon.ico", include_in_schema=False)
    def _favicon() -> Response:  # no icon: browsers ask anyway
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from cyplan.web.routes import ROUTERS  # the pages import this module's helpers

    for router in ROUTERS:
        app.include_router(router)
    return app
