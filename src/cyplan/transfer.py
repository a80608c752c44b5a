"""Import inputs into a workspace and export them back out.

An import reads and checks every file first, then checks the workspace as it would be after the
import (references across inputs), and only then writes, in one transaction. Any problem anywhere
means nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from cyplan.io.files import sha256
from cyplan.io.ons import AREAS_HINT, Layout, convert, layout
from cyplan.io.problems import Found, InputError, Problem
from cyplan.io.read import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    HIDDEN,
    ROW,
    RawTable,
    hidden_sheets,
    open_workbook,
    read_table,
    text_like,
)
from cyplan.io.references import Origin, check_references
from cyplan.io.template import README, example_problems
from cyplan.io.validate import KIND_CHECKS, known_headers, validate
from cyplan.io.validate_areas import other_kind_neighbours, unused_weights
from cyplan.io.validate_population_groups import checked_against
from cyplan.io.write import write_csv, write_xlsx
from cyplan.schema import KINDS
from cyplan.store import codelists
from cyplan.store.history import rows_of
from cyplan.store.workspace import ImportRecord, Workspace

Mode = Literal["replace", "merge"]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Source:
    kind: str
    path: Path
    sheet: str | None = None
    shown: str | None = None  # the name the import log records, if not the path (e.g. a file cyplan ships)
    header_row: int | None = None  # the row the header is on, if rows above it (a title) are to be skipped
    split_age_bands: bool = False  # split the population's age bands into single years (io/age_bands.split_bands)
    merge_small_areas: bool = True  # an ONS population file: City of London into Westminster, Scilly into Cornwall
    optional: bool = False  # a sheet of a whole workbook: holding only the template's example row, it is left out


def sources_in(path: Path) -> list[Source]:
    """Every input in a folder of <kind>.csv / <kind>.xlsx files, or in a workbook of sheets named by kind."""
    known = ", ".join(KINDS)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in CSV_SUFFIXES + EXCEL_SUFFIXES)
        unknown = [p for p in files if p.stem.lower() not in KINDS]
        if unknown:
            raise InputError([Problem(str(p), None, None, f"the file name does not name an input; name each "
                                      f"file after its input: {known}") for p in unknown])
        if not files:
            raise InputError([Problem(str(path), None, None, f"no .csv or .xlsx files here; expected files "
                                      f"named after their inputs: {known}")])
        return [Source(p.stem.lower(), p) for p in files]
    if path.suffix.lower() in EXCEL_SUFFIXES and path.exists():
        book = open_workbook(path, str(path))
        names = [n for n in book.sheetnames if n.lower() != README.lower()]  # the template's README is no input
        hidden = {n: state for n, state in hidden_sheets(book).items() if n in names}
        blank = {n for n in names if n.lower() in KINDS and n not in hidden and _blank_sheet(book[n])}
        book.close()
        unknown = [n for n in names if n.lower() not in KINDS]
        if unknown or hidden:
            raise InputError([Problem(str(path), None, None, f"sheet '{n}' does not name an input; name each "
                                      f"sheet after its input: {known}", n) for n in unknown]
                             + [Problem(str(path), None, None, f"the sheet '{n}' {HIDDEN[hidden[n]]}", n)
                                for n in names if n in hidden and n not in unknown])
        if names and len(blank) == len(names):
            raise InputError([Problem(str(path), None, None, "nothing to import: every sheet is blank or holds "
                                      "only its header")])
        return [Source(n.lower(), path, n, optional=True) for n in names if n not in blank]
    raise InputError([Problem(str(path), None, None, "to import everything at once, give a folder of files "
                              "or an Excel workbook with one sheet per input")])


def _blank_sheet(ws: object) -> bool:
    """Whether a sheet holds at most one row with anything in it (a header, or nothing): a template's sheet not
    filled in. Stops at the second such row, so a big sheet is not read here."""
    try:
        ws.reset_dimensions()  # type: ignore[attr-defined]  # as the reader: some writers save wrong dimensions
        filled = (r for r in ws.iter_rows(values_only=True)  # type: ignore[attr-defined]
                  if any(v is not None and str(v).strip() for v in r))
        return next(filled, None) is None or next(filled, None) is None
    except Exception:  # a damaged sheet: the reader says what is wrong with it
        return False


def import_inputs(ws: Workspace, sources: list[Source], mode: Mode = "replace",
                  progress: Progress | None = None, display_name: str | None = None,
                  warnings: list[str] | None = None) -> list[ImportRecord]:
    """Check every source and, if none has a problem, save them; raises InputError (nothing written) otherwise.
    The import log names each file by its path, or by `display_name` when given (the name of an upload as the
    user knows it, not the server's temporary copy). How a file was read ('FTE' as fte_in_post, dates day first)
    is added to `warnings`, if given, whether or not the import is refused. Categories (population_groups) are
    checked against the workspace's own code lists."""
    with checked_against(codelists.lists(ws)):
        return _import_inputs(ws, sources, mode, progress, display_name, warnings)


def _import_inputs(ws: Workspace, sources: list[Source], mode: Mode, progress: Progress | None,
                   display_name: str | None, warnings: list[str] | None) -> list[ImportRecord]:
    problems: list[Found] = []
    frames: dict[str, pl.DataFrame] = {}
    origins: dict[str, Origin] = {}
    log: list[ImportRecord] = []
    unread: set[str] = set()  # kinds whose file could not be read at all
    for src in sources:
        if progress:
            progress(f"reading {src.path.name}" + (f" [{src.sheet}]" if src.sheet else ""))
        if src.kind not in KINDS:
            problems.append(Problem(str(src.path), None, None, f"'{src.kind}' is not an input; the inputs are: "
                                    + ", ".join(KINDS)))
            continue
        if src.kind in frames:
            problems.append(Problem(str(src.path), None, None, f"{src.kind} is given twice in one import"))
            unread.add(src.kind)
            continue
        try:
            raw = read_table(src.path, src.sheet, default_sheet=src.kind, header_row=src.header_row,
                             expect=known_headers(KINDS[src.kind]))
        except InputError as e:
            problems += e.found
            unread.add(src.kind)
            continue
        ons = layout(raw) if src.kind == "population" else None
        if ons is not None:
            raw, found = _from_ons(raw, ons, src.merge_small_areas)
            if found:
                problems += found
                unread.add(src.kind)
                continue
        only_example, found = example_problems(raw, KINDS[src.kind])
        if only_example and src.optional:  # a template's sheet not filled in: nothing to import from it
            continue
        if found:
            problems += found
            unread.add(src.kind)
            continue
        # codes: the memory of a big file
        frame, found = validate(raw, KINDS[src.kind], consume=True, codes=True, split_age_bands=src.split_age_bands)
        problems += found
        if warnings is not None:
            shown = display_name or Path(raw.file).name
            warnings += [f"{shown}" + (f" [{raw.sheet}]" if raw.sheet else "") + f": {n}" for n in raw.notes]
        frames[src.kind] = frame
        origins[src.kind] = Origin(raw.file, raw.sheet, (("area", ons.area),), AREAS_HINT) if ons else \
            Origin(raw.file, raw.sheet)
        log.append(ImportRecord(src.kind, display_name or src.shown or str(src.path), raw.sheet, sha256(src.path),
                                frame.height, mode))
    if not frames and not problems:
        raise InputError([Problem(str(sources[0].path) if sources else "import", None, None, "nothing to import: "
                                  "every sheet holds only its header or the template's example row")])
    if progress:
        progress("checking references")
    # references are checked even when a file has other problems, so that every problem is reported at
    # once: cells that did not parse are empty here and skipped
    current = ws.read_all()
    state = {k: v for k, v in current.items()}
    for kind, frame in frames.items():
        state[kind] = _merge(current[kind], frame, KINDS[kind].key) if mode == "merge" else frame
    problems += check_references(state, origins, skip=unread)
    if mode == "merge" and not problems:  # the rows kept and merged in must fit together (overlaps, sums)
        problems += [p for kind in frames for p in _merged_problems(kind, state[kind], origins[kind])]
    if problems:
        raise InputError(problems)
    # said only of what is imported: a refused file's indicators are not held, and named as held they mislead
    if warnings is not None and {"area_indicators", "indicator_weights"} & set(frames):
        warnings += unused_weights(state["area_indicators"], state["indicator_weights"])
    if warnings is not None and {"areas", "statistical_neighbours"} & set(frames):
        warnings += other_kind_neighbours(state["areas"], state["statistical_neighbours"])
    if progress:
        progress("writing")
    ws.write({k: state[k].drop(ROW, strict=False) for k in frames}, log)
    return log


def _from_ons(raw: RawTable, ons: Layout, merge: bool) -> tuple[RawTable, list[Found]]:
    """An ONS file as published made the population input's rows (checked where ONS has them), or its problems."""
    converted, found = convert(raw, ons, merge)
    return (converted.table if converted else raw), found


def restore(ws: Workspace, kind: str, n: int, by: str | None = None) -> ImportRecord:
    """Make version `n` of an input the current one, itself kept as a new version. Checked like an import: if the
    old rows would break references to or from other inputs held now, raises InputError (nothing written)."""
    if kind not in KINDS:
        raise InputError([Problem(kind, None, None, "is not an input; the inputs are: " + ", ".join(KINDS))])
    shown = f"history of {kind}, version {n}"
    versions = ws.versions(kind)
    if n not in versions["version"].to_list():
        held = f"its versions are 1 to {versions.height}" if versions.height else "it has no versions yet"
        raise InputError([Problem(shown, None, None, f"there is no version {n} of {kind}: {held}")])
    if n == versions["version"].max():
        raise InputError([Problem(shown, None, None, f"version {n} is already the current {kind}; nothing to "
                                  "restore")])
    with ws.engine.connect() as conn:
        rows = rows_of(conn, kind, n)
        current = int(versions["version"].max())  # type: ignore[arg-type]
        if rows.equals(rows_of(conn, kind, current)):  # a restore would only add a version that changes nothing
            raise InputError([Problem(shown, None, None, f"version {n} holds the same rows as the current version "
                                      f"({current}); nothing to restore")])
    # rows numbered as the version holds them, so that a broken reference names the row that makes it
    numbered = rows.with_columns(pl.int_range(1, rows.height + 1, dtype=pl.Int64).alias(ROW))
    state = {**ws.read_all(), kind: numbered}
    problems = check_references(state, {kind: Origin(shown, None)})
    if problems:
        raise InputError(problems)
    was = versions.filter(pl.col("version") == n).row(0, named=True)
    digest = hashlib.sha256(rows.write_ndjson().encode()).hexdigest()
    record = ImportRecord(kind, f"version {n} ({was['file']})" if was["file"] else f"version {n}", was["sheet"],
                          digest, rows.height, "restore")
    ws.write({kind: rows}, [record], by=by, restored={kind: n})
    return record


def _merge(current: pl.DataFrame, new: pl.DataFrame, key: tuple[str, ...]) -> pl.DataFrame:
    current = text_like(current, new)  # a CSV's text is dictionary codes; the workspace's is strings
    kept = current.join(new.select(key), on=list(key), how="anti").with_columns(pl.lit(None, pl.Int64).alias(ROW))
    return pl.concat([kept.select(new.columns), new])


def _merged_problems(kind: str, merged: pl.DataFrame, origin: Origin) -> list[Found]:
    check = KIND_CHECKS.get(kind)
    if check is None:
        return []
    merged = merged.with_columns(pl.col(ROW).fill_null(0))  # row 0: a kept row, not in the file
    return check(RawTable(origin.file, origin.sheet, tuple(merged.columns), merged, 1), merged)


def export_inputs(ws: Workspace, kinds: list[str], path: Path) -> list[Path]:
    """Write the kinds to `path`: one CSV or a workbook for one kind; a folder or a workbook for several."""
    frames = {k: ws.read(k) for k in kinds}
    if len(kinds) > 1:  # an input with no rows has nothing to carry (one asked for alone is a blank template)
        frames = {k: f for k, f in frames.items() if f.height}
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        write_xlsx(frames, path)
        return [path]
    if len(kinds) == 1 and suffix in CSV_SUFFIXES:
        write_csv(frames[kinds[0]], path)
        return [path]
    if suffix:
        raise InputError([Problem(str(path), None, None, "give a .csv or .xlsx file for one input, or a folder "
                                  "or .xlsx workbook for all of them")])
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, frame in frames.items():
        write_csv(frame, path / f"{kind}.csv")
        written.append(path / f"{kind}.csv")
    return written
