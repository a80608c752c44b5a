"""The approver's sign-offs, the admin's users-and-roles page and audit page, and `cyplan server grant|revoke|
members` (issue 14 parts 3 and 5). Signed in through test_roles.SignedInAs, which stands in for the sign-in
middleware (tested for real in test_signin*)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import CliResult, folder_bytes
from cyplan import reference
from cyplan.auth import roles
from cyplan.auth.roles import Role
from cyplan.store import audit
from cyplan.store.history import who as os_user
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs
from test_roles import AREA, TENANT, as_role, client_for, token

ALICE = as_role("approver", user="alice@example.gov.uk")
ADA = as_role("admin", user="ada@example.gov.uk")
SIGNED = re.compile(r"Signed off by (\S+) on (\d{1,2} \w+ \d{4}) at \d\d:\d\d UTC")


@pytest.fixture
def client(demo_workspace: Path) -> Iterator[TestClient]:
    yield from client_for(demo_workspace)


def entries(path: Path, action: str | None = None) -> list[dict[str, object]]:
    ws = Workspace.open(path)
    try:
        with ws.engine.connect() as conn:
            return audit.read(conn, action)
    finally:
        ws.close()


def words(r: object) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", r.text)))  # type: ignore[attr-defined]


# -- sign-offs -------------------------------------------------------------------------------------------------

def test_an_approver_signs_off_the_rating_and_new_data_makes_it_an_earlier_versions(client: TestClient,
                                                                                    demo_workspace: Path) -> None:
    """Catches a sign-off not recorded with who and when, not shown, not audited, or still shown as current after
    the data changed (an import after it)."""
    assert "has not been signed off" in words(client.get("/services", headers=ALICE))
    r = client.post("/services/sign-off", headers={**ALICE, "x-csrf-token": token(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/services#sign-off"
    today = dt.datetime.now(dt.UTC).date()
    shown = SIGNED.search(words(client.get("/services", headers=ALICE)))
    assert shown is not None and shown.groups() == ("alice@example.gov.uk", f"{today.day} {today:%B %Y}")
    api = client.get("/api/services", headers=ALICE).json()["sign_off"]
    assert api["by"] == "alice@example.gov.uk" and api["current"] is True
    [entry] = entries(demo_workspace, "sign-off")
    assert entry["who"] == "alice@example.gov.uk" and json.loads(str(entry["what"]))["signed"] == "rating"

    ws = Workspace.open(demo_workspace)  # new data after the sign-off
    try:
        import_inputs(ws, [Source("areas", reference.DEMO / "areas.csv")])
    finally:
        ws.close()
    page = words(client.get("/services", headers=ALICE))
    assert "for an earlier version of the data" in page and "alice@example.gov.uk" in page
    assert client.get("/api/services", headers=ALICE).json()["sign_off"]["current"] is False


def test_the_board_paper_says_who_signed_it_off(client: TestClient, demo_workspace: Path) -> None:
    """Catches a paper sign-off missing from the paper itself, or recorded for another area than the paper's."""
    r = client.post("/report/sign-off", params={"area": AREA}, headers={**ALICE, "x-csrf-token": token(client)},
                    follow_redirects=False)
    assert r.status_code == 303
    paper = words(client.get("/report", params={"area": AREA, "format": "html"}, headers=ALICE))
    found = SIGNED.search(paper)
    assert found is not None and found.group(1) == "alice@example.gov.uk"
    assert "The board paper: Signed off by alice@example.gov.uk" in words(client.get("/", headers=ALICE))
    [entry] = entries(demo_workspace, "sign-off")
    assert json.loads(str(entry["what"]))["paper"] == AREA and entry["area"] == AREA


def test_only_an_approver_signs_off_and_a_refusal_records_nothing(client: TestClient, demo_workspace: Path) -> None:
    """Catches an analyst or admin able to sign off, an approver's sign-off taken without the form's CSRF token
    (another site posting it through their browser), and a refused sign-off leaving a trace in the workspace."""
    before = folder_bytes(demo_workspace)
    for who in (as_role("analyst"), as_role("admin"), as_role("viewer")):
        for path in ("/services/sign-off", f"/report/sign-off?area={AREA}"):
            r = client.post(path, headers={**who, "x-csrf-token": token(client)}, follow_redirects=False)
            assert r.status_code == 403, path
    r = client.post("/services/sign-off", headers=ALICE, follow_redirects=False)  # an approver, but no form token
    assert r.status_code == 403 and "did not come from cyplan" in words(r)
    assert {k: v for k, v in folder_bytes(demo_workspace).items() if not k.endswith(".log")} == \
        {k: v for k, v in before.items() if not k.endswith(".log")}


# -- users and roles (server mode) --------------------------------------------------------------------------------

@pytest.fixture
def server(client: TestClient, tmp_path: Path) -> Path:
    """A server workspace for the app's users and roles, as the sign-in part's app factory gives it."""
    path = tmp_path / "server"
    Workspace.create(path).close()
    client.app_state.state.server_workspace = Workspace.open(path)  # type: ignore[attr-defined]
    return path


def held(server: Path, user: str) -> dict[str, frozenset[Role]]:
    ws = Workspace.open(server)
    try:
        with ws.engine.connect() as conn:
            return roles.roles_of(conn, user)
    finally:
        ws.close()


def test_an_admin_grants_and_revokes_roles_each_change_audited(client: TestClient, server: Path,
                                                              demo_workspace: Path) -> None:
    """Catches a grant or revoke not kept in the server's user_roles for this area, not listed, or missing from
    the area's audit trail (and the server's) with who made it."""
    csrf = {"x-csrf-token": token(client)}
    r = client.post("/admin/users/grant", data={"user": " Bob@Example.gov.uk ", "role": "viewer"},
                    headers={**ADA, **csrf})
    assert r.status_code == 200 and "bob@example.gov.uk now holds the viewer role." in words(r)
    assert held(server, "bob@example.gov.uk") == {TENANT: frozenset({Role.VIEWER})}
    listed = words(client.get("/admin/users", headers=ADA))
    assert "bob@example.gov.uk viewer" in listed
    r = client.post("/admin/users/grant", data={"user": "bob@example.gov.uk", "role": "viewer"},
                    headers={**ADA, **csrf})
    assert "already held the viewer role" in words(r)
    r = client.post("/admin/users/revoke", data={"user": "bob@example.gov.uk", "role": "viewer"},
                    headers={**ADA, **csrf})
    assert "no longer holds the viewer role" in words(r) and held(server, "bob@example.gov.uk") == {}
    changes = entries(demo_workspace, "role change")
    assert [(e["who"], json.loads(str(e["what"]))["change"]) for e in changes] == [
        ("ada@example.gov.uk", "granted"), ("ada@example.gov.uk", "revoked")]  # the repeat grant changed nothing
    assert len(entries(server, "role change")) == 2


def test_a_wrong_role_or_the_last_admin_is_refused_and_nothing_changes(client: TestClient, server: Path) -> None:
    """Catches an unknown role stored (or a traceback), and an area left without an admin."""
    csrf = {"x-csrf-token": token(client)}
    client.post("/admin/users/grant", data={"user": "ada@example.gov.uk", "role": "admin"}, headers={**ADA, **csrf})
    before = folder_bytes(server)
    r = client.post("/admin/users/grant", data={"user": "bob@example.gov.uk", "role": "superuser"},
                    headers={**ADA, **csrf})
    assert r.status_code == 400
    assert "‘superuser’ is not a role: the roles are viewer, analyst, approver, admin." in words(r)
    r = client.post("/admin/users/revoke", data={"user": "ada@example.gov.uk", "role": "admin"},
                    headers={**ADA, **csrf})
    assert r.status_code == 409 and "the area's only admin" in words(r)
    assert folder_bytes(server) == before


def test_without_a_shared_server_the_users_page_says_there_are_none(client: TestClient) -> None:
    """Catches the one-person app pretending to manage users it does not have."""
    page = words(client.get("/admin/users"))
    assert "it has no users, and you hold every role" in page
    r = client.post("/admin/users/grant", data={"user": "bob@example.gov.uk", "role": "viewer"},
                    headers={"x-csrf-token": token(client)})
    assert r.status_code == 409


# -- the audit page ------------------------------------------------------------------------------------------------

def test_the_audit_page_filters_and_its_csv_holds_what_the_filters_keep(client: TestClient,
                                                                         demo_workspace: Path) -> None:
    """Catches a filter ignored (action, who, from, to), the CSV disagreeing with the trail, or the page open to
    someone who is not an admin."""
    csrf = {"x-csrf-token": token(client)}
    client.post("/services/sign-off", headers={**ALICE, **csrf})
    client.get("/data/inputs/areas.csv", headers=as_role("analyst", user="carl@example.gov.uk"))  # a download
    every = entries(demo_workspace)
    assert {e["action"] for e in every} >= {"import", "sign-off", "download"}

    page = words(client.get("/admin/audit", params={"action": "sign-off"}, headers=ADA))
    assert "1 entry" in page and "alice@example.gov.uk" in page and "carl@example.gov.uk" not in page
    page = words(client.get("/admin/audit", params={"who": "carl@example.gov.uk"}, headers=ADA))
    assert "1 entry" in page and "download" in page
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    assert "0 entries" in words(client.get("/admin/audit", params={"from": str(tomorrow)}, headers=ADA))
    yesterday = tomorrow - dt.timedelta(days=2)
    assert "0 entries" in words(client.get("/admin/audit", params={"to": str(yesterday)}, headers=ADA))
    assert f"{len(every)} entries" in words(client.get("/admin/audit", params={"to": str(tomorrow)}, headers=ADA))

    r = client.get("/admin/audit.csv", params={"action": "download"}, headers=ADA)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [int(x["id"]) for x in rows] == [e["id"] for e in every if e["action"] == "download"]
    assert rows[0]["hash"] == next(e["hash"] for e in every if e["action"] == "download")
    assert client.get("/admin/audit.csv", headers=as_role("analyst", "approver")).status_code == 403


@pytest.mark.parametrize(("params", "said"), [
    ({"action": "imports"}, "‘imports’ is not an action"),
    ({"from": "2026-13-01"}, "from"),
    ({"from": "2025-02-01", "to": "2025-01-01"}, "the wrong way round"),
])
def test_the_audit_pages_bad_filters_say_what_is_wrong(client: TestClient, params: dict[str, str],
                                                       said: str) -> None:
    """Catches a typo'd action read as 'no entries' (nobody did anything), or a bad date as a traceback."""
    r = client.get("/admin/audit", params=params, headers=ADA)
    assert r.status_code == 400 and said in words(r) and "Traceback" not in r.text


# -- the command line ----------------------------------------------------------------------------------------------

@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A shared server's data folder: the server workspace and one area."""
    Workspace.create(tmp_path / "data" / "server").close()
    Workspace.create(tmp_path / "data" / "areas" / TENANT).close()
    return tmp_path / "data"


def test_the_first_admin_is_made_on_the_command_line_and_audited(
        run_cli: Callable[[Sequence[str]], CliResult], data_dir: Path) -> None:
    """Catches a grant not stored (under the lower-case sign-in name), not listed by members, or not in both
    audit trails with the OS user and 'cli'; a repeated grant adding an entry; a revoke that leaves the role."""
    code, _, err = run_cli(["server", "grant", "Ada@Example.gov.uk", "--area", TENANT, "--role", "admin",
                            "--data-dir", data_dir])
    assert code == 0, err
    assert "ada@example.gov.uk now holds the admin role in exampleshire." in err
    code, out, _ = run_cli(["server", "members", "--area", TENANT, "--data-dir", data_dir, "--format", "json"])
    assert json.loads(out) == [{"user": "ada@example.gov.uk", "roles": "admin"}]
    for trail in (data_dir / "server", data_dir / "areas" / TENANT):
        [e] = entries(trail, "role change")
        assert (e["who"], e["source"]) == (os_user(), "cli")
        assert json.loads(str(e["what"])) == {"user": "ada@example.gov.uk", "role": "admin", "change": "granted",
                                              "server_area": TENANT}
    code, _, err = run_cli(["server", "grant", "ada@example.gov.uk", "--area", TENANT, "--role", "admin",
                            "--data-dir", data_dir])
    assert code == 0 and "already held" in err and len(entries(data_dir / "server", "role change")) == 1
    code, _, err = run_cli(["server", "revoke", "ada@example.gov.uk", "--area", TENANT, "--role", "admin",
                            "--data-dir", data_dir])
    assert code == 0 and held(data_dir / "server", "ada@example.gov.uk") == {}


@pytest.mark.parametrize(("args", "said"), [
    (["--area", TENANT, "--role", "owner"], "--role 'owner' is not a role: the roles are viewer, analyst, approver, "
                                             "admin"),
    (["--area", "elsewhere", "--role", "admin"], "--area 'elsewhere': the server has no such area. Its areas are: "
                                                 "exampleshire"),
])
def test_a_wrong_role_or_area_on_the_command_line_exits_2_and_changes_nothing(
        run_cli: Callable[[Sequence[str]], CliResult], data_dir: Path, args: list[str], said: str) -> None:
    """Catches a typo'd role or area stored as given (a role nobody checks, an area nobody can reach)."""
    before = folder_bytes(data_dir)
    code, _, err = run_cli(["server", "grant", "ada@example.gov.uk", *args, "--data-dir", data_dir])
    assert code == 2 and said in " ".join(err.split())
    assert folder_bytes(data_dir) == before
