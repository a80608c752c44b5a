"""The shared server's security, end to end on PostgreSQL (issue 14 part 6): every route walked unauthenticated,
with each role and from the wrong area, sessions, CSRF, and schemathesis signed in.

One server for the module: a throwaway PostgreSQL (test_postgres.server), migrated by a role owning the tables and
served as a role owning none (so row-level security holds the app); two areas made with `cyplan server add-area`,
the demo's inputs imported into each through the CLI, referral returns into both (B's with a service of 3 accepted
referrals planted: a count the disclosure control withholds). Users sign in through the real OIDC provider
(tests/oidc/provider.mjs): Ann (analyst of A, viewer of B), Ada (admin of A), Alice (approver of A), Bob (analyst
of B: to show a file of A's is not B's to read) and Nobody (no role). What the web/access.py matrix allows each
role is the oracle for the walk; the superuser's view of the database is the oracle for what changed.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from cyplan.auth.config import load
from cyplan.auth.roles import ALLOWS, Permission, Role, can
from cyplan.auth.session import COOKIE
from cyplan.schema import KINDS
from cyplan.web import access, security
from cyplan.web.app import create_server_app
from cyplan.web.routes.data import RESULT_TABLES
from oidc_support import PUBLIC, Provider, start_provider, to_provider_and_back
from test_postgres import (  # noqa: F401  (server: the throwaway PostgreSQL server, a fixture)
    DEMO,
    REFERRALS,
    Server,
    ok,
    server,
)
from test_roles import PLANTED, PLANTED_CODE, SEED004, leaks

OWNER, APP = "sec_owner", "sec_app"
DATABASE = "secure"
A, A_NAME = "alpha", "Alpha Borough Council"
B, B_NAME = "bravo-icb", "Bravo Integrated Care Board"
B_MARKS = (B, B_NAME, "Bravo")  # what would tell a user of A that B exists
ANN = {"email": "ann@alpha.gov.uk", "name": "Ann Analyst"}  # analyst of A, viewer of B
ADA = {"email": "ada@alpha.gov.uk", "name": "Ada Admin"}
ALICE = {"email": "alice@alpha.gov.uk", "name": "Alice Approver"}
BOB = {"email": "bob@bravo.nhs.uk", "name": "Bob Bravo"}  # analyst of B
NOBODY = {"email": "nobody@elsewhere.org", "name": "No Body"}
ROLES: dict[str, dict[str, Role]] = {ANN["email"]: {A: Role.ANALYST, B: Role.VIEWER}, ADA["email"]: {A: Role.ADMIN},
                                     ALICE["email"]: {A: Role.APPROVER}, BOB["email"]: {B: Role.ANALYST}}
# the sign-in routes: no permission (the gate lets the first four through without a session)
SIGNIN = {("GET", "/signin"), ("GET", "/signin/callback"), ("GET", "/signout"), ("GET", "/healthz"),
          ("POST", "/signout"), ("POST", "/area")}


@dataclass
class Shared:
    server: Server
    home: Path
    provider: Provider
    app: Any
    clients: dict[str, TestClient] = field(default_factory=dict)
    problems_token: str = ""  # the list of problems of a refused upload in A, downloaded by its token

    @property
    def data(self) -> Path:
        return self.home / "data"

    def url(self, role: str) -> str:
        return f"postgresql+psycopg://{role}@/{DATABASE}?host={self.server.folder}"

    def rows_of(self, tenant: str) -> dict[str, list[str]]:
        """Every row the area holds in every table, as the superuser (beyond row-level security) sees them."""
        out = {}
        for (t,) in self.server.rows(DATABASE, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND "
                                               "tablename <> 'alembic_version' ORDER BY tablename"):
            got = self.server.rows(DATABASE, f"SELECT * FROM \"{t}\" WHERE tenant = '{tenant}'")
            out[t] = sorted(map(repr, got))
        return out

    def everything(self) -> dict[str, list[str]]:
        """The whole database but the sessions' last-seen times (a request moves them, changing nothing else)."""
        contents = self.server.contents(DATABASE)
        contents["sessions"] = sorted(re.sub(r", [\d.]+, '", ", '", s) for s in contents.get("sessions", []))
        return contents


def write_server_config(home: Path, provider: Provider, database_url: str) -> Path:
    path = home / "server.toml"
    path.write_text(f"""data_dir = "{home / 'data'}"
public_url = "{PUBLIC}"
database_url = "{database_url}"

[session]
failures_allowed = 1000

[oidc]
discovery_url = "{provider.discovery}"
client_id = "cyplan-tests"
client_secret = "not-a-real-secret"

[[areas]]
code = "{A}"
name = "{A_NAME}"

[[areas]]
code = "{B}"
name = "{B_NAME}"
""")
    return path


def planted_records(folder: Path) -> Path:
    """Seed 004's records and 3 accepted referrals of a service no other record has (as tests/test_roles.py)."""
    lines = SEED004.read_text().splitlines()
    first = lines[1].split(",")
    planted = [",".join([f"ZZP0000{i}", PLANTED_CODE, "2022-05-10", *first[3:]]) for i in (1, 2, 3)]
    path = folder / "records.csv"
    path.write_text("\n".join([*lines, *planted]) + "\n")
    return path


def csrf(client: TestClient) -> str:
    """The CSRF token of the client's browser, from a page's form (the sign-out form is on every page); '' for a
    browser not signed in (no page of the server's is theirs to read)."""
    page = client.get("/", follow_redirects=False).text + client.get("/signout").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return found.group(1) if found else ""


def sign_in(shared: Shared, who: dict[str, str], tenant: str | None = None) -> TestClient:
    client = TestClient(shared.app, base_url=PUBLIC)
    client.__enter__()
    shared.provider.next_token(who)
    r = to_provider_and_back(client, shared.provider, "/")
    assert r.status_code == 303, r.text
    if tenant is not None:
        r = client.post("/area", data={"tenant": tenant, security.CSRF_FIELD: csrf(client)}, follow_redirects=False)
        assert r.status_code == 303, r.text
    return client


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from start_provider()


@pytest.fixture(scope="module")
def shared(server: Server, provider: Provider,  # noqa: F811
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    home = tmp_path_factory.mktemp("secure")
    with server.connect() as conn:
        conn.execute(f"CREATE ROLE {OWNER} LOGIN CREATEROLE")
        conn.execute(f"CREATE DATABASE {DATABASE} OWNER {OWNER}")
    made = Shared(server, home, provider, None)
    ok(["server", "migrate", "--db", made.url(OWNER), "--app-role", APP])
    config = write_server_config(home, provider, made.url(APP))
    for code in (A, B):
        ok(["server", "add-area", code, "--config", config])
        ok(["import", "all", DEMO, "-w", made.data / "areas" / code])
    ok(["returns", "import", REFERRALS, "-w", made.data / "areas" / A, "--today", "2026-03-31"])
    ok(["returns", "import", planted_records(home), "-w", made.data / "areas" / B, "--today", "2024-01-01"])
    for user, held in ROLES.items():
        for area, role in held.items():
            ok(["server", "grant", user, "--area", area, "--role", role.value, "--data-dir", made.data])
    made.app = create_server_app(load(config))
    made.clients = {"ann": sign_in(made, ANN), "ann in B": sign_in(made, ANN, B), "ada": sign_in(made, ADA),
                    "alice": sign_in(made, ALICE), "bob": sign_in(made, BOB), "nobody": sign_in(made, NOBODY)}
    anon = TestClient(made.app, base_url=PUBLIC)
    anon.__enter__()
    made.clients["anonymous"] = anon
    bad = home / "bad-areas.csv"
    bad.write_text("code,name,kind\nE1,One,nonsense\n")
    page = made.clients["ann"].post("/data/upload", data={"kind": "areas", "mode": "replace",
                                                          security.CSRF_FIELD: csrf(made.clients["ann"])},
                                    files={"file": ("bad-areas.csv", bad.read_bytes())})
    found = re.search(r"/data/problems/([A-Za-z0-9_-]{24})\.csv", page.text)
    assert found, page.text[-2000:]
    made.problems_token = found.group(1)
    try:
        yield made
    finally:
        for client in made.clients.values():
            client.__exit__(None, None, None)
        for st in made.app.state.areas.values():
            st.close()
        made.app.state.server_workspace.close()



# -- every route, as each user ------------------------------------------------------------------------------


def fill(route: APIRoute, shared: Shared) -> list[tuple[str, dict[str, str]]]:
    """Every address the walk asks of the route: its path parameters filled with real values (a kind, a table, a
    format, a problem list's token), and the query values that change what it needs (counts=unpublished). A path
    parameter the walk does not know fails: a route added with one must be taught to the walk."""
    values = {"kind": ["areas"], "fmt": ["csv", "xlsx"], "token": [shared.problems_token],
              "name": (["summary"] if route.path.startswith("/api/returns/tables") else
                       [RESULT_TABLES[0] if isinstance(RESULT_TABLES, list | tuple) else next(iter(RESULT_TABLES)),
                        "returns-published", "returns-unpublished"])}
    paths = [route.path]
    for hole in re.findall(r"\{(\w+)\}", route.path):
        assert hole in values, f"{route.path}: the walk does not know what to put in {{{hole}}}"
        paths = [p.replace(f"{{{hole}}}", v, 1) for p in paths for v in values[hole]]
    asks = {p.name for p in route.dependant.query_params}
    params: list[dict[str, str]] = [{}]
    if "counts" in asks:
        params = [{"counts": "published"}, {"counts": "unpublished"}]
    if "format" in asks:
        params = [{"format": "html"}]
    return [(p, q) for p in paths for q in params]


def needed(route: APIRoute, path: str, params: dict[str, str]) -> set[Permission]:
    """What web/access.py's matrix says the address needs: the route's permission, and unpublished counts for
    counts=unpublished and the unpublished returns' downloads."""
    own = access.route_permission(route)
    out = set() if own == access.PUBLIC else {own}
    if params.get("counts") == "unpublished" or "returns-unpublished" in path:
        out.add(Permission.VIEW_UNPUBLISHED)
    return out  # type: ignore[return-value]


def walked_routes(shared: Shared) -> list[tuple[str, APIRoute]]:
    out = []
    for route in access.every_route(shared.app):
        if isinstance(route, Mount):
            assert route.path == "/static", f"{route.path}: a mounted app the walk cannot see into"
            continue
        assert isinstance(route, APIRoute), f"{route.path}: a route the walk cannot ask"
        out += [(m, route) for m in sorted(route.methods - {"HEAD"})]
    return out


USERS = {"ann": {Role.ANALYST}, "ann in B": {Role.VIEWER}, "ada": {Role.ADMIN}, "alice": {Role.APPROVER},
         "bob": {Role.ANALYST}, "nobody": set()}


def test_every_route_answers_each_user_exactly_what_their_roles_allow(shared: Shared) -> None:
    """Walks every route of the app (the OpenAPI spec's and the pages, downloads and forms outside it) as each
    signed-in user and as nobody signed in. Catches: a route answering without a session (a page not sent to
    sign-in, the API not 401), a role let through what web/access.py's matrix refuses it or refused what it
    allows, a user with no role let in, and a route added that the walk does not know (a path parameter it cannot
    fill, or one without a permission that is not a sign-in route)."""
    spec = shared.clients["ann"].get("/api/openapi.json").json()
    in_spec = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    walked, wrong = set(), []
    tokens = {user: csrf(shared.clients[user]) for user in ("anonymous", *USERS)}
    for method, route in walked_routes(shared):
        if (method, route.path) in SIGNIN:
            walked.add((method, route.path))
            continue
        assert access.route_permission(route) is not None, f"{method} {route.path} names no permission"
        for path, params in fill(route, shared):
            need = needed(route, path, params)
            for user, held in {"anonymous": None, **USERS}.items():
                client = shared.clients[user]
                if method == "POST":
                    r = client.post(path, headers={security.CSRF_HEADER: tokens[user]}, follow_redirects=False)
                else:
                    r = client.get(path, params=params, follow_redirects=False)
                if held is None:
                    expect = ("204" if not need else "401 sign in first" if path.startswith("/api/")
                              else "303 to sign-in")
                    got = ("401 sign in first" if r.status_code == 401 and r.json()["detail"].startswith("Sign in")
                           else "303 to sign-in" if r.status_code == 303 and r.headers["location"].startswith(
                               "/signin?next=") else str(r.status_code))
                elif all(can(held, p) for p in need):
                    expect = "allowed"
                    got = "allowed" if r.status_code not in (401, 403) and r.status_code < 500 else str(r.status_code)
                else:
                    expect, got = "403", str(r.status_code)
                if got != expect:
                    wrong.append((user, method, path, params, expect, got, r.text[:200]))
        walked.add((method, route.path))
    assert wrong == []
    every = {(m, r.path) for m, r in walked_routes(shared)}
    assert walked == every and in_spec <= every
    assert len(every) >= 39


def test_the_sign_in_routes_show_no_data_to_anyone_signed_out(shared: Shared) -> None:
    """Catches one of the routes the gate lets through without a session (or that needs no permission) showing an
    area's data or its name: each answers only its own page, redirect or status."""
    anon = shared.clients["anonymous"]
    answers = {"/healthz": anon.get("/healthz"), "/signout": anon.get("/signout"),
               "/signin/callback": anon.get("/signin/callback"),
               "/signin": anon.get("/signin", follow_redirects=False),
               "POST /signout": anon.post("/signout", follow_redirects=False),
               "POST /area": anon.post("/area", data={"tenant": A}, follow_redirects=False)}
    assert answers["/healthz"].json() == {"status": "ok"}
    assert answers["/signin"].status_code == 303 and answers["/signin"].headers["location"].startswith(
        shared.provider.url)
    assert answers["/signin/callback"].status_code == 400 and answers["/signout"].status_code == 200
    assert answers["POST /signout"].status_code == 403  # no form token: not even a sign-out from another site
    assert answers["POST /area"].status_code == 303 and answers["POST /area"].headers["location"] == "/signin?next=%2F"
    for what, r in answers.items():
        for mark in (A, A_NAME, B, B_NAME, "Exampleshire"):
            assert mark not in r.text, (what, mark)
