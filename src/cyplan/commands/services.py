"""`cyplan services`: the early intervention service register against the specification (seed 003)."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan import results
from cyplan.display import SERVICE_FORMATS, SERVICE_HEADINGS
from cyplan.io.problems import InputError
from cyplan.io.write import write_csv
from cyplan.model.evidence_ratings import RATINGS_STATEMENT
from cyplan.model.services import (
    Rating,
    Register,
    Rules,
    checklist,
    coverage_matrix,
    group_matrix,
    need_against_capacity,
)
from cyplan.reference.specification import specification
from cyplan.schema import KINDS
from cyplan.schema.services import SERVICE_KINDS, SERVICE_STATUSES
from cyplan.terminal import (
    Format,
    FormatOpt,
    OutOpt,
    WorkspaceOpt,
    emit,
    err,
    fail,
    open_workspace,
    out,
    report,
    say,
    warn,
    writing,
)
from cyplan.transfer import Source, export_inputs, import_inputs, sources_in

app = typer.Typer(help="The early intervention service register: coverage, the 1–4 rating and what to do next.",
                  no_args_is_help=True)

NAMES = tuple(k.name for k in SERVICE_KINDS)
WholeAreaOpt = Annotated[float, typer.Option("--whole-area", help="Coverage that counts as the whole area (0–1).")]
MostOpt = Annotated[float, typer.Option("--most", help="Share of cells with no service in place above which 'most "
                                        "services have yet to be put in place' (0–1).")]
PlansOpt = Annotated[float, typer.Option("--plans-in-place", help="Share of plans in place for 'protocols and "
                                         "plans are in place' (0–1).")]
FullRangeOpt = Annotated[float, typer.Option("--full-range", help="Share of cells in place across the whole area "
                                             "for 'a full range' of services, rating 4 (0–1).")]
YearOpt = Annotated[int | None, typer.Option("--year", help="Year of need to weigh gaps by (default: the first).")]


def _rules(whole_area: float, most: float, plans_in_place: float, full_range: float = 0.9) -> Rules:
    try:
        return results.rules(whole_area, most, plans_in_place, full_range)
    except ValueError as e:
        fail(str(e), 2)


def _frames(workspace: Path) -> dict[str, pl.DataFrame]:
    with open_workspace(workspace) as ws:
        return ws.read_all()


def _register(frames: dict[str, pl.DataFrame]) -> Register:
    try:
        return results.register(frames)
    except results.NotReady as e:
        fail(str(e), e.exit_code)


def _show(frame: pl.DataFrame, fmt: Format, out_file: Path | None, title: str,
          frames: dict[str, pl.DataFrame]) -> None:
    labels = {"band": dict(frames["age_bands"].select("band", "label").iter_rows()),
              "group": dict(frames["groups"].select("group", "label").iter_rows())}
    emit(results.flat(frame), fmt, out_file, title, labels=labels, formats=SERVICE_FORMATS, headings=SERVICE_HEADINGS,
         totals=False)


def _need_by_band(frames: dict[str, pl.DataFrame], year: int | None) -> pl.DataFrame:
    """Cases by age band from the need model, or none when the workspace has no need inputs yet."""
    try:
        need = results.need_by_band(frames, year)
    except results.NotReady as e:
        fail(str(e), 2)
    if need is None:
        warn("the workspace has no need inputs (areas, population, levels, prevalence): gaps are not weighed by "
             "need")
        return frames["age_bands"].select("band").with_columns(pl.lit(0.0).alias("cases"))
    return need


# -- import and export ---------------------------------------------------------------------------


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A workbook with a sheet per register input (services, service_cells, "
                                         "…), or a folder of such CSV files.")],
    workspace: WorkspaceOpt = Path("."),
    mode: Annotated[str, typer.Option("--mode", help="replace or merge.")] = "replace",
    problems: Annotated[Path | None, typer.Option("--problems", help="Save every problem to this CSV.")] = None,
) -> None:
    """Import a service register. Nothing is changed unless every sheet is valid."""
    if mode not in ("replace", "merge"):
        fail(f"--mode must be replace or merge, not '{mode}'", 2)
    with open_workspace(workspace) as ws:
        try:
            sources = sources_in(file)
            log = import_inputs(ws, sources, mode)  # type: ignore[arg-type]
        except InputError as e:
            report(e, problems, [file])
    for r in log:
        say(f"Imported {r.rows:,} row{'s' if r.rows != 1 else ''} of {KINDS[r.kind].title.lower()}"
            + (f" [{r.sheet}]" if r.sheet else "") + ".")


@app.command("export")
def export_(
    file: Annotated[Path, typer.Argument(help="A .xlsx workbook or a folder.")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Export the register (every register input) to a workbook or a folder of CSV files."""
    with open_workspace(workspace) as ws:
        try:
            with writing(file):
                written = export_inputs(ws, list(NAMES), file)
        except InputError as e:
            report(e)
    say(f"Wrote {', '.join(str(p) for p in written)}.")


# -- reading the register ------------------------------------------------------------------------


@app.command()
def matrix(workspace: WorkspaceOpt = Path("."), groups: Annotated[bool, typer.Option(
               "--groups", help="Show the vulnerable groups by age band instead of the cells.")] = False,
           whole_area: WholeAreaOpt = 1.0, fmt: FormatOpt = Format.table, out_file: OutOpt = None) -> None:
    """The coverage matrix: each cell of the specification (or band × group) and the services behind it."""
    frames = _frames(workspace)
    reg, spec, rules = _register(frames), specification(), _rules(whole_area, 0.5, 1.0)
    if groups:
        _show(group_matrix(reg, spec.band_groups, rules), fmt, out_file, "Vulnerable groups by age band", frames)
    else:
        frame = coverage_matrix(reg, spec.provisions, rules)
        _show(frame.drop("provision") if fmt is Format.table else frame, fmt, out_file, "Coverage matrix", frames)


@app.command("rate")
def rate_(workspace: WorkspaceOpt = Path("."), whole_area: WholeAreaOpt = 1.0, most: MostOpt = 0.5,
          plans_in_place: PlansOpt = 1.0, full_range: FullRangeOpt = 0.9, fmt: FormatOpt = Format.table,
          out_file: OutOpt = None) -> None:
    """The rating (1–4) of section 4 of seed 003, how near it is to the levels either side, the partnership's own
    judgement beside it, and the reasons that keep it from the next level."""
    frames = _frames(workspace)
    try:
        result = results.rating(frames, _rules(whole_area, most, plans_in_place, full_range))
    except results.NotReady as e:
        fail(str(e), e.exit_code)
    for w in result.warnings:
        warn(w)
    m = result.measures
    if fmt is Format.table:
        for line in (f"Rating: {result.rating} — {result.title}",
                     f"How near the levels either side: {result.nearness}.",
                     *([result.judgement.difference] if result.judgement else []),
                     f"Plans and protocols in place: {m['plans_in_place']:.0f} of {m['plans']:.0f}. Cells of the "
                     f"specification in place across the whole area: {m['cells_in_place_whole_area']:.0f} of "
                     f"{m['cells']:.0f}; in part: {m['cells_in_place_part_of_area']:.0f}; planned: "
                     f"{m['cells_planned']:.0f}; nothing: {m['cells_nothing']:.0f}. Age band × group pairs reached "
                     f"across the whole area: {m['band_groups_whole_area']:.0f} of {m['band_groups']:.0f}."):
            out.print(line, highlight=False, markup=False)
        if result.reasons.is_empty():
            out.print("Nothing holds it back: this is the top rating.", highlight=False, markup=False)
            return
        _show(result.reasons, fmt, None, f"What keeps it from rating {result.rating + 1}", frames)
        return
    _show(_rating_rows(result), fmt, out_file, "Rating", frames)


def _rating_rows(result: Rating) -> pl.DataFrame:
    """The rating for a file: one row per reason (or one for the words at the top rating), each with the
    rating, how near the levels either side are, and the partnership's judgement when recorded."""
    frame = result.reasons
    if frame.is_empty():
        frame = pl.DataFrame({"kind": [None], "item": [None], "state": [None], "why": [result.title]},
                             schema=dict(result.reasons.schema))
    j = result.judgement
    return frame.select(
        pl.lit(result.rating, pl.Int32).alias("rating"), pl.lit(result.nearness).alias("nearness"),
        pl.lit(j.rating if j else None, pl.Int32).alias("agreed_rating"),
        pl.lit(j.agreed_by if j else None, pl.String).alias("agreed_by"),
        pl.lit(j.date if j else None, pl.String).alias("agreed_on"),
        pl.lit(j.reason if j else None, pl.String).alias("agreed_reason"), *frame.columns)


@app.command("actions")
def actions_(workspace: WorkspaceOpt = Path("."), year: YearOpt = None, whole_area: WholeAreaOpt = 1.0,
             most: MostOpt = 0.5, plans_in_place: PlansOpt = 1.0, full_range: FullRangeOpt = 0.9,
             evidence: Annotated[bool, typer.Option(
                 "--evidence", help="For each gap, the interventions of the evidence library that fit it, strongest "
                 "evidence first, with their ratings and the staff and cost they would take (90% interval).")] = False,
             fmt: FormatOpt = Format.table,
             out_file: OutOpt = None) -> None:
    """The gaps, in order of priority: what holds the rating back first, then by need in the age band."""
    frames = _frames(workspace)
    if results.missing_need_inputs(frames):
        warn("the workspace has no need inputs (areas, population, levels, prevalence): gaps are not weighed by "
             "need")
    rules = _rules(whole_area, most, plans_in_place, full_range)
    try:
        with err.status("Running the need model…"):
            frame = results.evidence_for_actions(frames, year, rules) if evidence \
                else results.action_list(frames, year, rules)
    except results.NotReady as e:
        fail(str(e), 2)
    fitted = "intervention" in frame.columns
    if evidence and not fitted:
        warn("the workspace has no interventions yet, so the action list has no evidence to show: import an "
             "evidence library (docs/user-guide.md, 'Choosing what to commission for a gap')")
    if fmt is Format.table:
        frame = frame.select("rank", "item", "label", "state", "covered", "need_share", "developing",
                             "delivery_vehicles") if not fitted else \
            frame.select("rank", "item", "state", pl.col("name").alias("intervention_name"), "ratings_text",
                         "in_words")
    _show(frame, fmt, out_file, "Action list", frames)
    if fitted:
        say(RATINGS_STATEMENT)


@app.command("capacity")
def capacity(workspace: WorkspaceOpt = Path("."), year: YearOpt = None, fmt: FormatOpt = Format.table,
             out_file: OutOpt = None) -> None:
    """Need against provision: cases by age band against the capacity of services in place."""
    frames = _frames(workspace)
    with err.status("Running the need model…"):
        need = _need_by_band(frames, year)
    _show(need_against_capacity(_register(frames), need), fmt, out_file, "Need against capacity", frames)


@app.command("checklist")
def checklist_(workspace: WorkspaceOpt = Path("."), missing: Annotated[bool, typer.Option(
                   "--missing", help="Only the agencies not engaged or with nobody named.")] = False,
               fmt: FormatOpt = Format.table, out_file: OutOpt = None) -> None:
    """The stakeholder checklist (seed 003, Annex B): who is engaged, and who is missing."""
    frames = _frames(workspace)
    frame = checklist(specification().stakeholders, frames["stakeholders"])
    if missing:
        frame = frame.filter(pl.col("missing"))
    _show(frame, fmt, out_file, "Stakeholder checklist", frames)


# -- editing -------------------------------------------------------------------------------------


def _edit(workspace: Path, rows: dict[str, list[dict[str, object]]]) -> None:
    """Merge these rows into the register through the importer, so that they are checked exactly as a file
    is, and written in one transaction or not at all."""
    with open_workspace(workspace) as ws, tempfile.TemporaryDirectory() as folder:
        sources = []
        for kind, records in rows.items():
            path = Path(folder) / f"{kind}.csv"
            write_csv(pl.DataFrame(records, schema={c: pl.String for c in records[0]}), path)
            sources.append(Source(kind, path))
        try:
            import_inputs(ws, sources, "merge")
        except InputError as e:
            report(InputError([dataclasses.replace(p, file=f"the command's {Path(p.file).stem}")
                               for p in e.problems]))


@app.command("set-status")
def set_status(service: Annotated[str, typer.Argument(help="The service.")],
               status: Annotated[str, typer.Argument(help="planned, being developed or in place.")],
               workspace: WorkspaceOpt = Path(".")) -> None:
    """Change a service's status."""
    with open_workspace(workspace) as ws:
        current = ws.read("services").filter(pl.col("service") == service)
    if current.is_empty():
        fail(f"no service '{service}' in the register", 2)
    if status.strip().lower() not in SERVICE_STATUSES:
        fail(f"'{status}' is not one of: {', '.join(SERVICE_STATUSES)}", 2)
    row = {k: ("" if v is None else str(v)) for k, v in current.row(0, named=True).items()}
    _edit(workspace, {"services": [{**row, "status": status}]})
    say(f"Service '{service}' is now {status.strip().lower()}.")


@app.command("add")
def add(
    service: Annotated[str, typer.Argument(help="Short name of the service.")],
    label: Annotated[str, typer.Option("--label", help="How it is shown.")],
    provider: Annotated[str, typer.Option("--provider", help="Who provides it.")],
    status: Annotated[str, typer.Option("--status", help="planned, being developed or in place.")],
    coverage: Annotated[str, typer.Option("--coverage", help="Share of the area covered (e.g. 1 or 40%).")] = "1",
    joint: Annotated[str, typer.Option("--joint", help="Jointly commissioned by council and NHS: yes or no.")] = "no",
    cell: Annotated[list[str] | None, typer.Option("--cell", help="BAND/LEVEL/PROVISION it delivers; repeat.")] = None,
    group: Annotated[list[str] | None, typer.Option("--group", help="Vulnerable group it reaches; repeat.")] = None,
    capacity: Annotated[str, typer.Option("--capacity", help="Children a year, where known.")] = "",
    funding: Annotated[str, typer.Option("--funding", help="Annual funding in pounds.")] = "",
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Add a service, or update one of the same name; the cells and groups given are added to its own."""
    rows: dict[str, list[dict[str, object]]] = {"services": [{
        "service": service, "label": label, "provider": provider, "joint": joint, "status": status,
        "coverage": coverage, "funding": funding, "capacity": capacity, "source": "entered with cyplan services add"}]}
    cells = []
    for c in cell or []:
        parts = c.split("/")
        if len(parts) != 3:
            fail(f"--cell '{c}' is not BAND/LEVEL/PROVISION, e.g. school_age/targeted/therapeutic_interventions", 2)
        cells.append({"service": service, "band": parts[0], "level": parts[1], "provision": parts[2]})
    if cells:
        rows["service_cells"] = cells
    if group:
        rows["service_groups"] = [{"service": service, "group": g} for g in group]
    _edit(workspace, rows)
    say(f"Added service '{service}' with {len(cells)} cell(s) and {len(group or [])} group(s).")

