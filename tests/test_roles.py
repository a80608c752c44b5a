"""Roles per area in the web app (issue 14 part 3): every route needs a permission, a viewer never sees an
unpublished count anywhere, what each role is refused and why, and the one-person app's user holding every role.

The sign-in middleware is another part's (tested for real in test_signin*): here `SignedInAs` stands in for it,
setting request.state.user, tenant and roles as that middleware does, from test-only headers. After the parts
are merged, the security tests walk every route signed in for real."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import shutil
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from cyplan.auth.roles import ALLOWS, Permission, Role
from cyplan.returns import service
from cyplan.schema import KINDS
from cyplan.store.workspace import Workspace
from cyplan.web import access
from cyplan.web.app import create_app
from cyplan.web.routes.data import RESULT_TABLES

SEED004 = Path(__file__).parents[1] / "examples" / "returns" / "seed004_records.csv"
AREA = "E10999999"
TENANT = "exampleshire"
# a service of the demo register with no referral in seed 004's records (whose services are not the register's), and
# 3 accepted referrals planted: a count the disclosure control withholds
PLANTED_CODE, PLANTED = "mhst", "Mental health support teams in schools"
EXACT_RECEIVED = ("4,414", "4414")  # every referral received, exactly (published: 4,415)
V, U, IM, S, M, A = (Permission.VIEW_PUBLISHED, Permission.VIEW_UNPUBLISHED, Permission.IMPORT, Permission.SIGN_OFF,
                    Permission.MANAGE_USERS, Permission.VIEW_AUDIT)
R = Permission.RUN_SCENARIOS

# The permission of every route, as docs/security.md's table states it: a route added without one, or one whose
# permission changes, fails here until the table (and this) says so.
PERMISSIONS: dict[tuple[str, str], Permission | str] = {
    ("GET", "/"): V, ("GET", "/api/overview"): V, ("GET", "/workforce"): V, ("GET", "/api/workforce"): V,
    ("GET", "/workforce/scenarios"): V, ("GET", "/charts/{name}"): V,
    ("GET", "/services"): V, ("GET", "/api/services"): V, ("GET", "/report"): V, ("GET", "/report/status"): V,
    ("GET", "/compare"): V, ("GET", "/api/compare"): V,
    ("GET", "/evidence"): V, ("GET", "/api/evidence"): V, ("GET", "/evidence/{intervention}"): V,
    ("GET", "/api/evidence/{intervention}"): V, ("GET", "/evidence/topics/{topic}"): V,
    ("GET", "/api/evidence/topics/{topic}"): V,
    ("GET", "/returns"): V, ("GET", "/api/returns"): V, ("GET", "/api/returns/tables/{name}"): V,
    ("GET", "/api/returns/equality"): V, ("GET", "/api/returns/quality"): U,
    ("GET", "/data"): V, ("GET", "/data/results/{name}.{fmt}"): V,
    ("GET", "/api/inputs"): U, ("GET", "/api/inputs/{kind}"): U, ("GET", "/data/inputs.xlsx"): U,
    ("GET", "/data/inputs/{kind}.{fmt}"): U, ("GET", "/data/history/{kind}"): U,
    ("GET", "/data/template.xlsx"): IM, ("GET", "/data/problems/{token}.csv"): IM, ("POST", "/data/upload"): IM,
    ("POST", "/data/history/{kind}/restore"): IM,
    ("GET", "/scenarios"): R, ("GET", "/scenarios/new"): R, ("GET", "/scenarios/{scenario}/edit"): R,
    ("POST", "/scenarios/form"): R, ("POST", "/scenarios/preview"): R, ("GET", "/api/scenarios/difference"): R,
    ("POST", "/scenarios/save"): IM, ("POST", "/scenarios/{scenario}/delete"): IM,
    ("POST", "/services/sign-off"): S, ("POST", "/report/sign-off"): S,
    ("GET", "/admin/users"): M, ("POST", "/admin/users/grant"): M, ("POST", "/admin/users/revoke"): M,
    ("GET", "/admin/audit"): A, ("GET", "/admin/audit.csv"): A,
    ("GET", "/api/openapi.json"): V, ("GET", "/api/docs"): V, ("GET", "/favicon.ico"): access.PUBLIC,
}


@dataclass(frozen=True)
class User:  # as cyplan.auth.session.User (the sign-in part's)
    name: str
    display: str


class SignedInAs:
    """Stands in for the sign-in middleware: a request with `x-test-roles` is one signed in (as `x-test-user`) in
    the area TENANT with those roles; one without is the one-person app's (no user, every role)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            if b"x-test-roles" in headers:
                state = scope.setdefault("state", {})
                state["roles"] = frozenset(Role(r) for r in headers[b"x-test-roles"].decode().split(",") if r)
                state["user"] = User(headers.get(b"x-test-user", b"someone@example.gov.uk").decode(), "Someone")
                state["tenant"] = TENANT
        await self.app(scope, receive, send)


def as_role(*roles: str, user: str = "someone@example.gov.uk") -> dict[str, str]:
    return {"x-test-roles": ",".join(roles), "x-test-user": user}


VIEWER, ANALYST = as_role("viewer"), as_role("analyst")


def token(client: TestClient) -> str:
    """The CSRF token of the browser's session (the one-person app's data page has a form carrying it)."""
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/data").text).group(1)  # type: ignore[union-attr]


def client_for(path: Path) -> Iterator[TestClient]:
    app = create_app(path)
    with TestClient(SignedInAs(app), base_url="http://localhost") as client:
        client.app_state = app  # type: ignore[attr-defined]
        yield client
    app.state.workspace.close()


@pytest.fixture(scope="module")
def returns_ws(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo inputs with seed 004's referral records and 3 more, accepted, by a service no other has."""
    folder = tmp_path_factory.mktemp("roles")
    path = Path(shutil.copytree(_demo_template, folder / "workspace"))
    lines = SEED004.read_text().splitlines()
    first = lines[1].split(",")
    planted = [",".join([f"ZZP0000{i}", PLANTED_CODE, "2022-05-10", *first[3:]]) for i in (1, 2, 3)]
    records = folder / "records.csv"
    records.write_text("\n".join([*lines, *planted]) + "\n")
    ws = Workspace.open(path)
    try:
        service.import_returns(ws, records, today=dt.date(2024, 1, 1))
    finally:
        ws.close()
    return path


@pytest.fixture(scope="module")
def client(returns_ws: Path) -> Iterator[TestClient]:
    yield from client_for(returns_ws)


# -- every route has a permission -----------------------------------------------------------------------------

def test_every_route_names_its_permission_as_the_table_says(client: TestClient) -> None:
    """Catches a route added without a permission (it would be open to every role), and a route whose permission
    changed without the documented table changing (the quality report opened to viewers, say)."""
    found: dict[tuple[str, str], Permission | str | None] = {}
    for route in access.every_route(client.app_state):  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            assert route.path == "/static", f"{route.path}: a mounted app the permission walk cannot see into"
            continue
        assert isinstance(route, APIRoute), f"{route.path}: a route that cannot name a permission"
        for method in route.methods - {"HEAD"}:
            found[(method, route.path)] = access.route_permission(route)
    assert {k: v for k, v in found.items() if v is None} == {}
    assert found == PERMISSIONS


def test_the_openapi_spec_states_every_operations_permission(client: TestClient) -> None:
    """Catches an API operation published without its permission or its 403 (a client could not know)."""
    spec = client.get("/api/openapi.json").json()
    operations = [(m.upper(), p, op) for p, ops in spec["paths"].items() for m, op in ops.items()]
    assert len(operations) >= 9
    for method, path, op in operations:
        assert op[access.OPENAPI_KEY] == str(PERMISSIONS[(method, path)]), path
        assert "403" in op["responses"], path


# -- what a viewer is refused, and the words -------------------------------------------------------------------

def test_a_viewer_asking_for_unpublished_counts_is_refused_in_words(client: TestClient) -> None:
    """Catches counts=unpublished answered to a viewer (or silently answered with the published counts, which a
    script would take for exact ones), and a refusal that does not say what the role lacks and who may."""
    r = client.get("/api/returns", params={"counts": "unpublished"}, headers=VIEWER)
    assert r.status_code == 403
    assert r.json() == {"detail": "Your role in this area (viewer) does not allow you to view unpublished counts. An "
                                  "analyst of the area can: ask an admin of the area if you need it."}
    page = client.get("/returns", params={"counts": "unpublished"}, headers=VIEWER)
    assert page.status_code == 403 and "does not allow you to view unpublished counts" in page.text
    assert "text/html" in page.headers["content-type"] and "Traceback" not in page.text


@pytest.mark.parametrize(("method", "path", "headers", "words"), [
    ("GET", "/api/returns/quality", VIEWER, "view unpublished counts"),
    ("GET", "/data/results/returns-unpublished.xlsx", VIEWER, "view unpublished counts"),
    ("GET", "/api/inputs/population", VIEWER, "view unpublished counts"),
    ("POST", "/data/upload", VIEWER, "import data"),
    ("GET", "/scenarios", VIEWER, "run scenarios"),
    ("GET", "/scenarios/new", VIEWER, "run scenarios"),
    ("POST", "/scenarios/preview", VIEWER, "run scenarios"),
    ("POST", "/scenarios/save", VIEWER, "import data"),
    ("POST", "/scenarios/retention/delete", VIEWER, "import data"),
    ("POST", "/services/sign-off", ANALYST, "sign off the rating judgement and the board paper"),
    ("GET", "/admin/audit", as_role("analyst", "approver"), "read the area's audit trail"),
    ("GET", "/admin/users", as_role(), "manage the area's users and roles"),
])
def test_each_role_is_refused_what_it_does_not_allow(client: TestClient, method: str, path: str,
                                                     headers: dict[str, str], words: str) -> None:
    """Catches a route served to a role that lacks its permission (a POST with a good CSRF token, so that the
    refusal is the role's, not the form's)."""
    r = client.request(method, path, headers={**headers, "x-csrf-token": token(client)})
    assert r.status_code == 403, r.text[:300]
    assert words in html.unescape(r.text)


def test_a_user_with_no_role_in_the_area_is_told_so(client: TestClient) -> None:
    r = client.get("/api/services", headers=as_role())
    assert r.status_code == 403
    assert r.json()["detail"].startswith("You hold no role in this area, so you may not view published figures.")


# -- a viewer never sees an unpublished count ------------------------------------------------------------------

def _texts(r: Any) -> str:
    """A response's text: workbooks and Word documents are zip files of XML, read member by member."""
    if r.content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return r.content.decode("utf-8", "replace")


def _json_leaks(value: Any) -> list[str]:
    """The planted service's rows in JSON holding its exact count, 3."""
    if isinstance(value, dict):
        own = [json.dumps(value)[:200]] if PLANTED in value.values() and any(
            v in (3, "3") for v in value.values()) else []
        return own + [x for v in value.values() for x in _json_leaks(v)]
    if isinstance(value, list):
        return [x for v in value for x in _json_leaks(v)]
    return []


def leaks(r: Any) -> list[str]:
    """Where a response shows an unpublished count: the exact number received, the planted service's 3 (in an
    HTML table row, a JSON row or a CSV line), or the quality report."""
    text = _texts(r)
    found = [n for n in EXACT_RECEIVED if re.search(rf"(?<![\d,.]){n}(?![\d,])", text)]
    found += [row[:200] for row in re.findall(r"<tr[^>]*>.*?</tr>", text, re.S)
              if PLANTED in row and re.search(r">\s*3\s*<", row)]
    found += [line for line in text.splitlines() if line.startswith(PLANTED + ",") and ",3," in line + ","]
    found += ["the quality report"] * ("How complete the records are" in text or '"quality"' in text)
    if r.headers.get("content-type", "").startswith("application/json"):
        found += _json_leaks(r.json())
    return found


def _asked(route: APIRoute, returns_tables: list[str]) -> list[tuple[str, dict[str, str]]]:
    """Every address the route answers, with each value of its parameters that changes what it shows."""
    names = [*RESULT_TABLES, "returns-published", "returns-unpublished",
             *(f"returns-{p}-{t}" for p in ("published", "unpublished") for t in returns_tables)]
    fill = {"{kind}": [next(iter(KINDS))], "{fmt}": ["csv", "xlsx"], "{token}": ["0" * 32],
            "{name}.": [f"{n}." for n in names], "{name}": returns_tables}
    paths = [route.path]
    for hole, values in fill.items():
        paths = [p.replace(hole, v, 1) for p in paths for v in values] if any(hole in p for p in paths) else paths
    params: list[dict[str, str]] = [{}]
    asks = {p.name for p in route.dependant.query_params}
    if "counts" in asks:
        params = [{"counts": "published"}, {"counts": "unpublished"}]
    if "format" in asks:
        params = [{"format": f} for f in ("html", "docx")]
    if "by" in asks:
        params = [{**p, "by": b} for p in params for b in ("gender", "age", "ethnicity")]
    return [(p, q) for p in paths for q in params]


def test_a_viewer_sees_no_unpublished_count_on_any_route(client: TestClient) -> None:
    """Walks every GET route (pages, API, downloads, the board paper as HTML and Word) with every parameter value
    that changes what it shows, as a viewer: a count the disclosure control withholds (the planted service's 3
    referrals), the exact number received or the quality report in any response body fails, as does a route a
    viewer is refused answering anything but 403. The same check run as an analyst must find the counts: it
    proves the check would see a leak."""
    tables = list(client.get("/api/returns").json()["tables"])
    exact = client.get("/api/returns", params={"counts": "unpublished"}, headers=ANALYST)
    assert leaks(exact), "the check cannot see the unpublished counts it looks for"
    page = client.get("/returns", params={"counts": "unpublished"}, headers=ANALYST)
    assert any(PLANTED in x for x in leaks(page)) and "4,414" in leaks(page)

    walked = 0
    for route in access.every_route(client.app_state):  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        allowed = access.route_permission(route) in (access.PUBLIC, *ALLOWS[Role.VIEWER])
        for path, params in _asked(route, tables):
            r = client.get(path, params=params, headers=VIEWER)
            walked += 1
            if not allowed or params.get("counts") == "unpublished" or "returns-unpublished" in path:
                assert r.status_code == 403, (path, params, r.status_code)
                continue
            if r.status_code == 202 and path == "/report":  # a paper made in the background: the file itself read
                r = _when_made(client, params, VIEWER)
            assert r.status_code in (200, 204, 404, 409), (path, params, r.status_code, r.text[:300])
            assert leaks(r) == [], (path, params)
    assert walked > 60


def _when_made(client: TestClient, params: dict[str, str], headers: dict[str, str]) -> Any:
    """The board paper being made in the background (web/routes/report.py), once made: its status polled until it
    sends the browser to the file (a bound on the wait, not a timing)."""
    for _ in range(1200):
        status = client.get("/report/status", params=params, headers=headers)
        if "HX-Redirect" in status.headers:
            return client.get(status.headers["HX-Redirect"], headers=headers)
        time.sleep(0.1)
    raise AssertionError(f"the paper {params} was not made")


def test_a_viewers_pages_offer_nothing_they_would_be_refused(client: TestClient) -> None:
    """Catches a page showing a viewer the toggle, link or form of something their role refuses."""
    returns = client.get("/returns", headers=VIEWER).text
    assert 'for="counts-unpublished"' not in returns and "/api/returns/quality" not in returns
    data = client.get("/data", headers=VIEWER).text
    for refused in ('action="/data/upload', "returns-unpublished", "/data/inputs", "/data/history", "template.xlsx"):
        assert refused not in data, refused
    assert "/data/results/returns-published.xlsx" in data and "/data/results/need.csv" in data
    assert 'href="/admin/' not in data
    for path in ("/", "/services"):
        assert "/sign-off" not in client.get(path, headers=VIEWER).text
    assert 'id="build-scenarios"' not in client.get("/workforce", headers=VIEWER).text  # the builder: analysts'
    assert 'id="build-scenarios"' in client.get("/workforce", headers=ANALYST).text
    # the one-person app's user holds every role: everything is offered
    assert 'for="counts-unpublished"' in client.get("/returns").text
    assert "returns-unpublished" in client.get("/data").text and 'href="/admin/users' in client.get("/data").text
