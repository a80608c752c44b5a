"""The `cyplan` command."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cyplan import reference
from cyplan.io.problems import InputError
from cyplan.io.write import write_csv, write_json, write_xlsx
from cyplan.model.plan import Plan, demand_table, need_table, run
from cyplan.schema import KINDS
from cyplan.store.workspace import DB_FILE, Workspace, WorkspaceError
from cyplan.transfer import Source, export_inputs, import_inputs, sources_in

app = typer.Typer(help="Needs-based planning for children and young people's services.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
SHOWN_PROBLEMS = 200
RESULT_DECIMALS = 6


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class By(StrEnum):
    level = "level"
    age_band = "age-band"
    sex = "sex"
    role = "role"


class Estimate(StrEnum):
    low = "low"
    central = "central"
    high = "high"


class Mode(StrEnum):
    replace = "replace"
    merge = "merge"


WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", envvar="CYPLAN_WORKSPACE",
                                            help="The workspace folder (default: this folder).")]
AreaOpt = Annotated[list[str] | None, typer.Option("--area", help="Area code; repeat for several (default: all).")]
YearOpt = Annotated[list[int] | None, typer.Option("--year", help="Year; repeat for several (default: all).")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, csv, json or xlsx.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of the screen.")]
EstimateOpt = Annotated[Estimate, typer.Option("--estimate", help="Use the low, central or high input values.")]


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(Text.assemble(("Error: ", "bold red"), message), highlight=False)
    raise typer.Exit(code)


def _report(e: InputError, problems_file: Path | None = None) -> NoReturn:
    n = len(e.problems)
    err.print(f"[bold red]{n} problem{'s' if n != 1 else ''} found; nothing was changed.[/]", highlight=False)
    for p in e.problems[:SHOWN_PROBLEMS]:
        err.print(f"  {p}", highlight=False, markup=False)
    if problems_file is not None:
        with _writing(problems_file):
            write_csv(pl.DataFrame([p.as_dict() for p in e.problems]), problems_file)
        err.print(f"All {n} problems are listed in {problems_file}.", highlight=False, markup=False)
    elif n > SHOWN_PROBLEMS:
        err.print(f"  … and {n - SHOWN_PROBLEMS} more: add --problems FILE to save them all.", highlight=False,
                  markup=False)
    raise typer.Exit(2)


@contextmanager
def _writing(path: Path | None) -> Iterator[None]:
    try:
        yield
    except OSError as e:
        _fail(f"cannot write {path}: {e.strerror or e}")


@contextmanager
def _workspace(path: Path) -> Iterator[Workspace]:
    try:
        ws = Workspace.open(path)
    except WorkspaceError as e:
        _fail(str(e))
    try:
        yield ws
    finally:
        ws.close()


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=err, transient=True, disable=not err.is_terminal)


def _import(ws: Workspace, sources: list[Source], mode: str, problems_file: Path | None = None,
            quiet: bool = False) -> None:
    with _progress() as bar:
        task = bar.add_task("importing", total=len(sources) + 2)
        try:
            log = import_inputs(ws, sources, mode, progress=lambda msg: bar.update(task, description=msg, advance=1))
        except InputError as e:
            bar.stop()
            _report(e, problems_file)
    if quiet:
        err.print(f"Imported {len(log)} inputs, {sum(r.rows for r in log):,} rows.", highlight=False, markup=False)
        return
    for r in log:
        where = f"{Path(r.file).name}" + (f" [{r.sheet}]" if r.sheet else "")
        err.print(f"Imported {r.rows:,} row{'s' if r.rows != 1 else ''} of {KINDS[r.kind].title.lower()} "
                  f"from {where}.", highlight=False, markup=False)


def _default_sources() -> list[Source]:
    return [Source(p.stem, p) for p in sorted(reference.DEFAULTS.glob("*.csv"))]


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Folder for the new workspace.")] = Path("."),
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: a SQLite file in the folder; "
                                           "or set CYPLAN_DATABASE_URL).")] = None,
) -> None:
    """Create a workspace, with the specification's age bands and vulnerable groups loaded."""
    try:
        ws = Workspace.create(path, db)
    except WorkspaceError as e:
        _fail(str(e))
    try:
        _import(ws, _default_sources(), "replace")
    finally:
        ws.close()
    err.print(f"Created a cyplan workspace in {path}. Next: import your areas, population, levels, prevalence, "
              "pathways and roles with 'cyplan import KIND FILE'.", highlight=False, markup=False)


@app.command()
def demo(
    path: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path("exampleshire"),
) -> None:
    """Build the demo workspace for Exampleshire and show its need and workforce demand."""
    if (path / DB_FILE).exists():
        with _workspace(path) as ws:
            is_demo = ws.info().get("demo") == "yes"
        if not is_demo:
            _fail(f"{path} holds a workspace that is not the demo; give the demo another folder")
        (path / DB_FILE).unlink()
    elif path.exists() and any(path.iterdir()):
        _fail(f"{path} already holds files; give the demo an empty or new folder")
    ws = Workspace.create(path, f"sqlite:///{(path / DB_FILE).resolve()}", info={"demo": "yes"})
    try:
        _import(ws, _default_sources() + [Source(p.stem, p) for p in sorted(reference.DEMO.glob("*.csv"))],
                "replace", quiet=True)
        with err.status("Running the model…"):
            plan = run(ws.read_all())
    finally:
        ws.close()
    area = reference.DEMO_AREA
    first, last = plan.dims.years[0], plan.dims.years[-1]
    name = plan.dims.labels["areas"][area]
    out.print(Text.assemble("\n", (f"{name} ({area})", "bold"), f" — demo workspace in {path}\n"), highlight=False)
    _show(need_table(plan, ["age-band", "level"], [area], [first]), plan, "Need by age band and level")
    _show(demand_table(plan, ["role"], [area], [first]), plan, "Workforce demand by role")
    later = demand_table(plan, [], [area], [last])
    out.print(f"By {last}: {need_table(plan, [], [area], [last])['cases'].sum():,.0f} cases need "
              f"{later['fte'].sum():,.1f} FTE costing £{later['cost'].sum():,.0f} a year.\n", highlight=False,
              markup=False)
    out.print(f"Try: cyplan need -w {path} --by level --year {first}\n"
              f"     cyplan demand -w {path} --by role --format csv", highlight=False, markup=False)


def _check_filters(plan: Plan, areas: Sequence[str] | None, years: Sequence[int] | None) -> None:
    unknown = [a for a in areas or [] if a not in plan.dims.areas]
    if unknown:
        _fail(f"unknown area {', '.join(unknown)}; the areas are {', '.join(plan.dims.areas) or 'none yet'}", 2)
    missing = [y for y in years or [] if y not in plan.dims.years]
    if missing:
        span = f"{plan.dims.years[0]} to {plan.dims.years[-1]}" if plan.dims.years else "none yet"
        _fail(f"no population for year {', '.join(map(str, missing))}; the years are {span}", 2)


def _plan(path: Path, estimate: Estimate) -> Plan:
    with _workspace(path) as ws, err.status("Running the model…"):
        frames = ws.read_all()
    empty = [k for k in ("areas", "population", "levels", "prevalence") if frames[k].is_empty()]
    if empty:
        _fail(f"the workspace has no {', '.join(empty)} yet: import them with 'cyplan import KIND FILE'")
    plan = run(frames, estimate.value)
    for w in plan.warnings:
        err.print(Text.assemble(("Warning: ", "yellow"), w), highlight=False)
    return plan


def _emit(frame: pl.DataFrame, plan: Plan, fmt: Format, out_file: Path | None, title: str) -> None:
    # results, not inputs: 6 decimal places is far finer than any of them is known, and spares
    # spreadsheet users floating-point noise such as 2884.0000000000005
    frame = frame.with_columns(pl.col(pl.Float64).round(RESULT_DECIMALS))
    if fmt is Format.table:
        _show(frame, plan, title)
        return
    with _writing(out_file):
        if fmt is Format.xlsx:
            if out_file is None:
                _fail("--format xlsx needs --out FILE.xlsx", 2)
            write_xlsx({title.split(",")[0][:31]: frame}, out_file)
        elif fmt is Format.csv:
            write_csv(frame, out_file or sys.stdout)
        else:
            write_json(frame, out_file or sys.stdout)
    if out_file is not None:
        err.print(f"Wrote {frame.height:,} rows to {out_file}.", highlight=False, markup=False)


@app.command()
def need(workspace: WorkspaceOpt = Path("."), area: AreaOpt = None, year: YearOpt = None,
         by: Annotated[list[By] | None, typer.Option("--by", help="level, age-band or sex; repeat to combine.")] = None,
         fmt: FormatOpt = Format.table, out_file: OutOpt = None, estimate: EstimateOpt = Estimate.central) -> None:
    """Cases of need by area and year: population × prevalence, plus vulnerable-group uplift."""
    breakdown = [b.value for b in by or []]
    if "role" in breakdown:
        _fail("need has no roles; use 'cyplan demand --by role' for the workforce by role", 2)
    plan = _plan(workspace, estimate)
    _check_filters(plan, area, year)
    frame = need_table(plan, breakdown, area, year)
    _emit(frame, plan, fmt, out_file, "Need" + (f", by {' and '.join(breakdown)}" if breakdown else ""))


@app.command()
def demand(workspace: WorkspaceOpt = Path("."), area: AreaOpt = None, year: YearOpt = None,
           by: Annotated[list[By] | None, typer.Option("--by", help="role, level, age-band or sex; repeat to "
                                                      "combine (default: role).")] = None,
           fmt: FormatOpt = Format.table, out_file: OutOpt = None, estimate: EstimateOpt = Estimate.central) -> None:
    """Workforce demand: direct hours, FTE and cost by area and year."""
    breakdown = [b.value for b in by] if by else ["role"]
    plan = _plan(workspace, estimate)
    _check_filters(plan, area, year)
    frame = demand_table(plan, breakdown, area, year)
    _emit(frame, plan, fmt, out_file, f"Workforce demand, by {' and '.join(breakdown)}")


def _kind(given: str) -> str:
    """An input's name, or 'all'."""
    kind = given.strip().lower()
    if kind != "all" and kind not in KINDS:
        _fail(f"'{given}' is not an input; the inputs are: {', '.join(KINDS)} (or 'all')", 2)
    return kind


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help="Which input: " + ", ".join(KINDS) + "; or 'all' for a folder or "
                                        "workbook holding several.")],
    file: Annotated[Path, typer.Argument(help="A .csv or .xlsx file (or, with 'all', a folder).")],
    workspace: WorkspaceOpt = Path("."),
    sheet: Annotated[str | None, typer.Option("--sheet", help="Sheet to read from a workbook.")] = None,
    mode: Annotated[Mode, typer.Option("--mode", help="replace the whole input, or merge rows by key.")] = Mode.replace,
    problems: Annotated[Path | None, typer.Option("--problems", help="Save every problem found to this CSV.")] = None,
) -> None:
    """Import an input from CSV or Excel. Nothing is changed unless the whole file is valid."""
    kind = _kind(kind)
    with _workspace(workspace) as ws:
        try:
            sources = sources_in(file) if kind == "all" else [Source(kind, file, sheet)]
        except InputError as e:
            _report(e, problems)
        _import(ws, sources, mode.value, problems)


@app.command("export")
def export_(
    kind: Annotated[str, typer.Argument(help="Which input, or 'all'.")],
    file: Annotated[Path, typer.Argument(help="A .csv or .xlsx file; with 'all', a folder or .xlsx workbook.")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Export an input (or all of them) to CSV or Excel, in the shape 'cyplan import' reads back."""
    kind = _kind(kind)
    with _workspace(workspace) as ws:
        try:
            with _writing(file), err.status(f"Writing {file}…"):
                written = export_inputs(ws, list(KINDS) if kind == "all" else [kind], file)
        except InputError as e:
            _report(e)
    err.print(f"Wrote {', '.join(str(p) for p in written)}.", highlight=False, markup=False)


@app.command()
def status(workspace: WorkspaceOpt = Path(".")) -> None:
    """What the workspace holds: rows of each input and the imports that put them there."""
    with _workspace(workspace) as ws:
        counts = {k: ws.read(k).height for k in KINDS}
        log = ws.imports()
    table = Table(title=f"Workspace {workspace}")
    for c in ("input", "rows", "last imported from", "when"):
        table.add_column(c, justify="right" if c == "rows" else "left")
    for kind, n in counts.items():
        last = log.filter(pl.col("kind") == kind).tail(1)
        src, when = (last["file"][0], last["imported_at"][0]) if last.height else ("—", "—")
        table.add_row(kind, f"{n:,}", Text(src), when)
    out.print(table)


# -- showing tables -----------------------------------------------------------------------------

NUMBER_FORMATS = {"population": "{:,.0f}", "cases": "{:,.0f}", "group_uplift": "{:,.0f}", "per_1000": "{:,.1f}",
                  "hours": "{:,.0f}", "fte": "{:,.1f}", "cost": "£{:,.0f}"}
HEADINGS = {"area": "Area", "year": "Year", "age_band": "Age band", "level": "Level", "sex": "Sex", "role": "Role",
            "population": "Population", "cases": "Cases", "group_uplift": "of which group uplift",
            "per_1000": "per 1,000", "hours": "Direct hours", "fte": "FTE", "cost": "Cost a year"}
LABELS = {"level": "levels", "role": "roles", "age_band": "age_bands"}


def _show(frame: pl.DataFrame, plan: Plan, title: str) -> None:
    single = frame.height > 0 and frame.select("area", "year").unique().height == 1
    if single:  # one area and year: say them once, in the title
        area, year = frame["area"][0], frame["year"][0]
        title = f"{title} — {plan.dims.labels['areas'].get(area, area)}, {year}"
        frame = frame.drop("area", "year")
    table = Table(title=title, title_justify="left")
    numeric = [c for c in frame.columns if c in NUMBER_FORMATS]
    for c in frame.columns:
        table.add_column(HEADINGS.get(c, c), justify="right" if c in numeric else "left")
    for row in frame.iter_rows(named=True):
        table.add_row(*(Text(_cell(plan, c, v)) for c, v in row.items()))
    if single and frame.height > 1:
        table.add_section()
        table.add_row(*_totals(frame, numeric), style="bold")
    out.print(table)


def _totals(frame: pl.DataFrame, numeric: list[str]) -> list[str]:
    totals = {c: frame[c].sum() for c in numeric if c not in ("population", "per_1000")}
    if "population" in frame.columns:  # the same people stand on each level's row: count them once
        keys = [c for c in frame.columns if c not in numeric and c != "level"]
        totals["population"] = frame.unique(subset=keys or None, keep="first")["population"].sum() \
            if keys else frame["population"][0]
        totals["per_1000"] = totals["cases"] / totals["population"] * 1000
    cells = ["Total" if i == 0 else "" for i, c in enumerate(frame.columns) if c not in numeric]
    return cells + [NUMBER_FORMATS[c].format(totals[c]) for c in numeric]


def _cell(plan: Plan, column: str, value: object) -> str:
    if value is None:
        return "—"
    if column in NUMBER_FORMATS:
        return NUMBER_FORMATS[column].format(value)
    if column in LABELS:
        return plan.dims.labels[LABELS[column]].get(str(value), str(value))
    return str(value)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

