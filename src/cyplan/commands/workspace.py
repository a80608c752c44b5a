"""`cyplan init`, `cyplan demo`, `cyplan import`, `cyplan export` and `cyplan status`: making a workspace and
putting inputs in and out of it."""

from __future__ import annotations

import shutil
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table
from rich.text import Text

from cyplan import reference, results
from cyplan.commands import evidence, workforce
from cyplan.commands.audit import broken_warning, files, note
from cyplan.commands.ons import NoMergeOpt
from cyplan.commands.plan import emit_plan
from cyplan.display import CENTRAL_PLAN
from cyplan.io.problems import InputError
from cyplan.io.read import MAX_HEADER_ROW
from cyplan.io.template import write_template
from cyplan.io.write import write_csv
from cyplan.model.plan import demand_table, need_table, run
from cyplan.reference import national as national_demo
from cyplan.reference import starter
from cyplan.returns import store as returns_store
from cyplan.returns.service import import_returns
from cyplan.schema import KINDS
from cyplan.store.workspace import DB_FILE, Workspace, WorkspaceError
from cyplan.terminal import (
    Format,
    WorkspaceOpt,
    err,
    fail,
    fail_workspace,
    machine_faults,
    open_workspace,
    out,
    progress,
    report,
    say,
    warn,
    writing,
)
from cyplan.transfer import Source, export_inputs, import_inputs, sources_in

DemoModel = StrEnum("DemoModel", {name: name for name in reference.DEMO_MODELS})
StarterName = StrEnum("StarterName", {name: name for name in starter.STARTERS})
LOCAL_INPUTS = "areas, population, workforce census, service register and referral returns"
DEFAULT_MODEL = DemoModel("mental-health")


class Mode(StrEnum):
    replace = "replace"
    merge = "merge"


def _import(ws: Workspace, sources: list[Source], mode: str, problems_file: Path | None = None,
            quiet: bool = False) -> None:
    warnings: list[str] = []  # how the files were read: said whether or not the import is refused
    broken_warning(ws)  # before this import's own entry, which would be intact, becomes the latest
    with progress() as bar:
        task = bar.add_task("importing", total=len(sources) + 2)
        try:
            log = import_inputs(ws, sources, mode, progress=lambda msg: bar.update(task, description=msg, advance=1),
                                warnings=warnings)
        except InputError as e:
            bar.stop()
            for w in warnings:
                warn(w)
            report(e, problems_file, [s.path for s in sources])
    for w in warnings:
        warn(w)
    if quiet:
        say(f"Imported {len(log)} inputs, {sum(r.rows for r in log):,} rows.")
        return
    for r in log:
        where = f"{Path(r.file).name}" + (f" [{r.sheet}]" if r.sheet else "")
        say(f"Imported {r.rows:,} row{'s' if r.rows != 1 else ''} of {KINDS[r.kind].title.lower()} from {where}.")


def _default_sources() -> list[Source]:
    # logged under a name a user can read, not the folder cyplan is installed in
    return [Source(p.stem, p, shown=f"cyplan defaults: {p.name}") for p in sorted(reference.DEFAULTS.glob("*.csv"))]


def _starter_sources(name: str) -> list[Source]:
    return [Source(p.stem, p, shown=f"cyplan init --starter {name}: {p.name}") for p in starter.inputs(name)]


def _copy_to_complete(path: Path, name: str) -> list[Path]:
    """Copy the starter's inputs that need the user's figures into the workspace folder, never over a file."""
    written = []
    for src in starter.to_complete(name):
        target = path / f"{src.stem}-to-complete.csv"
        if not target.exists():
            shutil.copyfile(src, target)
            written.append(target)
    return written


def init(
    path: Annotated[Path, typer.Argument(help="Folder for the new workspace.")] = Path("."),
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: a SQLite file in the folder; "
                                           "or set CYPLAN_DATABASE_URL).")] = None,
    starter_name: Annotated[StarterName | None, typer.Option(
        "--starter", help="Start from published national values (england): prevalence from NHS England's 2023 "
        "survey, relative risks, Segal et al.'s pathway hours, Agenda for Change pay; each row cites its source "
        "and is marked as a national value to replace with local data.")] = None,
) -> None:
    """Create a workspace, with the specification's age bands and vulnerable groups loaded (and, with --starter,
    published national starting values, each cited and marked to be replaced with local data)."""
    name = starter_name.value if starter_name else None
    with machine_faults(path):
        try:
            ws = Workspace.create(path, db, info={"starter": name} if name else None)
        except WorkspaceError as e:
            fail_workspace(e)
        try:
            _import(ws, _default_sources() + (_starter_sources(name) + evidence.starter_sources(
                f"cyplan init --starter {name}") if name else []), "replace", quiet=bool(name))
            if name:
                evidence.store_starter_briefs(ws, f"cyplan init --starter {name}")
            gaps = results.sanity_warnings(ws.read_all()) if name else []
        finally:
            ws.close()
        written = _copy_to_complete(path, name) if name else []
    if not name:
        say(f"Created a cyplan workspace in {path}. Next: import your areas, population, levels, prevalence, "
            "pathways and roles with 'cyplan import KIND FILE'.")
        return
    say(f"Created a cyplan workspace in {path} with national starting values for {name.title()}: every row cites "
        f"its source and is marked '{starter.NOTE}'.")
    for target in written:
        say(f"Wrote {target}: fill in its blanks, then 'cyplan import {target.stem.removesuffix('-to-complete')} "
            f"{target}'.")
    for gap in gaps:
        warn(gap)
    say(f"Local, always: import your {LOCAL_INPUTS} with 'cyplan import KIND FILE'; 'cyplan status' shows what "
        "is still missing.")


def _clear_demo(path: Path) -> None:
    """Ready `path` for a demo: new or empty, or an earlier demo's, whose data is removed (and nothing else)."""
    if (path / DB_FILE).exists():
        with open_workspace(path) as ws:
            is_demo = ws.info().get("demo") == "yes"
        if not is_demo:
            fail(f"{path} holds a workspace that is not the demo; give the demo another folder")
        with machine_faults(path):
            for name in (DB_FILE, returns_store.FILE, returns_store.FILE + ".wal"):  # the demo's data only
                (path / name).unlink(missing_ok=True)
            records = returns_store.folder(path)  # the records' files and manifest: the demo's too
            if records.exists():
                shutil.rmtree(records, ignore_errors=False)
    elif path.exists() and any(path.iterdir()):
        fail(f"{path} already holds files; give the demo an empty or new folder")


def _national(path: Path, n: int) -> None:
    """The national demo: its made-up inputs written to PATH/inputs/ (one CSV per input, as a user would import
    them) with a README saying they are made up, then imported like any files."""
    frames = national_demo.national_inputs(n)
    with machine_faults(path):
        folder = path / "inputs"
        folder.mkdir(parents=True, exist_ok=True)
        for kind, frame in frames.items():
            write_csv(frame, folder / f"{kind}.csv")
        (path / "README.md").write_text(national_demo.readme(frames), encoding="utf-8")
        ws = Workspace.create(path, f"sqlite:///{(path / DB_FILE).resolve()}", info={"demo": "yes"})
        try:
            _import(ws, [Source(kind, folder / f"{kind}.csv", shown=f"cyplan demo --national: inputs/{kind}.csv")
                         for kind in frames], "replace", quiet=True)
        finally:
            ws.close()
    councils = frames["areas"].filter(pl.col("kind") == "council")
    first = councils["code"][0]
    say(f"Built a made-up country in {path}: {councils.height} councils in "
        f"{frames['areas'].height - councils.height} regions, every name, code and value made up (see "
        f"{path / 'README.md'}).")
    out.print(f"\nTry: cyplan neighbours {first} -w {path}\n"
              f"     cyplan need -w {path} --area {first}\n"
              f"     cyplan serve -w {path}     (choose an area, then compare it with its neighbours and region)",
              highlight=False, markup=False)


def demo(
    path: Annotated[Path | None, typer.Argument(help="Folder for the demo workspace (default: exampleshire, or "
                                                "national with --national).", show_default=False)] = None,
    model: Annotated[DemoModel, typer.Option("--model", help="Which built-in model: mental-health (children and "
                                             "young people's mental health services) or send-therapy (therapists "
                                             "for children and young people with SEND).")] = DEFAULT_MODEL,
    national: Annotated[bool, typer.Option("--national", help="Instead, a made-up country: about 150 upper-tier "
                                           "councils in 9 regions, every value made up, for comparing areas and "
                                           "their statistical neighbours.")] = False,
    areas: Annotated[int, typer.Option("--areas", min=2, max=1000, help="With --national: how many made-up "
                                       "councils.")] = national_demo.N_AREAS,
) -> None:
    """Build the demo workspace for Exampleshire and show its need, workforce demand and the gap."""
    path = path or Path("national" if national else "exampleshire")
    _clear_demo(path)
    if national:
        _national(path, areas)
        return
    folder = reference.DEMO_MODELS[model.value]
    shown = "cyplan demo" if folder == reference.DEMO else f"cyplan demo --model {model.value}"  # as logged
    with machine_faults(path):
        ws = Workspace.create(path, f"sqlite:///{(path / DB_FILE).resolve()}", info={"demo": "yes"})
        try:
            library = evidence.demo_sources(shown) if folder == reference.DEMO else []
            _import(ws, _default_sources() + [Source(p.stem, p, shown=f"{shown}: {p.name}")
                                              for p in sorted(folder.glob("*.csv"))] + library, "replace", quiet=True)
            if library:
                evidence.store_starter_briefs(ws, shown)
            if (folder / "returns" / "referrals.csv").exists():  # only the mental-health model has returns
                referrals = import_returns(ws, folder / "returns" / "referrals.csv",
                                           display_name="cyplan demo: returns/referrals.csv")
                say(f"Imported {referrals.records:,} referral records (made up for the demo).")
            with err.status("Running the model…"):
                plan = run(ws.read_all())
        finally:
            ws.close()
    area = reference.DEMO_AREA
    first, last = plan.dims.years[0], plan.dims.years[-1]
    name = plan.dims.labels["areas"][area]
    out.print(Text.assemble("\n", (f"{name} ({area})", "bold"), f" — demo workspace in {path}\n"), highlight=False)
    emit_plan(need_table(plan, ["age-band", "level"], [area], [first]), plan, Format.table, None,
              f"Need by age band and level — {CENTRAL_PLAN}")
    # the pay / non-pay / overheads split is for `cyplan demand` and `cyplan costs`: the summary stays narrow
    emit_plan(demand_table(plan, ["role"], [area], [first]).select("area", "year", "role", "hours", "fte", "cost"),
              plan, Format.table, None, f"Workforce demand by role — {CENTRAL_PLAN}")
    out.print(f"By {last}, on the central plan: {need_table(plan, [], [area], [last])['cases'].sum():,.0f} cases "
              "of need.\n", highlight=False, markup=False)
    sim, frames = workforce.simulation(path)
    workforce.show_gap(sim, frames, [area], [last])
    out.print(f"\n{workforce.headline(sim, area, last)}", highlight=False, markup=False)
    out.print(f"\nTry: cyplan need -w {path} --by level --year {first}\n"
              f"     cyplan gap -w {path} --year {last} --target-year {last}\n"
              f"     cyplan scenario compare -w {path}\n"
              f"     cyplan report -w {path} --format pdf\n"
              f"     cyplan serve -w {path}     (the whole plan in a browser)", highlight=False, markup=False)


def _kind(given: str) -> str:
    """An input's name, or 'all'."""
    kind = given.strip().lower()
    if kind != "all" and kind not in KINDS:
        fail(f"'{given}' is not an input; the inputs are: {', '.join(KINDS)} (or 'all')", 2)
    return kind


def import_(
    kind: Annotated[str, typer.Argument(help="Which input: " + ", ".join(KINDS) + "; or 'all' for a folder or "
                                        "workbook holding several.")],
    file: Annotated[Path, typer.Argument(help="A .csv or .xlsx file (or, with 'all', a folder).")],
    workspace: WorkspaceOpt = Path("."),
    sheet: Annotated[str | None, typer.Option("--sheet", help="Sheet to read from a workbook.")] = None,
    mode: Annotated[Mode, typer.Option("--mode", help="replace the whole input, or merge rows by key.")] = Mode.replace,
    problems: Annotated[Path | None, typer.Option("--problems", help="Save every problem found to this CSV.")] = None,
    header_row: Annotated[int | None, typer.Option("--header-row", min=1, max=MAX_HEADER_ROW,
                                                   help="The row the column names are on, when title rows are above "
                                                   "them (as in ONS tables).")] = None,
    split_age_bands: Annotated[bool, typer.Option("--split-age-bands", help="Population only: split age bands "
                                                  "such as 0-4 into single years, each year given an equal share "
                                                  "of the band's count.")] = False,
    no_merge_small_areas: NoMergeOpt = False,
) -> None:
    """Import an input from CSV or Excel. Nothing is changed unless the whole file is valid."""
    kind = _kind(kind)
    if split_age_bands and kind not in ("population", "all"):
        fail("--split-age-bands is for the population input only", 2)
    with open_workspace(workspace) as ws:
        try:
            sources = sources_in(file) if kind == "all" else [Source(kind, file, sheet)]
        except InputError as e:
            report(e, problems, [file])
        sources = [replace(s, header_row=header_row, split_age_bands=split_age_bands,
                           merge_small_areas=not no_merge_small_areas) for s in sources]
        _import(ws, sources, mode.value, problems)


def export_(
    kind: Annotated[str | None, typer.Argument(help="Which input, or 'all'.")] = None,
    file: Annotated[Path | None, typer.Argument(help="A .csv or .xlsx file; with 'all', a folder or .xlsx "
                                                "workbook.")] = None,
    workspace: WorkspaceOpt = Path("."),
    template: Annotated[Path | None, typer.Option("--template", help="Write a blank workbook (.xlsx) to fill in "
                                                  "instead: a README sheet, then every input's sheet with notes on "
                                                  "its columns, an example row and drop-down lists.")] = None,
) -> None:
    """Export an input (or all of them) to CSV or Excel, in the shape 'cyplan import' reads back; or, with
    --template, a blank workbook that 'cyplan import all' reads once filled in."""
    if template is not None:
        _template(template, kind, file)
        return
    if kind is None or file is None:
        fail("say which input to export and the file to write (cyplan export KIND FILE), or write a blank "
             "workbook with cyplan export --template FILE.xlsx", 2)
    kind = _kind(kind)
    with open_workspace(workspace) as ws:
        try:
            with writing(file), err.status(f"Writing {file}…"):
                kinds = list(KINDS) if kind == "all" else [kind]
                written = export_inputs(ws, kinds, file)
        except InputError as e:
            report(e)
        note(ws, "export", {"inputs": kinds, "files": files(written)})
    say(f"Wrote {', '.join(str(p) for p in written)}.")


def _template(path: Path, kind: str | None, file: Path | None) -> None:
    """The blank workbook: it needs no workspace, and holds every input (so no KIND or FILE with it)."""
    if kind is not None or file is not None:
        fail("--template writes every input's sheet to the one workbook it names: give no input or file besides it "
             "(cyplan export --template FILE.xlsx)", 2)
    if path.suffix.lower() != ".xlsx":
        fail(f"{path}: the template is an Excel workbook; give a file name ending .xlsx", 2)
    with writing(path):
        write_template(path)
    say(f"Wrote {path}: a README sheet, then a sheet for each of the {len(KINDS)} inputs. Fill in the sheets you "
        f"have data for and import them all with 'cyplan import all {path}'.")


def status(workspace: WorkspaceOpt = Path(".")) -> None:
    """What the workspace holds: rows of each input and the imports that put them there."""
    with open_workspace(workspace) as ws:
        frames = ws.read_all()
        log = ws.imports()
        broken_warning(ws)
    counts = {k: frames[k].height for k in KINDS}
    national = set(results.national_inputs(frames))
    table = Table(title=f"Workspace {workspace}")
    for c in ("input", "rows", "last imported from", "when"):
        table.add_column(c, justify="right" if c == "rows" else "left")
    for kind, n in counts.items():
        last = log.filter(pl.col("kind") == kind).tail(1)
        src, when = (last["file"][0], last["imported_at"][0]) if last.height else ("—", "—")
        table.add_row(kind + (" (national)" if kind in national else ""), f"{n:,}", Text(src), when)
    out.print(table)
    if national:
        say(f"Inputs marked (national) hold {starter.NOTE}.")
    for w in results.sanity_warnings(frames):
        warn(w)
