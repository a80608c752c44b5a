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

import dataclasses
import html
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from itsdangerous.timed import TimestampSigner
from starlette.routing import Mount

from backends import Server
from cyplan import reference
from cyplan.auth.config import load
from cyplan.auth.roles import Permission, Role, can
from cyplan.auth.session import COOKIE
from cyplan.web import access, security
from cyplan.web.app import create_server_app
from cyplan.web.routes.data import RESULT_TABLES
from oidc_support import PUBLIC, Provider, start_provider, to_provider_and_back
from test_postgres import DEMO, REFERRALS, every_file, ok
from test_roles import PLANTED, PLANTED_CODE, SEED004, _texts, leaks

OWNER, APP = "sec_owner", "sec_app"
DATABASE = "secure"
A, A_NAME = "alpha", "Alpha Borough Council"
B, B_NAME = "bravo-icb", "Bravo Integrated Care Board"
B_MARKS = (B, B_NAME, "Bravo", "bravo.nhs.uk")  # what would tell a user of A that B (or its users) exist
# the starter evidence library, imported into A alone: B's library is its own (empty), never A's
A_INTERVENTION, A_TOPIC = "family_nurse_partnership", "kinship_care"
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
        # and the server workspace's data version, which those times' updates move
        contents["data_version"] = [row for row in contents["data_version"] if not row.startswith("('server'")]
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
    client.get("/", follow_redirects=False)  # the gate notes the session's area at its first request
    return client


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from start_provider()


@pytest.fixture(scope="module")
def shared(server: Server, provider: Provider,
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
    ok(["import", "all", reference.EVIDENCE, "-w", made.data / "areas" / A])
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
              "scenario": ["retention", "no_such_scenario"],
              "intervention": [A_INTERVENTION, "no_such_intervention"], "topic": [A_TOPIC, "no_such_topic"],
              "name": (["summary"] if route.path.startswith("/api/returns/tables") else
                       ["chart-need", "chart-flows", "no-such-chart"] if route.path.startswith("/charts/") else
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


@dataclass(frozen=True)
class Answer:
    user: str
    method: str
    route: APIRoute
    path: str
    params: dict[str, str]
    response: httpx.Response


@pytest.fixture(scope="module")
def walk(shared: Shared) -> list[Answer]:
    """Every address of every route but the sign-in ones, asked once by each user and by a browser not signed in:
    GETs with the walk's values, POSTs with the browser's good form token and an empty form (refused for the
    role, or for the form: nothing is changed but an approver's sign-offs). The tests below read the answers."""
    tokens = {user: csrf(shared.clients[user]) for user in ("anonymous", *USERS)}
    answers = []
    for method, route in walked_routes(shared):
        if (method, route.path) in SIGNIN:
            continue
        for path, params in fill(route, shared) + ([("/report", {"format": "docx"})] if route.path == "/report"
                                                   else []):
            for user in ("anonymous", *USERS):
                client = shared.clients[user]
                if method == "POST":
                    r = client.post(path, headers={security.CSRF_HEADER: tokens[user]}, follow_redirects=False)
                else:
                    r = client.get(path, params=params, follow_redirects=False)
                answers.append(Answer(user, method, route, path, params, r))
    return answers


def test_every_route_answers_each_user_exactly_what_their_roles_allow(shared: Shared, walk: list[Answer]) -> None:
    """Walks every route of the app (the OpenAPI spec's and the pages, downloads and forms outside it) as each
    signed-in user and as nobody signed in. Catches: a route answering without a session (a page not sent to
    sign-in, the API not 401), a role let through what web/access.py's matrix refuses it or refused what it
    allows, a user with no role let in, and a route added that the walk does not know (a path parameter it cannot
    fill, or one without a permission that is not a sign-in route)."""
    spec = shared.clients["ann"].get("/api/openapi.json").json()
    in_spec = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    wrong = []
    for a in walk:
        assert access.route_permission(a.route) is not None, f"{a.method} {a.route.path} names no permission"
        need, r = needed(a.route, a.path, a.params), a.response
        if a.user == "anonymous":
            expect = "204" if not need else "401 sign in first" if a.path.startswith("/api/") else "303 to sign-in"
            got = ("401 sign in first" if r.status_code == 401 and r.json()["detail"].startswith("Sign in")
                   else "303 to sign-in" if r.status_code == 303 and r.headers["location"].startswith(
                       "/signin?next=") else str(r.status_code))
        elif all(can(USERS[a.user], p) for p in need):
            expect = "allowed"
            got = "allowed" if r.status_code not in (401, 403) and r.status_code < 500 else str(r.status_code)
        else:
            expect, got = "403", str(r.status_code)
        if got != expect:
            wrong.append((a.user, a.method, a.path, a.params, expect, got, r.text[:200]))
    assert wrong == []
    walked = {(a.method, a.route.path) for a in walk} | SIGNIN
    every = {(m, r.path) for m, r in walked_routes(shared)}
    assert walked == every and in_spec <= every
    assert len(every) >= 39
    assert {a.user for a in walk} == {"anonymous", *USERS}


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


# -- the other area ---------------------------------------------------------------------------------------


def test_the_viewer_of_b_never_sees_bs_unpublished_counts_and_can_change_nothing_there(
        shared: Shared, walk: list[Answer]) -> None:
    """Ann is an analyst of A but only a viewer of B. Catches her analyst's rights carried over into B: any
    answer under B (page, API, download, board paper as HTML and Word) holding the 3 referrals planted in B or
    B's exact number received, and any import, restore or sign-off of hers in B doing anything but 403. The
    same check finds the counts in Bob's answers (B's analyst): it would see a leak."""
    bob = shared.clients["bob"]
    assert leaks(bob.get("/api/returns", params={"counts": "unpublished"}))
    assert any(PLANTED in x for x in leaks(bob.get("/returns", params={"counts": "unpublished"})))
    hers = [a for a in walk if a.user == "ann in B"]
    assert [(a.path, a.params) for a in hers if leaks(a.response)] == []
    assert sum(a.response.status_code == 200 for a in hers) >= 15  # shown B's published figures, not only refusals
    before = shared.rows_of(B)
    ann, token = shared.clients["ann in B"], csrf(shared.clients["ann in B"])
    for path, form in [("/data/upload", {"kind": "areas", "mode": "replace"}),
                       ("/data/history/areas/restore", {"version": "1"}),
                       ("/services/sign-off", {}), ("/report/sign-off", {}),
                       ("/admin/users/grant", {"user": "x@y.org", "role": "admin"})]:
        r = ann.post(path, data={**form, security.CSRF_FIELD: token},
                     files={"file": ("areas.csv", (DEMO / "areas.csv").read_bytes())} if "upload" in path else None)
        assert r.status_code == 403, (path, r.status_code)
    assert shared.rows_of(B) == before


def _page_token(text: str) -> str:
    """The CSRF token a page was given (its forms' field), found in its text."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found, text
    return found.group(1)


def test_a_user_of_a_alone_cannot_choose_b_nor_learn_it_exists(shared: Shared, walk: list[Answer],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches B chosen by someone holding no role there, and a refusal that differs from an area that does not
    exist (which would tell them B is on the server); and B's code, name or users in any answer (pages,
    downloads, the board paper in Word, headers) to a user of A alone or of no area. Each page carries a fresh
    CSRF token signed with the second it was made, so the two refusals are compared with their tokens set aside:
    the clock is made to tick a second between them (it flaked when a real second ended there), so that a refusal
    which differs in anything else is caught every run."""
    clock = iter(range(int(time.time()), int(time.time()) + 10**6))
    for user in ("ada", "alice"):
        client = shared.clients[user]
        token = csrf(client)
        with monkeypatch.context() as m:
            m.setattr(TimestampSigner, "get_timestamp", lambda _self: next(clock))
            answers = [client.post("/area", data={"tenant": t, security.CSRF_FIELD: token}, follow_redirects=False)
                       for t in (B, "charlie-no-such-area")]
        assert [r.status_code for r in answers] == [403, 403]
        tokens = [_page_token(r.text) for r in answers]
        assert tokens[0] != tokens[1]  # the ticking clock reached the pages: the comparison below is not vacuous
        assert answers[0].text.replace(tokens[0], "TOKEN") == answers[1].text.replace(tokens[1], "TOKEN")
        assert answers[0].headers.get("content-length") == answers[1].headers.get("content-length")
        assert client.get("/api/overview").status_code == 200  # still in A, where they were
    named = []
    for a in walk:
        if a.user in ("ada", "alice", "nobody", "anonymous"):
            text = _texts(a.response) + str(a.response.headers)
            named += [(a.user, a.path, mark) for mark in B_MARKS if mark in text]
    assert named == []
    # Ann holds a role in B: her pages' area chooser names it (the check above reads what a page shows)
    assert any(B_NAME in _texts(a.response) for a in walk if a.user == "ann")


def test_a_refused_uploads_problem_list_in_a_is_not_bs_to_read(shared: Shared) -> None:
    """Catches the lists of a refused upload's problems kept for the whole server rather than per area: B's
    analyst could read, by its token, what an upload into A was refused for (its rows' values), and the answer
    would tell him a list of that name exists."""
    assert shared.clients["ann"].get(f"/data/problems/{shared.problems_token}.csv").status_code == 200
    bob = shared.clients["bob"]
    theirs = bob.get(f"/data/problems/{shared.problems_token}.csv")
    none = bob.get(f"/data/problems/{'x' * 24}.csv")
    # Each page carries a fresh CSRF token signed to the second, so the two may differ there and nowhere else.
    assert theirs.status_code == none.status_code == 404
    assert theirs.text.replace(_page_token(theirs.text), "TOKEN") == none.text.replace(_page_token(none.text), "TOKEN")


def test_an_analysts_import_in_a_through_the_web_leaves_bs_rows_as_they_were(shared: Shared, tmp_path: Path) -> None:
    """Catches a web import landing in (or touching) another area's rows: B's rows in every table, as the
    superuser sees them, are the same after Ann's upload into A, which changed A's."""
    renamed = tmp_path / "areas.csv"
    renamed.write_text((DEMO / "areas.csv").read_text(encoding="utf-8").replace("Exampleshire", "Renamedshire"),
                       encoding="utf-8")
    b_before, a_before = shared.rows_of(B), shared.rows_of(A)
    ann = shared.clients["ann"]
    r = ann.post("/data/upload", data={"kind": "areas", "mode": "replace", security.CSRF_FIELD: csrf(ann)},
                 files={"file": ("areas.csv", renamed.read_bytes())})
    assert r.status_code == 200, r.text[-1000:]
    a_after = shared.rows_of(A)
    assert any("Renamedshire" in row for row in a_after["areas"]) and a_after["audit"] != a_before["audit"]
    assert shared.rows_of(B) == b_before
    assert shared.clients["bob"].get("/api/overview").json()["area"] == ann.get("/api/overview").json()["area"]
    assert "Renamedshire" not in shared.clients["bob"].get("/").text


def test_an_areas_evidence_library_is_its_own(shared: Shared) -> None:
    """Catches the evidence library read from the whole database rather than the area's rows: the starter library
    imported into A alone is shown to A's users and not to B's — its intervention and topic pages 404 in B as an
    address nothing has does, its search finds nothing there, and B's library page lists none of A's."""
    ann, bob = shared.clients["ann"], shared.clients["bob"]
    assert ann.get(f"/evidence/{A_INTERVENTION}").status_code == 200
    assert ann.get(f"/evidence/topics/{A_TOPIC}").status_code == 200
    assert any(r["intervention"] == A_INTERVENTION for r in ann.get("/api/evidence").json()["interventions"])
    assert ann.get("/api/evidence", params={"q": "kinship"}).json()["found"]
    for path in (f"/evidence/{A_INTERVENTION}", f"/evidence/topics/{A_TOPIC}", f"/api/evidence/{A_INTERVENTION}"):
        theirs, none = bob.get(path), bob.get(path.replace(A_INTERVENTION, "x").replace(A_TOPIC, "x"))
        assert theirs.status_code == none.status_code == 404, path
    assert bob.get("/api/evidence").json()["interventions"] == []
    assert bob.get("/api/evidence", params={"q": "kinship"}).json()["found"] == []
    assert "Family Nurse Partnership" not in bob.get("/evidence").text


# -- forms without their token -----------------------------------------------------------------------------

# each POST route, who may send it and a whole form: refused only for the missing token
FORMS: dict[str, tuple[str, dict[str, str]]] = {
    "/data/upload": ("ann", {"kind": "areas", "mode": "replace"}),
    "/data/history/{kind}/restore": ("ann", {"version": "1"}),
    "/services/sign-off": ("alice", {}), "/report/sign-off": ("alice", {}),
    "/admin/users/grant": ("ada", {"user": "mallory@alpha.gov.uk", "role": "admin"}),
    "/admin/users/revoke": ("ada", {"user": ALICE["email"], "role": "approver"}),
    "/signout": ("ann", {}), "/area": ("ann", {"tenant": B}),
    "/scenarios/form": ("ann", {"count": "1"}), "/scenarios/preview": ("ann", {"count": "1"}),
    "/scenarios/save": ("ann", {"name": "planted", "count": "1", "c0-input": "workforce", "c0-column": "leaver_rate",
                                "c0-operation": "add", "c0-value": "0.01"}),
    "/scenarios/{scenario}/delete": ("ann", {"scenario": "retention"}),
}


def test_every_form_without_its_token_or_with_another_browsers_is_refused_and_changes_nothing(
        shared: Shared) -> None:
    """Catches a POST route that another site could make a signed-in user's browser send (no CSRF check, or one
    that takes any browser's token): each refused with 403, the database (as the superuser sees it) and the
    areas' folders as they were. A POST route added without a line here fails."""
    posts = {route.path for method, route in walked_routes(shared) if method == "POST"}
    assert posts == set(FORMS)
    ada_token, ann_token = csrf(shared.clients["ada"]), csrf(shared.clients["ann"])  # first: a request notes the area
    before, files = shared.everything(), every_file(shared.data)
    for path, (user, form) in FORMS.items():
        client = shared.clients[user]
        upload = {"file": ("areas.csv", (DEMO / "areas.csv").read_bytes())} if "upload" in path else None
        for token in ({}, {security.CSRF_FIELD: ada_token if user != "ada" else ann_token}):
            r = client.post(path.replace("{kind}", "areas").replace("{scenario}", "retention"), data={**form, **token},
                            files=upload, follow_redirects=False)
            assert r.status_code == 403 and "did not come from cyplan" in html.unescape(r.text), (path, token)
    after = shared.everything()
    assert {t: (before[t], after[t]) for t in before if before[t] != after[t]} == {}
    assert every_file(shared.data) == files
    assert shared.clients["ann"].get("/api/inputs").status_code == 200  # not signed out by the refused sign-out


# -- sessions -----------------------------------------------------------------------------------------------


def test_a_session_and_a_form_token_planted_before_sign_in_are_not_the_ones_after(shared: Shared) -> None:
    """Session fixation: Nobody signs in, then plants his session cookie and his CSRF cookie in Ann's browser
    before she signs in. Catches her sign-in carrying on in his session (he would act as her), and his form
    token (made in his own browser) still passing with her session (he could post as her from another site)."""
    mallory = sign_in(shared, NOBODY)
    victim = TestClient(shared.app, base_url=PUBLIC)
    try:
        with victim:
            planted = mallory.cookies[COOKIE]
            his_token = csrf(mallory)
            victim.cookies.set(COOKIE, planted, domain="127.0.0.1")
            victim.cookies.set(security.CSRF_COOKIE, mallory.cookies[security.CSRF_COOKIE], domain="127.0.0.1")
            shared.provider.next_token(ANN)
            assert to_provider_and_back(victim, shared.provider, "/").status_code == 303
            assert victim.cookies[COOKIE] != planted
            assert victim.get("/api/inputs").status_code == 200  # Ann's, as analyst of A
            assert mallory.get("/api/inputs").status_code == 401  # his session ended by her sign-in
            r = victim.post("/area", data={"tenant": B, security.CSRF_FIELD: his_token}, follow_redirects=False)
            assert r.status_code == 403
            r = victim.post("/area", data={"tenant": B, security.CSRF_FIELD: csrf(victim)}, follow_redirects=False)
            assert r.status_code == 303  # her own page's token works
    finally:
        mallory.__exit__(None, None, None)


def test_a_signed_out_sessions_cookie_is_refused_on_every_kind_of_route(shared: Shared) -> None:
    """Catches a sign-out that leaves the session usable by whoever kept its cookie (the API and downloads too)."""
    client = sign_in(shared, ANN)
    try:
        kept = client.cookies[COOKIE]
        r = client.post("/signout", data={security.CSRF_FIELD: csrf(client)}, follow_redirects=False)
        assert r.status_code == 303
        client.cookies.set(COOKIE, kept)
        assert client.get("/api/inputs").status_code == 401
        assert client.get("/data/inputs/areas.csv", follow_redirects=False).status_code == 303
        assert client.get("/", follow_redirects=False).status_code == 303
    finally:
        client.__exit__(None, None, None)


def test_a_cookie_of_one_server_is_refused_by_another_on_the_same_database(shared: Shared, tmp_path: Path) -> None:
    """Catches sessions trusted by id alone: a second server with its own secret, on the same database and so
    the same sessions table, must refuse a cookie the first signed."""
    other = create_server_app(load(shared.home / "server.toml", env={"CYPLAN_SESSION_SECRET": "another-secret" * 4}))
    try:
        with TestClient(other, base_url=PUBLIC) as client:
            client.cookies.set(COOKIE, shared.clients["ann"].cookies[COOKIE])
            assert client.get("/api/inputs").status_code == 401
    finally:
        for st in other.state.areas.values():
            st.close()
        other.state.server_workspace.close()
    assert shared.clients["ann"].get("/api/inputs").status_code == 200  # the cookie is good where it was made


def test_a_tampered_session_cookie_is_refused(shared: Shared) -> None:
    """Catches a cookie accepted with its id altered, its signature altered or dropped, or another session's
    signature on it."""
    good = shared.clients["ann"].cookies[COOKIE]
    payload, signature = good.rsplit(".", 1)
    flip = {"A": "B"}.get(payload[1], "A")
    bob = shared.clients["bob"].cookies[COOKIE].rsplit(".", 1)[1]
    for bad in (payload[0] + flip + payload[2:] + "." + signature, payload + "." + signature[::-1], payload,
                payload + "." + bob, good + "x"):
        with TestClient(shared.app, base_url=PUBLIC) as client:
            client.cookies.set(COOKIE, bad)
            assert client.get("/api/inputs").status_code == 401, bad


# -- schemathesis, signed in -------------------------------------------------------------------------------


def test_every_api_operation_with_generated_parameters_as_the_analyst_of_a(shared: Shared) -> None:
    """schemathesis generates each operation's parameters (strings, numbers, odd characters: injection through
    every one) and sends them signed in as Ann, analyst of A. Catches a 5xx, an answer the spec does not declare,
    and anything of B in an answer (its code, its name, the count planted in its returns)."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    ann = shared.clients["ann"]
    schema = schemathesis.openapi.from_dict(ann.get("/api/openapi.json").json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def answers(case: Any) -> None:
            r = ann.request(case.method, case.formatted_path, params=case.query, headers=case.headers)
            case.validate_response(r, checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                              response_schema_conformance])
            assert not [mark for mark in B_MARKS if mark in r.text], (case.formatted_path, case.query)
            # B's 3 planted referrals, or its exact number received (A's quality report is Ann's to see)
            assert [x for x in leaks(r) if x != "the quality report"] == [], (case.formatted_path, case.query)

        answers()


# -- sign-in on the shared database -------------------------------------------------------------------------


def test_too_many_failed_sign_ins_are_counted_on_the_shared_database(shared: Shared) -> None:
    """tests/test_signin.py counts failures on SQLite; here every worker shares PostgreSQL, where the server
    workspace's rows are its own area's under row-level security. Catches failures not found there (never
    refused: unlimited guessing), or refused before the allowed number."""
    failed = "SELECT count(*) FROM audit WHERE tenant = 'server' AND action = 'sign-in failed'"
    [(before,)] = shared.server.rows(DATABASE, failed)
    config = dataclasses.replace(load(shared.home / "server.toml"), failures_allowed=before + 2, failure_window=600)
    app = create_server_app(config)
    try:
        with TestClient(app, base_url=PUBLIC) as client:
            for _ in range(2):
                r = client.get("/signin/callback", params={"code": "guess", "state": "guess"})
                assert r.status_code == 400
            shared.provider.next_token(ANN)
            r = client.get("/signin", params={"next": "/"}, follow_redirects=False)
            assert r.status_code == 429 and "Too many failed sign-ins" in r.text
            assert 1 <= int(r.headers["Retry-After"]) <= 600
    finally:
        for st in app.state.areas.values():
            st.close()
        app.state.server_workspace.close()
    assert shared.server.rows(DATABASE, failed) == [(before + 2,)]


def test_a_role_taken_away_by_the_areas_admin_ends_at_the_users_next_request(shared: Shared) -> None:
    """Catches roles kept in the session from sign-in: Ada (admin of A) takes Alice's approver role away through
    the admin page, and Alice's very next request is refused; given back, it works again. (Last: it changes the
    module's users.)"""
    ada, alice = shared.clients["ada"], shared.clients["alice"]
    assert alice.get("/api/overview").status_code == 200
    form = {"user": ALICE["email"], "role": "approver", security.CSRF_FIELD: csrf(ada)}
    assert ada.post("/admin/users/revoke", data=form).status_code == 200
    r = alice.get("/api/overview")
    assert r.status_code == 403 and "no role in any area" in r.json()["detail"]
    assert alice.post("/services/sign-off", headers={security.CSRF_HEADER: csrf(alice)}).status_code == 403
    assert ada.post("/admin/users/grant", data=form).status_code == 200
    assert alice.get("/api/overview").status_code == 200
