"""`cyplan returns …`: import referral records, check their quality, write the quarterly tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan.commands.audit import files, record
from cyplan.display import EQUALITY_FORMATS, EQUALITY_HEADINGS
from cyplan.io.problems import PROBLEM_SCHEMA, InputError, group_problems
from cyplan.io.write import write_csv, write_json, write_xlsx
from cyplan.model.disclosure import RULES
from cyplan.returns import codelist_edit, service
from cyplan.returns.equality import BY_VALUES, period_of
from cyplan.returns.quality import mapping_template
from cyplan.terminal import (
    Format,
    FormatOpt,
    OutOpt,
    WorkspaceOpt,
    emit,
    fail,
    open_workspace,
    report,
    say,
    show_groups,
    warn,
    writing,
)

returns_app = typer.Typer(no_args_is_help=True)
QUERY_PART = 50_000  # queries grouped at a time

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
    mapping: Annotated[Path | None, typer.Option("--mapping", help="A filled-in mapping template (from 'cyplan "
                                                 "returns quality --mapping-template'): each value found is read "
                                                 "as the category in its map_to.")] = None,
    today: TodayOpt = None,
) -> None:
    """Import referral records, replacing any stored records of the same services and quarters.
    Errors block the import; queries are reported and the records kept."""
    when = _today(today)
    with open_workspace(workspace) as ws:
        try:
            result = service.import_returns(ws, file, sheet, when, mapping=mapping)
        except InputError as e:
            report(e, problems, [file, *([mapping] if mapping else [])])
    for note in result.notes:
        warn(f"{file.name}: {note}")
    say(f"Imported {result.records:,} referrals ({result.accepted:,} accepted) from {file}"
        + (f", replacing {result.replaced:,} stored referrals of the same services and quarters." if result.replaced
           else "."))
    _say_queries(result.queries, queries)
    if result.invalid.height:
        n = result.invalid.height
        say(f"{n:,} distinct value{'s are' if n != 1 else ' is'} not on {'their' if n != 1 else 'its'} code list: "
            "'cyplan returns quality --mapping-template FILE' lists them to map to categories.")


def _say_queries(found: pl.DataFrame, out: Path | None) -> None:
    """The queries in groups of one kind in one column, as import errors are shown; --queries saves every one."""
    n = found.height
    if not n:
        say("No queries.")
        return
    say(f"{n:,} quer{'ies' if n != 1 else 'y'} to look at (the records are kept):")
    groups = group_problems(found.select(list(PROBLEM_SCHEMA)).cast(PROBLEM_SCHEMA).iter_slices(QUERY_PART))
    show_groups(groups)
    if out is not None:
        with writing(out):
            write_csv(found, out)
        say(f"All {n:,} queries are listed in {out}.")
    elif len(groups) < n:
        say("  'cyplan returns quality --queries FILE' saves every query, one a line.")


@returns_app.command()
def quality(
    workspace: WorkspaceOpt = Path("."), fmt: FormatOpt = Format.table, out_file: OutOpt = None,
    queries: Annotated[Path | None, typer.Option("--queries", help="Save every query to this CSV.")] = None,
    template: Annotated[Path | None, typer.Option("--mapping-template", help="Save each value not on its code "
                                                  "list, with its count, as a CSV to fill in (map_to) and give to "
                                                  "the next import with --mapping.")] = None,
    today: TodayOpt = None,
) -> None:
    """The quality report of the stored records: blanks and invalid values per field, each value not on its
    field's code list with its count, and every query."""
    with open_workspace(workspace) as ws:
        try:
            found, counts, invalid = service.full_quality_report(ws, _today(today))
        except service.NoReturns as e:
            fail(str(e))
    emit(counts, fmt, out_file, "Blank and invalid values by field", totals=False)
    if fmt is Format.table and invalid.height:
        emit(invalid, fmt, None, "Values not on their field's code list", totals=False,
             formats={"count": "{:,}"}, headings={"field": "Field", "value_found": "Value found", "count": "Records"})
    if template is not None:
        with writing(template):
            write_csv(mapping_template(invalid), template)
        say(f"Wrote {invalid.height:,} value{'s' if invalid.height != 1 else ''} not on the code lists to {template}: "
            "fill in map_to with the category each means, then import again with --mapping.")
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
    advice = None
    if publish:
        made = service.publishable(made, RULES[rule])
        advice = service.combine_quarters_advice(made, RULES[rule])
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
    if advice:
        say(advice)


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
    """Referral rates per 10,000 a year by a category (gender, age group, ethnicity, religion, …), and rate
    ratios against the area, with 95% intervals. The referrals are counted over the quarters the records span
    and annualised (× 12 ÷ months). Categories that cannot be rated are listed with the reason."""
    by = by.strip().lower()
    if by not in BY_VALUES:
        fail(f"--by must be one of: {', '.join(BY_VALUES)}", 2)
    with open_workspace(workspace) as ws:
        try:
            frame = service.equality(ws, by, area, year)
        except service.NoReturns as e:
            fail(str(e))
        names = dict(ws.read("areas").select("code", "name").iter_rows())
        when = period_of(ws).words()
    leaving = fmt is not Format.table  # a file (or CSV/JSON on stdout): unrounded counts leave the workspace
    if leaving:  # marked in a column of its own, so the counts' columns keep their names
        frame = frame.with_columns(pl.lit(False).alias("for_publication"))
    emit(frame, fmt, out_file, f"Accepted referrals per 10,000 a year ({when}), by {by.replace('_', ' ')}",
         {"area": names},
         totals=False, formats=EQUALITY_FORMATS,
         headings=EQUALITY_HEADINGS | {"category": by.replace("_", " ").capitalize()})
    if leaving:  # counts before disclosure control leave the workspace, as `returns tables` without --publish
        record(workspace, "export", {"returns_equality": by, "area": area, "year": year, "published": False,
                                     "format": fmt.value, "files": files([out_file]) if out_file else "stdout"})
        say("The referral counts are as recorded, not rounded or suppressed: not for publication "
            "(its for_publication column says so). This export is in the audit trail.")




@returns_app.command()
def codelist(
    field: Annotated[str | None, typer.Argument(help="A coded field (default: every one): "
                                                + ", ".join(codelist_edit.FIELDS) + ".")] = None,
    workspace: WorkspaceOpt = Path("."),
    import_file: Annotated[Path | None, typer.Option("--import", help="Make this file (columns code, and label and "
                                                     "aliases if wanted) the field's own list.")] = None,
    add: Annotated[tuple[str, str] | None, typer.Option("--add", metavar="CODE LABEL",
                                                        help="Add a category to the field's list.")] = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", help="Keep a filled-in mapping template: its values "
                                                 "are read as their map_to on every import.")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Drop the field's own list: back to the register's "
                                        "services (service) or the default.")] = False,
    fmt: FormatOpt = Format.table, out_file: OutOpt = None,
) -> None:
    """Show the code lists the referral returns are checked against (code, label, also accepted, and whether
    the list is the area's own, its register's services or the default), or edit the workspace's own."""
    if field is not None:
        field = field.strip().lower()
        if field not in codelist_edit.FIELDS:
            fail(f"'{field}' is not a field with a code list; they are: {', '.join(codelist_edit.FIELDS)}", 2)
    edits = sum(x is not None for x in (import_file, add, mapping)) + reset
    if edits > 1:
        fail("give one of --import, --add, --mapping or --reset at a time", 2)
    if (import_file or add or reset) and field is None:
        fail("name the field whose list to change, e.g. 'cyplan returns codelist ethnicity --import FILE'", 2)
    with open_workspace(workspace) as ws:
        try:
            if import_file is not None:
                say(codelist_edit.import_list(ws, field, import_file))
            elif add is not None:
                say(codelist_edit.add(ws, field, *add))
            elif reset:
                say(codelist_edit.reset(ws, field))
            elif mapping is not None:
                say(codelist_edit.keep_mapping(ws, mapping))
        except InputError as e:
            report(e)
        shown = codelist_edit.shown(ws, field)
        for fault in codelist_edit.faults(ws, field):
            warn(fault)
    if edits and fmt is Format.table and out_file is None:
        return
    emit(shown, fmt, out_file, f"Code list{'' if field else 's'} of {field or 'the referral returns'}", totals=False,
         headings={"field": "Field", "code": "Code", "label": "Label", "also_accepted": "Also accepted",
                   "mapped": "Mapped",
                   "source": "Source"})
