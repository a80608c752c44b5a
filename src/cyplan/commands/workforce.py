"""`cyplan supply`, `cyplan gap` and `cyplan scenario …`: the workforce we have and will have, the gap,
and the scenarios that close it — each result a median with its 90% interval."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan import results
from cyplan.commands.audit import record
from cyplan.display import ERROR_SUFFIX, MEASURE_FORMATS, MEASURE_HEADINGS, SHOWN_UNITS, cell, workforce_headline
from cyplan.model.flows import establishment_table, flows_table, pipeline_table, training_plan
from cyplan.model.gap import gap_table, supply_table
from cyplan.model.scenarios import BASELINE, ScenarioError
from cyplan.model.simulate import Simulation
from cyplan.terminal import AreaOpt, Format, FormatOpt, OutOpt, WorkspaceOpt, YearOpt, emit, fail, open_workspace, warn


class GapBy(StrEnum):
    role = "role"
    sector = "sector"


class SupplyView(StrEnum):
    stock = "stock"
    flows = "flows"
    establishment = "establishment"
    pipeline = "pipeline"


class Dist(StrEnum):
    triangular = "triangular"
    pert = "pert"


DrawsOpt = Annotated[int, typer.Option("--draws", min=0, max=100_000,
                                       help="Monte Carlo draws (0: central values only).")]
# min=0: NumPy's generators take no negative seed (a traceback, not a message, without it)
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Random seed: the same seed gives the same numbers.")]
DistOpt = Annotated[Dist, typer.Option("--distribution", help="triangular or pert, between low and high.")]
GapByOpt = Annotated[list[GapBy] | None, typer.Option("--by", help="role or sector (default: role); repeat to "
                                                      "combine.")]
DRAWS, SEED = results.DRAWS, results.SEED


scenario_app = typer.Typer(help="Named sets of changes to the inputs, run beside the baseline.", no_args_is_help=True)


def _simulation(workspace: Path, scenario: str, draws: int, seed: int, dist: Dist) -> tuple[Simulation, dict]:
    with open_workspace(workspace) as ws:
        frames = ws.read_all()
    try:
        sim = results.simulation(frames, scenario, draws, seed, dist.value)
    except results.NotReady as e:
        fail(str(e), e.exit_code)
    except ScenarioError as e:
        fail(str(e), 2)
    for w in sim.warnings:
        warn(w)
    if scenario != BASELINE:
        record(workspace, "scenario", {"scenario": scenario, "draws": draws, "seed": seed,
                                       "distribution": dist.value})
    return sim, frames


def simulation(workspace: Path) -> tuple[Simulation, dict]:
    """The baseline with the default draws, seed and distribution (as `cyplan gap` runs it)."""
    return _simulation(workspace, BASELINE, DRAWS, SEED, Dist.triangular)


def _check(sim: Simulation, areas: Sequence[str] | None, years: Sequence[int] | None) -> None:
    unknown = [a for a in areas or [] if a not in sim.dims.areas]
    if unknown:
        fail(f"unknown area {', '.join(unknown)}; the areas are {', '.join(sim.dims.areas)}", 2)
    missing = [y for y in years or [] if y not in sim.dims.years]
    if missing:
        fail(f"no population for year {', '.join(map(str, missing))}; the years are {sim.dims.years[0]} to "
             f"{sim.dims.years[-1]}", 2)


def _labels(frames: dict[str, pl.DataFrame]) -> dict[str, dict[str, str]]:
    return {"area": dict(zip(frames["areas"]["code"], frames["areas"]["name"], strict=True)),
            "role": dict(zip(frames["roles"]["role"], frames["roles"]["label"], strict=True))}


def _with_intervals(frame: pl.DataFrame) -> pl.DataFrame:
    """For the screen: each measure as its median ± Monte Carlo error over '(5th – 95th percentile)', each
    rounded to what the draws support (display.cell)."""
    out = frame
    for m in [c for c in frame.columns if c in SHOWN_UNITS and f"{c}_p5" in frame.columns]:
        parts = [c for c in frame.columns if c == m or (c.startswith(m + "_") and c[len(m):].startswith(
            ("_p5", "_p95", ERROR_SUFFIX)))]
        out = out.with_columns(pl.struct(parts).map_elements(
            lambda r, m=m: "\n".join(p if i == 0 else f"({p})" for i, p in enumerate(cell(r, m)) if p),
            return_dtype=pl.String).alias(m)).drop([c for c in parts if c != m])
    return out


def _emit(frame: pl.DataFrame, fmt: Format, out_file: Path | None, title: str, frames: dict,
          draws: int = DRAWS, summary: str = "median ± Monte Carlo error (90% interval)") -> None:
    if fmt is Format.table and draws == 0:
        frame = frame.drop([c for c in frame.columns if c.endswith(("_p5", "_p95", ERROR_SUFFIX))])
        title += " — central values"
    elif fmt is Format.table:
        frame = _with_intervals(frame)
        title += f" — {summary}, {draws:,} draws"
    emit(frame, fmt, out_file, title, labels=_labels(frames), formats=MEASURE_FORMATS, headings=MEASURE_HEADINGS,
         totals=False)


def supply(ctx: typer.Context, workspace: WorkspaceOpt = Path("."), area: AreaOpt = None, year: YearOpt = None,
           by: GapByOpt = None,
           scenario: Annotated[str, typer.Option("--scenario", help="Run under a named scenario.")] = BASELINE,
           view: Annotated[SupplyView, typer.Option("--view", help="stock: supply by year; flows: start stock + "
                                                    "joiners from training + other joiners + recruited − leavers − "
                                                    "retirements = end stock; establishment: funded posts against "
                                                    "staff in post against need; pipeline: training places starting "
                                                    "and staff qualifying by year.")] = SupplyView.stock,
           draws: DrawsOpt = DRAWS, seed: SeedOpt = SEED, distribution: DistOpt = Dist.triangular,
           fmt: FormatOpt = Format.table, out_file: OutOpt = None) -> None:
    """The workforce for this population, year by year: the census projected by stock and flow. (And
    'cyplan supply backtest': how well the method reproduces past censuses.)"""
    if ctx.invoked_subcommand is not None:  # `cyplan supply backtest`: the subcommand does the work
        _hand_over(ctx, workspace)
        return
    sim, frames = _simulation(workspace, scenario, draws, seed, distribution)
    _check(sim, area, year)
    breakdown = [b.value for b in by] if by else ["role"]
    if view is SupplyView.stock:
        _emit(supply_table(sim, breakdown, area, year, errors=True), fmt, out_file, "Workforce supply", frames,
              draws)
        return
    if breakdown != ["role"]:
        fail(f"--view {view.value} goes with supply by role", 2)
    table, title = {SupplyView.flows: (flows_table, "Workforce flows"),
                    SupplyView.establishment: (establishment_table, "Establishment, staff in post and need"),
                    SupplyView.pipeline: (pipeline_table, "Training pipeline")}[view]
    frame = table(sim, area, year)
    if view is SupplyView.pipeline and frame.is_empty():
        warn("the workspace has no training pipelines: import them with 'cyplan import training_pipelines FILE'")
    _emit(frame, fmt, out_file, title, frames, draws, "means, so that the flows add up (end FTE with its 90% "
          "interval)" if view is SupplyView.flows else "median (90% interval)")


def from_command_line(ctx: typer.Context, name: str) -> bool:
    """Whether an option was typed (not its default or environment variable). By the source's name: Typer carries
    its own copy of Click, whose ParameterSource is not click.core's."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _hand_over(ctx: typer.Context, workspace: Path) -> None:
    """Before a subcommand (`cyplan supply -w FOLDER backtest`): the workspace goes to it; any other option of
    supply's own is refused rather than silently ignored."""
    given = [p.opts[0] for p in ctx.command.params if p.name != "workspace" and p.name in ctx.params
             and from_command_line(ctx, p.name)]
    if given:
        fail(f"{', '.join(given)} is an option of 'cyplan supply' itself: give the options of "
             f"'cyplan supply {ctx.invoked_subcommand}' after its name", 2)
    ctx.obj = workspace


def gap(workspace: WorkspaceOpt = Path("."), area: AreaOpt = None, year: YearOpt = None, by: GapByOpt = None,
        scenario: Annotated[str, typer.Option("--scenario", help="Run under a named scenario.")] = BASELINE,
        target_year: Annotated[int | None, typer.Option("--target-year", help="Also show the extra joiners a "
                                                        "year that close each role's gap by this year and, for a "
                                                        "role with a training pipeline, the places a year to "
                                                        "commission, by when, and their cost.")] = None,
        draws: DrawsOpt = DRAWS, seed: SeedOpt = SEED, distribution: DistOpt = Dist.triangular,
        fmt: FormatOpt = Format.table, out_file: OutOpt = None) -> None:
    """Demand, supply, gap, share of need met and cost to close, by role and year."""
    sim, frames = _simulation(workspace, scenario, draws, seed, distribution)
    show_gap(sim, frames, area, year, by, scenario, target_year, draws, fmt, out_file)


def show_gap(sim: Simulation, frames: dict, area: Sequence[str] | None, year: Sequence[int] | None,
             by: Sequence[GapBy] | None = None, scenario: str = BASELINE, target_year: int | None = None,
             draws: int = DRAWS, fmt: Format = Format.table, out_file: Path | None = None) -> None:
    """`cyplan gap`'s table from a simulation already run (the demo shows it too)."""
    _check(sim, area, year)
    breakdown = [b.value for b in by] if by else ["role"]
    frame = gap_table(sim, breakdown, area, year, errors=True)
    if target_year is not None:
        _check(sim, None, [target_year])
        if target_year == sim.dims.years[0]:
            fail(f"--target-year must be after the first year, {target_year}: joiners take a year to arrive", 2)
        if breakdown != ["role"]:
            fail("--target-year goes with the gap by role", 2)
        plan = training_plan(sim, target_year)
        if sim.detail is None or sim.detail.pipelines.is_empty():  # no pipelines: the extra joiners alone
            plan = plan.select("area", "role", "joiners_needed")
        frame = frame.join(plan, on=["area", "role"], how="left", maintain_order="left")
    title = "Workforce gap" + (f" under '{scenario}'" if scenario != BASELINE else "")
    _emit(frame, fmt, out_file, title, frames, draws)


def headline(sim: Simulation, area: str, year: int, draws: int = DRAWS) -> str:
    """The workforce headline for one area and year, every role together (display.workforce_headline)."""
    return workforce_headline(gap_table(sim, [], [area], [year], errors=True).row(0, named=True), year, draws)


@scenario_app.command("list")
def scenario_list(workspace: WorkspaceOpt = Path("."), fmt: FormatOpt = Format.table,
                  out_file: OutOpt = None) -> None:
    """The scenarios in the workspace and the changes each makes."""
    with open_workspace(workspace) as ws:
        scenarios = ws.read("scenarios")
    emit(scenarios.select("scenario", "description", "input", "column", "where", "operation", "value", "to_role"),
         fmt, out_file, "Scenarios", totals=False)


@scenario_app.command("run")
def scenario_run(name: Annotated[str, typer.Argument(help="The scenario to run.")],
                 workspace: WorkspaceOpt = Path("."), area: AreaOpt = None, year: YearOpt = None,
                 by: GapByOpt = None, draws: DrawsOpt = DRAWS, seed: SeedOpt = SEED,
                 distribution: DistOpt = Dist.triangular, fmt: FormatOpt = Format.table,
                 out_file: OutOpt = None) -> None:
    """The gap by role and year under one scenario."""
    gap(workspace, area, year, by, name, None, draws, seed, distribution, fmt, out_file)


@scenario_app.command("compare")
def scenario_compare(names_: Annotated[list[str] | None, typer.Argument(metavar="NAMES", help="Scenarios to "
                                                                        "compare (default: all).")] = None,
                     workspace: WorkspaceOpt = Path("."), area: AreaOpt = None,
                     year: Annotated[int | None, typer.Option("--year", help="The year compared (default: the "
                                                               "last).")] = None,
                     by: Annotated[bool, typer.Option("--by-role", help="Compare role by role.")] = False,
                     draws: DrawsOpt = DRAWS, seed: SeedOpt = SEED, distribution: DistOpt = Dist.triangular,
                     fmt: FormatOpt = Format.table, out_file: OutOpt = None) -> None:
    """Scenarios side by side with the baseline, in one year: demand, supply, gap, need met, cost to close.

    Every scenario runs on the same random numbers (the same seed), so differences between them are the
    scenarios' doing, not chance."""
    with open_workspace(workspace) as ws:
        frames = ws.read_all()
    skipped: list[str] = []
    try:
        frame, target = results.compare_scenarios(frames, names_, year, area, by, draws, seed, distribution.value,
                                                  errors=True, skipped=skipped)
    except results.NotReady as e:
        fail(str(e), 2)
    except ScenarioError as e:
        fail(str(e), 2)
    for why in skipped:
        warn(f"left out: the scenario {why}")
    record(workspace, "scenario", {"compared": names_ or "all", "draws": draws, "seed": seed,
                                   "distribution": distribution.value})
    if len(frame["area"].unique()) == 1:
        frame = frame.drop("area")
    _emit(frame, fmt, out_file, f"Scenarios compared, {target}", frames, draws)



