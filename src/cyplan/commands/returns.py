"""`cyplan returns …`: import referral records, check their quality, write the quarterly tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from cyplan.commands.audit import record
from cyplan.display import EQUALITY_FORMATS, EQUALITY_HEADINGS, SHOWN_QUERIES
from cyplan.io.problems import InputError
from cyplan.io.write import write_csv, write_json, write_xlsx
from cyplan.model.disclosure import RULES
from cyplan.returns import service
from cyplan.returns.equality import BY_VALUES
from cyplan.terminal import Format, FormatOpt, OutOpt, WorkspaceOpt, emit, fail, open_workspace, report, say, writing

returns_app = typer.Typer(no_args_is_help=True)

TodayOpt = Annotated[str | None, typer.Option("--today", help="Date that 'in the future' is judged against "
                                                           "(YYYY-MM-DD; default: today).")]


def _today(given: str | None) -> dt.date:
    if given is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(given)
    except ValueError:
        fail(f"--today '{given}' is not a date written as YYYY-MM-DD", 2)


@returns_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Referral records: a .csv or .xlsx file, one row per referral.")],
    workspace: WorkspaceOpt = Path("."),
    sheet: Annotated[str | None, typer.Option("--sheet", help="Sheet to read from a workbook.")] = None,
    problems: Annotated[Path | None, typer.Option("--problems", help="Save every error to this CSV.")] = None,
    queries: Annotated[Path | None, typer.Option("--queries", help="Save every query to this CSV.")] = None,
    today: TodayOpt = None,
) -> None:
    """Import referral records, replacing any stored records of the same services and quarters.
    Errors block the import; queries are reported and the records kept."""
    when = _today(today)
    with open_workspace(workspace) as ws:
        try:
            result = service.import_returns(ws, file, sheet, when)
        except InputError as e:
            report(e, problems)
    say(f"Imported {result.records:,} referrals ({result.accepted:,} accepted) from {file}"
        + (f", replacing {result.replaced:,} stored referrals of the same services and quarters." if result.replaced
           else "."))
    _say_queries(result.queries, queries)


def _say_queries(found, out: Path | None) -> None:
    n = found.height
    if not n:
        say("No queries.")
        return
    say(f"{n:,} quer{'ies' if n != 1 else 'y'} to look at (the records are kept):")
    for r in found.head(SHOWN_QUERIES).iter_rows(named=True):
        where = [r["file"], *([f"sheet '{r['sheet']}'"] if r["sheet"] else []), f"row {r['row']}",
                 f"column '{r['column']}'"]
        say(f"  {', '.join(where)}: {r['message']}")
    if out is not None:
        with writing(out):
            write_csv(found, out)
        say(f"All {n:,} queries are listed in {out}.")
    elif n > SHOWN_QUERIES:
        say(f"  … and {n - SHOWN_QUERIES:,} more: 'cyplan returns quality --queries FILE' saves them all.")


@returns_app.command()
def quality(
    workspace: WorkspaceOpt = Path("."), fmt: FormatOpt = Format.table, out_file: OutOpt = None,
    queries: Annotated[Path | None, typer.Option("--queries", help="Save every query to this CSV.")] = None,
    today: TodayOpt = None,
) -> None:
    """The quality report of the stored records: blanks and invalid values per field, and every query."""
    with open_workspace(workspace) as ws:
        try:
            found, counts = service.quality_report(ws, _today(today))
        except service.NoReturns as e:
            fail(str(e))
    emit(counts, fmt, out_file, "Blank and invalid values by field", totals=False)
    _say_queries(found, queries)


@returns_app.command()
def tables(
    workspace: WorkspaceOpt = Path("."),
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the tables into.")] = Path("returns-tables"),
    fmt: Annotated[Format, typer.Option("--format", "-f", help="csv (one file per table), xlsx (one workbook, a "
                                        "sheet per table) or json (one file per table).")] = Format.csv,
    publish: Annotated[bool, typer.Option("--publish", help="Apply disclosure control: safe to publish.")] = False,
    rule: Annotated[str, typer.Option("--rule", help="Disclosure rule with --publish: " + ", ".join(RULES) + ".")]
    = "nhs-digital",
) -> None:
    """Write the quarterly tables of accepted referrals (and summary.csv of all received)."""
    if rule not in RULES:
        fail(f"unknown rule '{rule}'; the rules are {', '.join(RULES)}", 2)
    if fmt is Format.table:
        fail("--format must be csv, xlsx or json", 2)
    with open_workspace(workspace) as ws:
        try:
            made = service.tables(ws)
        except service.NoReturns as e:
            fail(str(e))
    if publish:
        made = service.publishable(made, RULES[rule])
    with writing(out):
        out.mkdir(parents=True, exist_ok=True)
        if fmt is Format.xlsx:
            write_xlsx(made, out / "returns_tables.xlsx")
        else:
            for name, table in made.items():
                (write_csv if fmt is Format.csv else write_json)(table, out / f"{name}.{fmt.value}")
    if not publish:  # counts before disclosure control leave the workspace: audited
        record(workspace, "export", {"returns_tables": list(made), "published": False, "format": fmt.value,
                                     "folder": str(out)})
    say(f"Wrote {len(made)} tables{' for publication' if publish else ''} to {out}.")


@returns_app.command()
def equality(
    by: Annotated[str, typer.Option("--by", help="gender, age, or any coded field with a population by category "
                                    "(population_groups): " + ", ".join(BY_VALUES[2:]) + ".")] = "gender",
    workspace: WorkspaceOpt = Path("."),
    area: Annotated[str | None, typer.Option("--area", help="Area code of the population (default: the first).")]
    = None,
    year: Annotated[int | None, typer.Option("--year", help="Population year (default: the area's first).")] = None,
    fmt: FormatOpt = Format.table, out_file: OutOpt = None,
) -> None:
    """Referral rates per 10,000 by a category (gender, age group, ethnicity, religion, …), and rate ratios
    against the area, with 95% intervals. Categories that cannot be rated are listed with the reason."""
    by = by.strip().lower()
    if by not in BY_VALUES:
        fail(f"--by must be one of: {', '.join(BY_VALUES)}", 2)
    with open_workspace(workspace) as ws:
        try:
            frame = service.equality(ws, by, area, year)
        except service.NoReturns as e:
            fail(str(e))
        names = dict(ws.read("areas").select("code", "name").iter_rows())
    emit(frame, fmt, out_file, f"Accepted referrals per 10,000, by {by.replace('_', ' ')}", {"area": names},
         totals=False, formats=EQUALITY_FORMATS,
         headings=EQUALITY_HEADINGS | {"category": by.replace("_", " ").capitalize()})


