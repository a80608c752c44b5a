"""`cyplan audit`: check the audit trail's hash chain, and list its entries."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import sqlalchemy as sa
import typer

from cyplan import machine
from cyplan.io.files import sha256
from cyplan.store import audit
from cyplan.store.workspace import Workspace
from cyplan.terminal import Format as Shown
from cyplan.terminal import OutOpt, WorkspaceOpt, emit, fail, open_workspace, say, warn

audit_app = typer.Typer(help="The audit trail: who imported, exported, ran and made what, when and from where.",
                        no_args_is_help=True)

SHOWN = ("id", "at", "who", "area", "action", "what", "source")  # on screen; files keep the hashes too


class ListFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@audit_app.command("verify")
def verify(workspace: WorkspaceOpt = Path(".")) -> None:
    """Recompute the hash chain and match the import log to it: exit 0 if it is intact, 1 naming the first entry
    edited, deleted or moved, or the first import since the trail began that has no entry."""
    with open_workspace(workspace) as ws, ws.engine.connect() as conn:
        entries = audit.read(conn)
        missing = audit.missing_imports(conn)
        began = audit.began(conn)
    broken = audit.verify(entries)
    if broken is not None:
        fail(f"the audit trail is broken at entry {broken.id}: {broken.reason}. The trail has been tampered with "
             "(or the database damaged) at or before that entry.", 1)
    if missing:
        first, more = missing[0], len(missing) - 1
        others = f" (and {more:,} other import{'s' if more > 1 else ''})" if more else ""
        fail(f"the audit trail is missing entries: the import of {first['kind']} from {first['file']} at "
             f"{first['imported_at']}{others} is in the import log but has no entry in the trail, which began at "
             f"{began} UTC. Entries have been deleted (or the database damaged).", 1)
    typer.echo(f"{len(entries):,} entr{'y' if len(entries) == 1 else 'ies'}, chain intact"
               + (f"; latest hash {entries[-1]['hash']}" if entries else ""))


def broken_warning(ws: Workspace) -> None:
    """Warn when the trail is plainly broken (its latest entry edited, or emptied): a cheap check, made after an
    import and by `cyplan status`, so work does not go on unawares on a trail that `audit verify` would fail."""
    with ws.engine.connect() as conn:
        why = audit.tail_broken(conn)
    if why is not None:
        warn(f"the audit trail is broken: {why}. Run 'cyplan audit verify' and tell whoever looks after the "
             "workspace; cyplan carries on recording.")


@audit_app.command("list")
def list_(
    workspace: WorkspaceOpt = Path("."),
    action: Annotated[str | None, typer.Option("--action", help="Only this action: "
                                               + ", ".join(audit.ACTIONS) + ".")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only entries on or after this date (or time), "
                                              "UTC, written YYYY-MM-DD.")] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="table, csv or json.")] = ListFormat.table,
    out_file: OutOpt = None,
) -> None:
    """The audit trail's entries, oldest first."""
    if action is not None:
        action = _action(action)
    if since is not None:
        since = _since(since)
    with open_workspace(workspace) as ws, ws.engine.connect() as conn:
        entries = audit.read(conn, action, since)
    frame = pl.DataFrame(entries, schema={c.name: pl.Int64 if c.name == "id" else pl.String
                                          for c in audit.audit.columns}, orient="row")
    if fmt is ListFormat.table:
        if not entries:
            say("No entries" + (" of that action" if action else "") + (" since then" if since else "") + ".")
            return
        frame = frame.select(SHOWN).with_columns(pl.col("what").map_elements(_plain, return_dtype=pl.String))
    emit(frame, Shown(fmt.value), out_file, "Audit trail", totals=False)


def _action(given: str) -> str:
    """The action in any case; a word that is none of them is refused, never read as "no entries" (a typo such
    as 'imports' would otherwise say nobody imported anything)."""
    action = given.strip().lower()
    if action not in audit.ACTIONS:
        fail(f"--action '{given}' is not an action: the actions are {', '.join(audit.ACTIONS)}", 2)
    return action


def _since(given: str) -> str:
    """The date or time as the trail writes them (UTC, ISO 8601), so that comparing text compares times."""
    try:
        when = dt.datetime.fromisoformat(given.strip())
    except ValueError:
        fail(f"--since '{given}' is not a date: write it as YYYY-MM-DD (or YYYY-MM-DDTHH:MM, UTC)", 2)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.isoformat()


def _plain(what: str) -> str:
    """`what` on screen: key=value pairs, not JSON."""
    return ", ".join(f"{k}={v}" for k, v in json.loads(what).items() if v is not None)


def record(workspace: Path, action: str, what: dict[str, object], area: str | None = None) -> None:
    """Add an entry for something done after the workspace was closed (a paper written, a simulation run)."""
    with open_workspace(workspace) as ws:
        note(ws, action, what, area)


def note(ws: Workspace, action: str, what: dict[str, object], area: str | None = None) -> None:
    """Add an entry for something that read the workspace and changed nothing (an export, a run, a paper). A
    workspace that cannot be written (read-only, or its disk full) still gives what was read from it, as it
    always has, and the user is told the entry is missing; any other fault stops the command (exit 3)."""
    try:
        audit.append(ws.engine, action, what, area)
    except sa.exc.OperationalError as e:
        said = str(e.orig).lower()
        if "readonly" not in said and "read-only" not in said and "full" not in said:
            raise
        warn(f"this was not recorded in the audit trail: {machine.describe(e, ws.path)}")


def files(paths: list[Path]) -> list[dict[str, str]]:
    """The files written, each by name and SHA-256, as an entry's `what` lists them."""
    return [{"file": str(p), "sha256": sha256(p)} for p in paths]
