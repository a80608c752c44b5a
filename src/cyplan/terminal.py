"""What every `cyplan` command shares: the consoles, common options, how errors are reported, and
showing or writing a results table (table, CSV, JSON or Excel)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cyplan import machine
from cyplan.display import HEADINGS, NUMBER_FORMATS
from cyplan.io.problems import Grouping, InputError, ProblemGroup
from cyplan.io.write import write_csv, write_csv_parts, write_json, write_xlsx
from cyplan.returns.store import FOLDER as RECORDS_FOLDER
from cyplan.store.folder import DB_FILE, ServerUnreachable, WorkspaceDamaged, WorkspaceError, read_at_rest

if TYPE_CHECKING:  # imported where a workspace is opened: SQLAlchemy is not loaded by a command that reads at rest
    from cyplan.store.workspace import Workspace

PIPE_WIDTH = 1000  # results sent to a file, a pipe or a CI log: each table as wide as its cells, nothing folded


def _width(stream: object) -> int | None:
    """None (Rich then takes the terminal's width, or COLUMNS when set) for a terminal; else PIPE_WIDTH,
    not Rich's 80, at which a table of six columns folds role names into pieces (a table is only as wide as
    its cells need: Rich does not stretch it to the width)."""
    is_terminal = getattr(stream, "isatty", lambda: False)()
    return None if is_terminal or os.environ.get("COLUMNS") else PIPE_WIDTH


out = Console(soft_wrap=True, width=_width(sys.stdout))
err = Console(stderr=True, soft_wrap=True, width=_width(sys.stderr))  # never hard-wrap: messages are grepped
SHOWN_GROUPS = 50  # kinds of problem on screen; a file with more has problems of every sort: the rest are counted
RESULT_DECIMALS = 6  # far finer than any result is known; spares users float noise like 2884.0000000000005


# C0 and C1 control characters but tab and newline: an escape sequence from a stored value or a file name could
# retitle, recolour or clear the user's terminal; and the bidirectional overrides, which make a file name or a
# message read backwards
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text as the screen may show it: control characters written out (ESC as \\x1b, RLO as \\u202e), never
    sent raw."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                       text)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", envvar="CYPLAN_WORKSPACE",
                                            help="The workspace folder (default: this folder).")]
AreaOpt = Annotated[list[str] | None, typer.Option("--area", help="Area code; repeat for several (default: all).")]
YearOpt = Annotated[list[int] | None, typer.Option("--year", help="Year; repeat for several (default: all).")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, csv, json or xlsx.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of the screen.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Say what is wrong and stop: code 2 for bad input or options, 3 for a fault of the machine or of the
    workspace's own files (machine.EXIT_CODE), 1 for anything else."""
    err.print(Text.assemble(("Error: ", "bold red"), printable(message)), highlight=False)
    raise typer.Exit(code)


def warn(message: str) -> None:
    err.print(Text.assemble(("Warning: ", "yellow"), printable(message)), highlight=False)


def say(message: str) -> None:
    """A plain message on stderr (results go to stdout)."""
    err.print(printable(message), highlight=False, markup=False)


def report(e: InputError, problems_file: Path | None = None, reading: Iterable[Path] = ()) -> NoReturn:
    """Say the problems in groups of one kind in one column, each counted with its first rows, say nothing was
    changed, and exit with code 2; --problems saves every problem, one a line, written as they are made (never
    over a file being read: `reading`)."""
    n = len(e)
    if problems_file is not None:
        _not_over_what_matters(problems_file, reading)
    err.print(Text(f"{n:,} problem{'s' if n != 1 else ''} found; nothing was changed.", style="bold red"))
    grouping = Grouping()
    if problems_file is not None:
        with writing(problems_file, reading):
            write_csv_parts(_folded(e.frames(), grouping), problems_file)
    else:
        for frame in e.frames():
            grouping.add(frame)
    groups = grouping.groups()
    show_groups(groups)
    if problems_file is not None:
        say(f"All {n:,} problems are listed in {problems_file}.")
    elif len(groups) < n:
        say("  Add --problems FILE to save every problem, one a line (file, sheet, row, column and message).")
    raise typer.Exit(2)


def show_groups(groups: list[ProblemGroup], indent: str = "  ") -> None:
    """Each group's headline and its first rows; past SHOWN_GROUPS, the rest counted."""
    for g in groups[:SHOWN_GROUPS]:
        say(f"{indent}{g.headline()}")
        if examples := g.examples():
            say(f"{indent}  {examples}")
    if len(groups) > SHOWN_GROUPS:
        rest = groups[SHOWN_GROUPS:]
        say(f"{indent}… and {sum(g.count for g in rest):,} more problems of {len(rest):,} other kinds.")


def _folded(frames: Iterator[pl.DataFrame], grouping: Grouping) -> Iterator[pl.DataFrame]:
    """The frames as they come, each folded into `grouping` on its way: one pass both saves and counts them."""
    for frame in frames:
        grouping.add(frame)
        yield frame


@contextmanager
def writing(path: Path | None, reading: Iterable[Path] = ()) -> Iterator[None]:
    """Turn a file that cannot be written into a message, not a traceback: exit code 3 if the machine is at
    fault (a full disk, a read-only folder), else 1 (a folder that does not exist). An output is never written
    over a file the command reads, a database (a workspace's cyplan.db) or a workspace's referral records: exit
    code 2, nothing written."""
    if path is not None:
        _not_over_what_matters(path, reading)
    try:
        yield
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror or e}", machine.EXIT_CODE if machine.of_the_machine(e) else 1)


SQLITE_HEADER = b"SQLite format 3\x00"


def _not_over_what_matters(path: Path, reading: Iterable[Path]) -> None:
    target = path.resolve()
    if any(target == r.resolve() for r in reading):
        fail(f"will not write {path}: it is the file this command reads, and writing it would lose it; "
             "choose another file name", 2)
    if target.parent.name == RECORDS_FOLDER and (target.parent.parent / DB_FILE).exists():
        fail(f"will not write {path}: it is in a workspace's referral records; choose another folder", 2)
    try:
        with target.open("rb") as f:
            database = f.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:  # not there yet (or not readable): nothing of the user's to lose
        database = False
    if database:
        fail(f"will not write over {path}: it is a database (a cyplan workspace's {DB_FILE}?), and writing it "
             "would destroy it; choose another file name", 2)


@contextmanager
def machine_faults(workspace: Path) -> Iterator[None]:
    """Turn a fault of the machine or of the workspace's own files (a full disk, a read-only folder, a
    damaged database, a missing records file) met in the block into a plain message and exit code 3."""
    try:
        yield
    except Exception as e:
        message = machine.describe(e, workspace)
        if message is None:
            raise
        fail(message, machine.EXIT_CODE)


def fail_workspace(e: WorkspaceError) -> NoReturn:
    """A workspace that cannot be made or opened: code 3 when the machine is at fault (damaged files, a
    database server that does not answer), else 1."""
    fail(str(e), machine.EXIT_CODE if isinstance(e, WorkspaceDamaged | ServerUnreachable) else 1)


@contextmanager
def open_workspace(path: Path) -> Iterator[Workspace]:
    """The workspace, open for the block; its faults of the machine are reported (machine_faults)."""
    from cyplan.store.workspace import Workspace

    with machine_faults(path):
        try:
            ws = Workspace.open(path)
        except WorkspaceError as e:
            fail_workspace(e)
        try:
            yield ws
        finally:
            ws.close()


def read_inputs(path: Path) -> dict[str, pl.DataFrame]:
    """Every input of the workspace, as open_workspace(path)'s read_all() gives them: read without opening it (and
    without loading SQLAlchemy, a quarter of `cyplan need`'s time) when opening would change and say nothing
    (store/folder.py), else from the workspace opened as ever, which migrates it, settles a referral-return import
    cut short or says what is wrong."""
    with machine_faults(path):
        frames = read_at_rest(path)
    if frames is not None:
        return frames
    with open_workspace(path) as ws:
        return ws.read_all()


def progress() -> Progress:
    """A progress bar on stderr, shown only in a terminal."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=err, transient=True, disable=not err.is_terminal)


# -- results tables ----------------------------------------------------------------------------------

Labels = Mapping[str, Mapping[str, str]]  # column → code → label shown on screen


def emit(frame: pl.DataFrame, fmt: Format, out_file: Path | None, title: str, labels: Labels | None = None,
         formats: Mapping[str, str] | None = None, headings: Mapping[str, str] | None = None,
         totals: bool = True) -> None:
    """Show a results table on screen, or write it as CSV, JSON or Excel (to --out or stdout).

    On screen, codes in `labels` columns are shown as labels, numbers with `formats`, and a table for a
    single area and year names them in its title and ends in a total row. Files keep codes and full
    precision (to RESULT_DECIMALS).
    """
    frame = frame.with_columns(pl.col(pl.Float64).round(RESULT_DECIMALS))
    fmt = format_of(fmt, out_file)
    if fmt is Format.table:
        show(frame, title, labels or {}, {**NUMBER_FORMATS, **(formats or {})}, {**HEADINGS, **(headings or {})},
             totals)
        return
    with writing(out_file):
        if fmt is Format.xlsx:
            if out_file is None:
                fail("--format xlsx needs --out FILE.xlsx", 2)
            write_xlsx({title.split(",")[0][:31]: frame}, out_file)
        elif fmt is Format.csv:
            write_csv(frame, out_file or sys.stdout)
        else:
            write_json(frame, out_file or sys.stdout)
    if out_file is not None:
        say(f"Wrote {frame.height:,} {'row' if frame.height == 1 else 'rows'} to {out_file}.")


def format_of(fmt: Format, out_file: Path | None) -> Format:
    """The format to write: --out without --format asks for a file, not the screen (its name's ending chooses:
    .json, .xlsx, else CSV), so that `--out comparison.csv` never prints a table and writes nothing."""
    if fmt is not Format.table or out_file is None:
        return fmt
    return {".json": Format.json, ".xlsx": Format.xlsx}.get(out_file.suffix.lower(), Format.csv)


def show(frame: pl.DataFrame, title: str, labels: Labels, formats: Mapping[str, str],
         headings: Mapping[str, str], totals: bool = True) -> None:
    single = frame.height > 0 and {"area", "year"} <= set(frame.columns) \
        and frame.select("area", "year").unique().height == 1
    if single:  # one area and year: say them once, in the title
        area, year = frame["area"][0], frame["year"][0]
        title = f"{title} — {labels.get('area', {}).get(area, area)}, {year}"
        frame = frame.drop("area", "year")
    table = Table(title=Text(printable(title)), title_justify="left")
    numeric = [c for c in frame.columns if c in formats or frame.schema[c].is_numeric()]
    for c in frame.columns:
        # fold, never truncate: a figure cut short on screen would be a wrong figure
        heading = printable(headings.get(c, c))
        table.add_column(heading, justify="right" if c in numeric else "left", overflow="fold")
    for row in frame.iter_rows(named=True):
        table.add_row(*(Text(printable(_cell(c, v, labels, formats))) for c, v in row.items()))
    if totals and single and frame.height > 1:
        table.add_section()
        table.add_row(*_totals(frame, numeric, formats), style="bold")
    out.print(table)


def _totals(frame: pl.DataFrame, numeric: list[str], formats: Mapping[str, str]) -> list[str]:
    sums = {c: frame[c].sum() for c in numeric if c not in ("population", "per_1000")}
    if "population" in frame.columns:  # the same people stand on each level's row: count them once
        keys = [c for c in frame.columns if c not in numeric and c != "level"]
        sums["population"] = frame.unique(subset=keys, keep="first")["population"].sum() \
            if keys else frame["population"][0]
        if "per_1000" in frame.columns:
            sums["per_1000"] = sums["cases"] / sums["population"] * 1000
    cells = ["Total" if i == 0 else "" for i, c in enumerate(frame.columns) if c not in numeric]
    return cells + [formats[c].format(sums[c]) if c in sums and sums[c] is not None else "" for c in numeric]


def _cell(column: str, value: object, labels: Labels, formats: Mapping[str, str]) -> str:
    if value is None:
        return "—"
    if column in formats and not isinstance(value, str):  # text is already formatted, e.g. with its interval
        return formats[column].format(value)
    if column in labels:
        return labels[column].get(str(value), str(value))
    return str(value)
