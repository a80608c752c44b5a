"""`cyplan neighbours AREA`: an area's statistical neighbours, published or computed from the area indicators, with
the indicators that drive each distance most (docs/method.md, 'Statistical neighbours')."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan import results
from cyplan.model.neighbours import DEFAULT_N, drivers
from cyplan.terminal import Format, OutOpt, WorkspaceOpt, emit, fail, format_of, open_workspace, say

HEADINGS = {"rank": "Rank", "neighbour": "Neighbour", "distance": "Distance", "drivers": "Driven most by"}


def neighbours(
    area: Annotated[str, typer.Argument(help="The area's code, as in the areas input.")],
    workspace: WorkspaceOpt = Path("."),
    n: Annotated[int, typer.Option("--n", min=1, max=999, help="How many neighbours.")] = DEFAULT_N,
    fmt: Annotated[Format | None, typer.Option("--format", "-f", help="table, csv, json or xlsx (default: table, or "
                                               "what --out's name ends in).")] = None,
    out_file: OutOpt = None,
) -> None:
    """An area's statistical neighbours: the published list imported for it, or else the nearest areas of the same
    kind computed from the area indicators (standardised, weighted Euclidean distance), with the two indicators
    that drive each distance most."""
    with open_workspace(workspace) as ws:
        frames = ws.read_all()
    try:
        found = results.neighbours_of(frames, area, n)
    except results.NotReady as e:
        fail(str(e), 2)
    if found.method == "none":
        fail(found.note, 2)
    names = results.labels(frames)["area"]
    fmt = format_of(fmt or Format.table, out_file)
    if fmt is Format.table:
        shown = found.table.select("rank", "neighbour", "distance",
                                   pl.Series("drivers", drivers(found.table), dtype=pl.String))
        if found.method == "published":
            shown = shown.drop("distance", "drivers")
        emit(shown, fmt, None, f"Statistical neighbours of {names.get(area, area)} ({area}), {found.method}",
             labels={"neighbour": names}, formats={"distance": "{:.2f}"}, headings=HEADINGS, totals=False)
    else:
        named = found.table.with_columns(pl.col("neighbour").replace_strict(names, default="").alias("name"))
        emit(named.select("rank", "neighbour", "name", pl.exclude("rank", "neighbour", "name")), fmt, out_file,
             f"Neighbours of {area}", totals=False)
    say(f"Method: {found.method}. Source: {found.source}.")
    for line in found.said:
        say(f"Note: {line}.")
