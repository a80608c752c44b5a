"""The admin pages (issue 14 parts 3 and 5): the area's users and roles (list, grant, revoke, each change in the
area's audit trail), and the area's audit trail with filters and a CSV download.

Roles are rows of the server workspace's user_roles table (cyplan.auth.roles); the one-person app on loopback has
no users, and its users page says so. The current area is the one the sign-in middleware chose
(request.state.tenant)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from cyplan.auth import roles as user_roles
from cyplan.auth.roles import ALLOWS, Permission, Role
from cyplan.io.write import write_csv
from cyplan.store import audit
from cyplan.store.tables import audit as audit_table
from cyplan.store.workspace import Workspace
from cyplan.web.access import needs, who
from cyplan.web.app import State, page

router = APIRouter()
SHOWN_ENTRIES = 500  # entries on the page, newest first; the CSV has every one the filters keep
SERVER_FOLDER = "server"  # the server workspace under the server's data folder (docs/decisions/0011)


# -- users and roles ------------------------------------------------------------------------------------------

def server_workspace(request: Request) -> Workspace | None:
    """The server workspace holding users and roles, or None in the one-person app (no shared server)."""
    state = request.app.state
    ws: Workspace | None = getattr(state, "server_workspace", None)
    if ws is None and getattr(state, "server", None) is not None:
        ws = state.server_workspace = Workspace.open(Path(state.server.data_dir) / SERVER_FOLDER)
    return ws


def _area(request: Request) -> str:
    area = getattr(request.state, "tenant", None)
    if not area:
        raise HTTPException(409, "Choose an area first: roles are given per area.")
    return str(area)


def _members(request: Request) -> tuple[str | None, list[dict[str, Any]]]:
    ws = server_workspace(request)
    if ws is None:
        return None, []
    area = _area(request)
    with ws.engine.connect() as conn:
        found = user_roles.members(conn, area)
    return area, [{"user": u, "roles": sorted(r.value for r in rs)} for u, rs in found.items()]


@router.get("/admin/users", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.MANAGE_USERS)])
def users_page(request: Request, st: State) -> HTMLResponse:
    return _users(request)


def _users(request: Request, done: str | None = None) -> HTMLResponse:
    area, members = _members(request)
    return page(request, "admin_users.html", {
        "title": "Users and roles", "current": "admin", "server_area": area, "members": members,
        "roles": [(r.value, sorted(p.value for p in ALLOWS[r])) for r in Role], "done": done})


def _role(given: str) -> Role:
    try:
        return Role(given.strip().lower())
    except ValueError:
        raise HTTPException(400, f"‘{given}’ is not a role: the roles are "
                                 f"{', '.join(r.value for r in Role)}.") from None


def _user(given: str) -> str:
    name = user_roles.user_name(given)
    if not name or len(name) > 320 or any(c.isspace() for c in name):
        raise HTTPException(400, "Give the person's sign-in name: their e-mail address or user principal name "
                                 "(UPN), as they sign in with it.")
    return name


def _change(request: Request, st: State, user: str, role: str, granting: bool) -> HTMLResponse:
    ws = server_workspace(request)
    if ws is None:
        raise HTTPException(409, "This cyplan has no users: roles are given on a shared server "
                                 "(docs/deployment.md). Run on your own computer, you hold every role.")
    area, name, chosen, by = _area(request), _user(user), _role(role), who(request)
    verb = "granted" if granting else "revoked"
    what = {"user": name, "role": chosen.value, "change": verb, "server_area": area}
    with ws.engine.begin() as conn:
        if not granting and chosen is Role.ADMIN and set(user_roles.members(conn, area).get(name, ())) >= {Role.ADMIN}:
            admins = [u for u, rs in user_roles.members(conn, area).items() if Role.ADMIN in rs]
            if admins == [name]:
                raise HTTPException(409, f"{name} is the area's only admin: grant the admin role to someone "
                                         "else first, so that the area is never left without one.")
        changed = (user_roles.grant(conn, name, area, chosen, by) if granting
                   else user_roles.revoke(conn, name, area, chosen))
        if changed:  # the server's trail, with the change or not at all
            audit.append(conn, "role change", what, None, by)
    if changed:  # and the area's own, where its admins read it
        st.audit("role change", what, None, who=by)
    said = (f"{name} now holds the {chosen.value} role." if granting else f"{name} no longer holds the "
            f"{chosen.value} role.") if changed else (f"{name} already held the {chosen.value} role." if granting
                                                      else f"{name} did not hold the {chosen.value} role.")
    return _users(request, said)


@router.post("/admin/users/grant", include_in_schema=False, dependencies=[needs(Permission.MANAGE_USERS)])
def grant(request: Request, st: State, user: Annotated[str, Form()], role: Annotated[str, Form()]) -> Response:
    return _change(request, st, user, role, granting=True)


@router.post("/admin/users/revoke", include_in_schema=False, dependencies=[needs(Permission.MANAGE_USERS)])
def revoke(request: Request, st: State, user: Annotated[str, Form()], role: Annotated[str, Form()]) -> Response:
    return _change(request, st, user, role, granting=False)


# -- the audit trail ------------------------------------------------------------------------------------------

Filters = dict[str, Any]


def _filters(action: str | None, person: str | None, start: dt.date | None, end: dt.date | None) -> Filters:
    """The filters as audit.read takes them; 400 for an action that is none (never read as 'no entries')."""
    action = (action or "").strip().lower() or None
    if action is not None and action not in audit.ACTIONS:
        raise HTTPException(400, f"‘{action}’ is not an action: the actions are {', '.join(audit.ACTIONS)}.")
    if start is not None and end is not None and end < start:
        raise HTTPException(400, f"The dates are the wrong way round: from {start} is after to {end}.")
    return {"action": action, "who": (person or "").strip() or None,
            "since": start.isoformat() if start else None,
            "before": (end + dt.timedelta(days=1)).isoformat() if end else None}  # 'to' takes in its whole day


def _entries(st: State, f: Filters) -> list[dict[str, Any]]:
    with st.ws.engine.connect() as conn:
        return audit.read(conn, f["action"], f["since"], before=f["before"], who=f["who"])


ActionQ = Annotated[str | None, Query(description="Only this action")]
WhoQ = Annotated[str | None, Query(alias="who", description="Only entries by this person, as recorded")]
FromQ = Annotated[dt.date | None, Query(alias="from", description="Only entries on or after this day (UTC)")]
ToQ = Annotated[dt.date | None, Query(alias="to", description="Only entries on or before this day (UTC)")]


@router.get("/admin/audit", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_AUDIT)])
def audit_page(request: Request, st: State, action: ActionQ = None, person: WhoQ = None, start: FromQ = None,
               end: ToQ = None) -> HTMLResponse:
    f = _filters(action, person, start, end)
    entries = _entries(st, f)
    shown = list(reversed(entries[-SHOWN_ENTRIES:]))
    return page(request, "admin_audit.html", {
        "title": "Audit trail", "current": "admin", "entries": shown, "total": len(entries), "actions": audit.ACTIONS,
        "chosen": {"action": f["action"] or "", "who": f["who"] or "", "from": start or "", "to": end or ""},
        "query": str(request.url.query)})


@router.get("/admin/audit.csv", include_in_schema=False, dependencies=[needs(Permission.VIEW_AUDIT)])
def audit_csv(st: State, action: ActionQ = None, person: WhoQ = None, start: FromQ = None,
              end: ToQ = None) -> Response:
    """Every entry the filters keep, oldest first, with its hashes (so a copy can be checked against the trail)."""
    entries = _entries(st, _filters(action, person, start, end))
    frame = pl.DataFrame(entries, schema={c.name: pl.Int64 if c.name == "id" else pl.String
                                          for c in audit_table.columns}, orient="row")
    buf = io.StringIO()
    write_csv(frame, buf)
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit-trail.csv"'})
