"""`cyplan server grant|revoke|members`: who holds which role in which area of a shared server (issue 14 part 3).

How the first admin of an area is made: `cyplan server grant NAME --area CODE --role admin --data-dir DIR` on
the server, before that person has ever signed in. Every change is in the audit trail of the server workspace
(in the same transaction as the change) and of the area (where the area's admins read it), with the OS user
who ran the command and `cli` as where it came from.

These commands sit on a Typer app of their own (`app`); `register(server_app)`, below, adds them to the `cyplan
server` group of commands/server.py, which the `cyplan` command takes from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan.auth import roles
from cyplan.auth.config import AREAS, SERVER
from cyplan.auth.roles import Role
from cyplan.commands.server import ConfigOpt, data_folder, server_app
from cyplan.store import audit
from cyplan.store.history import who as os_user
from cyplan.terminal import Format, OutOpt, emit, fail, open_workspace, say

app = typer.Typer(help="The shared server: users' roles per area.", no_args_is_help=True)

DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="The shared server's data folder, holding "
                                                                    "server/ and areas/ (default: --config's).")]
AreaOpt = Annotated[str, typer.Option("--area", help="The server area's code (its folder under areas/).")]
RoleOpt = Annotated[str, typer.Option("--role", help="viewer, analyst, approver or admin.")]
UserArg = Annotated[str, typer.Argument(help="The person's sign-in name: e-mail address or UPN.")]


def _role(given: str) -> Role:
    try:
        return Role(given.strip().lower())
    except ValueError:
        fail(f"--role '{given}' is not a role: the roles are {', '.join(r.value for r in Role)}", 2)


def _user(given: str) -> str:
    name = roles.user_name(given)
    if not name or any(c.isspace() for c in name):
        fail(f"'{given}' is not a sign-in name: give the person's e-mail address or UPN, as they sign in", 2)
    return name


def _area(data_dir: Path | None, config: Path | None, area: str) -> tuple[Path, Path]:
    """The area's folder; exit 2 naming the areas there are for one the server has not (a typo would otherwise
    give a role in an area nobody can reach); and the data folder it is in."""
    data_dir = data_folder(data_dir, config)
    if not (data_dir / SERVER).is_dir():
        fail(f"{data_dir} is not a shared server's data folder: it has no {SERVER}/ folder. Give --data-dir as in "
             "server.toml, or set the server up first (docs/deployment.md)", 2)
    folder = data_dir / AREAS / area
    if not folder.is_dir():
        there = sorted(p.name for p in (data_dir / AREAS).glob("*") if p.is_dir())
        fail(f"--area '{area}': the server has no such area. Its areas are: {', '.join(there) or 'none yet'} "
             "(add one with 'cyplan server add-area')", 2)
    return folder, data_dir


def _change(user: str, area: str, role: str, data_dir: Path | None, config: Path | None, granting: bool) -> None:
    name, chosen, by = _user(user), _role(role), os_user()
    folder, data_dir = _area(data_dir, config, area)
    verb = "granted" if granting else "revoked"
    what = {"user": name, "role": chosen.value, "change": verb, "server_area": area}
    with open_workspace(data_dir / SERVER) as server, server.engine.begin() as conn:
        changed = roles.grant(conn, name, area, chosen, by) if granting else roles.revoke(conn, name, area, chosen)
        if changed:
            audit.append(conn, "role change", what, None, by)
    if not changed:
        say(f"{name} already held the {chosen.value} role in {area}: nothing changed." if granting
            else f"{name} did not hold the {chosen.value} role in {area}: nothing changed.")
        return
    with open_workspace(folder) as ws:
        audit.append(ws.engine, "role change", what, None, by)
    say(f"{name} now holds the {chosen.value} role in {area}." if granting
        else f"{name} no longer holds the {chosen.value} role in {area}.")


@app.command("grant")
def grant(user: UserArg, area: AreaOpt, role: RoleOpt, data_dir: DataDirOpt = None, config: ConfigOpt = None) -> None:
    """Give a person a role in an area (the first admin of an area is made this way)."""
    _change(user, area, role, data_dir, config, granting=True)


@app.command("revoke")
def revoke(user: UserArg, area: AreaOpt, role: RoleOpt, data_dir: DataDirOpt = None, config: ConfigOpt = None
           ) -> None:
    """Take a role in an area away from a person."""
    _change(user, area, role, data_dir, config, granting=False)


@app.command("members")
def members(area: AreaOpt, data_dir: DataDirOpt = None, config: ConfigOpt = None,
            fmt: Annotated[Format, typer.Option("--format", "-f", help="table, csv or json.")] = Format.table,
            out_file: OutOpt = None) -> None:
    """Everyone holding a role in an area, with their roles."""
    _, data_dir = _area(data_dir, config, area)
    with open_workspace(data_dir / SERVER) as server, server.engine.connect() as conn:
        found = roles.members(conn, area)
    if not found and fmt is Format.table:
        say(f"Nobody holds a role in {area} yet: give the first admin theirs with 'cyplan server grant NAME "
            f"--area {area} --role admin --data-dir {data_dir}'.")
        return
    frame = pl.DataFrame({"user": list(found), "roles": [", ".join(sorted(r.value for r in rs))
                                                          for rs in found.values()]},
                         schema={"user": pl.String, "roles": pl.String})
    emit(frame, fmt, out_file, f"Users of {area}", totals=False)


def register(target: typer.Typer) -> None:
    """Add grant, revoke and members to another Typer app (the `cyplan server` group)."""
    for name, command in (("grant", grant), ("revoke", revoke), ("members", members)):
        target.command(name)(command)


register(server_app)  # grant, revoke, members beside migrate and add-area: `cyplan server`, as cli.py loads it
