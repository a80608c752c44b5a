"""`cyplan history`: each input's versions, what changed between two of them, and restoring an earlier one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table
from rich.text import Text

from cyplan.io.problems import InputError
from cyplan.schema import KINDS
from cyplan.store.history import diff
from cyplan.store.workspace import Workspace
from cyplan.terminal import WorkspaceOpt, fail, open_workspace, out, printable, report, say
from cyplan.transfer import restore

COLUMNS = ("input", "version", "what", "when", "by", "file", "rows", "added", "removed", "changed")


def history(
    kind: Annotated[str | None, typer.Argument(help="Which input (default: every input's versions).")] = None,
    workspace: WorkspaceOpt = Path("."),
    between: Annotated[tuple[int, int] | None, typer.Option("--diff", help="Show the rows added, removed and "
                                                            "changed from version A to version B.")] = None,
    back_to: Annotated[int | None, typer.Option("--restore", help="Make version N the current one (kept as a new "
                                                "version: nothing is lost).")] = None,
) -> None:
    """Each input's versions: who imported what, when, and the rows added, removed and changed. With --diff A B,
    the rows that differ between two versions; with --restore N, version N becomes the current one."""
    if kind is not None and kind.strip().lower() not in KINDS:
        fail(f"'{kind}' is not an input; the inputs are: {', '.join(KINDS)}", 2)
    kind = kind.strip().lower() if kind else None
    if (between or back_to is not None) and kind is None:
        fail("name the input: cyplan history KIND --diff A B, or cyplan history KIND --restore N", 2)
    if between and back_to is not None:
        fail("give --diff or --restore, not both", 2)
    with open_workspace(workspace) as ws:
        if kind and between:
            _show_diff(ws, kind, *between)
        elif kind and back_to is not None:
            _restore(ws, kind, back_to)
        else:
            _list(ws, kind)


def _list(ws: Workspace, kind: str | None) -> None:
    versions = ws.versions(kind)
    if not versions.height:
        say(f"No versions of {kind or 'any input'} yet: each import from now on is kept as one.")
        return
    table = Table(title=f"History of {kind}" if kind else "History of the inputs")
    columns = COLUMNS[1:] if kind else COLUMNS  # one input's history need not name it on every row
    for c in columns:
        table.add_column(c, justify="right" if c in ("version", "rows", "added", "removed", "changed") else "left")
    for v in versions.iter_rows(named=True):
        what = f"restore of {v['restored_from']}" if v["action"] == "restore" else v["action"]
        where = v["file"] + (f" [{v['sheet']}]" if v["sheet"] else "") if v["file"] else "—"
        cells = [str(v["version"]), what, v["at"] or "—", Text(printable(v["by"] or "—")), Text(printable(where)),
                 *(f"{v[c]:,}" for c in ("rows", "added", "removed", "changed"))]
        table.add_row(*([] if kind else [v["kind"]]), *cells)
    out.print(table)


def _show_diff(ws: Workspace, kind: str, a: int, b: int) -> None:
    held = ws.versions(kind)["version"].to_list()
    for n in (a, b):
        if n not in held:
            fail(f"there is no version {n} of {kind}: "
                 + (f"its versions are 1 to {len(held)}" if held else "it has no versions yet"), 2)
    change = diff(kind, ws.version(kind, a), ws.version(kind, b))
    say(f"From version {a} to version {b} of {kind}: {_rows(change.added.height)} added, "
        f"{change.removed.height:,} removed, {len(change.changed):,} changed.")
    _rows_table(f"Added in version {b}", change.added)
    _rows_table(f"Removed since version {a}", change.removed)
    if change.changed:
        table = Table(title="Changed (before → after)")
        table.add_column("row (by its key)")
        table.add_column("what changed")
        for key, cols in change.changed:
            table.add_row(Text(_values(key)), Text("; ".join(f"{c}: {_cell(x)} → {_cell(y)}"
                                                             for c, (x, y) in cols.items())))
        out.print(table)


def _rows_table(title: str, rows: pl.DataFrame) -> None:
    if not rows.height:
        return
    table = Table(title=title)
    for c in rows.columns:
        table.add_column(c)
    for r in rows.iter_rows():
        table.add_row(*(Text(_cell(v)) for v in r))
    out.print(table)


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


def _values(row: dict[str, object]) -> str:
    return ", ".join(f"{k} {_cell(v)}" for k, v in row.items())


def _cell(value: object) -> str:
    """A value as the terminal may show it (a stored name or cell's escape sequences written out, never sent)."""
    return "(blank)" if value is None or value == "" else printable(str(value))


def _restore(ws: Workspace, kind: str, n: int) -> None:
    try:
        restore(ws, kind, n)
    except InputError as e:
        report(e)
    now = ws.versions(kind).row(-1, named=True)
    say(f"Restored version {n} of {kind} as version {now['version']}: {_rows(now['rows'])} "
        f"({now['added']:,} added, {now['removed']:,} removed, {now['changed']:,} changed against the version "
        "before). Nothing is lost: 'cyplan history' lists every version.")
