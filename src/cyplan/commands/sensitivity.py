"""`cyplan sensitivity`: which inputs drive the gap (or its cost) — one at a time, or Sobol indices on Dask."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan import results, sweep
from cyplan.display import SENSITIVITY_HEADINGS, sensitivity_formats
from cyplan.model import sensitivity as sens
from cyplan.terminal import Format, FormatOpt, OutOpt, WorkspaceOpt, emit, fail, format_of, open_workspace, say, warn


class MeasureName(StrEnum):
    gap = "gap"
    cost = "cost"


class MethodName(StrEnum):
    oat = "oat"
    sobol = "sobol"


SCHEDULER = re.compile(r"(tcp|tls)://[^\s/]+:\d{1,5}")  # as Dask's scheduler prints its address


def sensitivity(workspace: WorkspaceOpt = Path("."),
                area: Annotated[list[str] | None, typer.Option("--area", help="Area code; repeat for several, "
                                                               "whose total is measured (default: every area's "
                                                               "total).")] = None,
                all_areas: Annotated[bool, typer.Option("--all-areas", help="Each area on its own: the measure "
                                                        "and the ranking per area, from one set of runs.")] = False,
                measure: Annotated[MeasureName, typer.Option("--measure", help="gap: the gap in FTE; cost: the "
                                                             "cost of closing it (£ a year).")] = MeasureName.gap,
                role: Annotated[str | None, typer.Option("--role", help="One role's gap (default: every role "
                                                         "together).")] = None,
                year: Annotated[int | None, typer.Option("--year", help="The year measured (default: the "
                                                         "last).")] = None,
                method: Annotated[MethodName, typer.Option("--method", help="oat: each input at its low and high, "
                                                           "the rest central (a tornado); sobol: variance-based "
                                                           "indices over every input at once.")] = MethodName.oat,
                n: Annotated[int, typer.Option("--n", min=2, max=65_536, help="Sobol's base sample N, a power of "
                                               "2: N × (inputs + 2) runs.")] = 256,
                seed: Annotated[int, typer.Option("--seed", min=0, help="Sobol's sample and its intervals: the same "
                                                  "seed gives the same figures.")] = 1,
                scheduler: Annotated[str | None, typer.Option("--scheduler", help="A Dask scheduler's address "
                                                              "(tcp://HOST:PORT) to run Sobol's runs on.")] = None,
                workers: Annotated[int, typer.Option("--workers", min=0, max=256, help="Without --scheduler: Dask "
                                                     "worker processes on this machine (0: this process "
                                                     "alone; at most 4 a core).")] = 2,
                fmt: FormatOpt = Format.table, out_file: OutOpt = None) -> None:
    """Which inputs drive the gap: each uncertain input at its low and high (a tornado), or Sobol indices."""
    if n & (n - 1):
        fail(f"--n {n}: give a power of 2 (64, 128, 256, …); Sobol's sample is balanced only then", 2)
    if scheduler is not None and not SCHEDULER.fullmatch(scheduler):
        fail(f"--scheduler {scheduler}: give a Dask scheduler's address as tcp://HOST:PORT", 2)
    if all_areas and area:
        fail("--area and --all-areas: give one or the other", 2)
    if scheduler is None and workers > sweep.most_workers():
        fail(f"--workers {workers}: at most {sweep.most_workers()} on this machine ({sweep.WORKERS_PER_CORE} a core, "
             f"{sweep.cores()} core{'s' if sweep.cores() != 1 else ''}): more processes only queue for the same cores, "
             "each holding its own copy of the inputs; for more, run a Dask cluster and give its --scheduler", 2)
    with open_workspace(workspace) as ws:
        frames = ws.read_all()
    try:
        sim = results.simulation(frames, draws=0)  # the plan's areas, years and roles, and that it can run at all
    except results.NotReady as e:  # an input missing: exit 1, as every other command
        fail(str(e), e.exit_code)
    spec, codes = _spec(sim.dims, area, all_areas, measure.value, role, year)
    engine = None if method is MethodName.oat or (workers == 0 and not scheduler) \
        else sweep.Engine(scheduler, workers)
    try:
        analysis = sweep.analyse(frames, spec, codes, results.labels(frames), method.value, n, seed, engine)
    except OSError as e:  # the scheduler could not be reached (distributed raises OSError and TimeoutError)
        fail(f"--scheduler {scheduler}: could not reach the Dask scheduler ({e})", 3)
    for note in analysis.notes:
        warn(note)
    table = analysis.table if spec.per_area else analysis.table.drop("area", strict=False)
    fmt = format_of(fmt, out_file)
    emit(table, fmt, out_file, _title(spec, codes, method, analysis, sim.dims.years[spec.year], role, frames),
         labels=results.labels(frames), formats=sensitivity_formats(spec.measure),
         headings={"area": "Area", **SENSITIVITY_HEADINGS}, totals=False)
    if fmt is Format.table or out_file is not None:
        say(sweep.depends_most(analysis.table, sim.dims.years[spec.year], spec.measure))


def _spec(dims, area: list[str] | None, all_areas: bool, measure: str, role: str | None,
          year: int | None) -> tuple[sens.Spec, list[str]]:
    """What is measured, from the options, each checked against the plan (exit 2 naming what is wrong)."""
    unknown = [a for a in area or [] if a not in dims.areas]
    if unknown:
        fail(f"--area {', '.join(unknown)}: no such area; the areas are {', '.join(dims.areas)}", 2)
    if role is not None and role not in dims.roles:
        fail(f"--role {role}: no such role; the roles are {', '.join(dims.roles)}", 2)
    if year is not None and year not in dims.years:
        fail(f"--year {year}: no population for that year; the years are {dims.years[0]} to {dims.years[-1]}", 2)
    codes = list(dict.fromkeys(area)) if area else list(dims.areas)
    spec = sens.Spec(measure, dims.years.index(year) if year is not None else len(dims.years) - 1,
                     tuple(dims.areas.index(c) for c in codes), dims.roles.index(role) if role else None, all_areas)
    return spec, codes


def _title(spec: sens.Spec, codes: list[str], method: MethodName, analysis: sweep.Analysis, year: int,
           role: str | None, frames: dict[str, pl.DataFrame]) -> str:
    labels = results.labels(frames)
    what = {"gap": "gap (FTE)", "cost": "cost of closing the gap (£ a year)"}[spec.measure]
    who = labels["role"].get(role, role) if role else "every role together"
    where = "each area" if spec.per_area else ", ".join(labels["area"].get(c, c) for c in codes)
    how = ("one input at a time, at its low and its high, the rest central" if method is MethodName.oat
           else f"Sobol indices, {analysis.runs:,} runs, 95% intervals")
    return f"What drives the {year} {what}, {who}, {where} — {how}"
