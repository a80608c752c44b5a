"""`cyplan ons areas`: the areas input's rows for the areas an ONS population file gives, so that the file's
population can be imported (docs/data-formats.md, "ONS population files as published")."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from cyplan.io.ons import HEADERS, areas_table
from cyplan.io.problems import InputError, Problem
from cyplan.io.read import MAX_HEADER_ROW, read_table
from cyplan.io.write import write_csv
from cyplan.terminal import report, say, warn, writing

ons_app = typer.Typer(no_args_is_help=True, add_completion=False)

NoMergeOpt = Annotated[bool, typer.Option("--no-merge-small-areas", help="ONS population files: keep the City of "
                                          "London and the Isles of Scilly as areas of their own (by default they "
                                          "are added to Westminster and Cornwall, as DfE does).")]


@ons_app.command("areas")
def areas(
    file: Annotated[Path, typer.Argument(help="An ONS population file as published (.csv or .xlsx).")],
    out: Annotated[Path, typer.Option("--out", help="The areas file to write (.csv), for `cyplan import areas`.")],
    sheet: Annotated[str | None, typer.Option("--sheet", help="Sheet to read from a workbook.")] = None,
    header_row: Annotated[int | None, typer.Option("--header-row", min=1, max=MAX_HEADER_ROW,
                                                   help="The row the column names are on, when title rows are above "
                                                   "them.")] = None,
    no_merge_small_areas: NoMergeOpt = False,
) -> None:
    """Write the areas an ONS population file gives (code, name, kind) as an areas file to import."""
    if out.suffix.lower() != ".csv":
        report(InputError([_problem(out, "give a file name ending .csv for the areas")]))
    try:
        raw = read_table(file, sheet, header_row=header_row, expect=HEADERS)
        frame, problems, notes = areas_table(raw, merge=not no_merge_small_areas)
    except InputError as e:
        report(e, reading=[file])
    for n in notes:
        warn(f"{file.name}: {n}")
    if frame is None:
        report(InputError(problems), reading=[file])
    with writing(out, [file]):
        write_csv(frame, out)
    say(f"Wrote {frame.height:,} area{'s' if frame.height != 1 else ''} to {out}. Import them, then the population:\n"
        f"  cyplan import areas {shlex.quote(str(out))}\n  cyplan import population {shlex.quote(str(file))}")


def _problem(path: Path, message: str) -> Problem:
    return Problem(str(path), None, None, message)
