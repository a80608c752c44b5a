"""`cyplan need`, `cyplan demand` and `cyplan costs`: the plan at central (or low, or high) values, as tables."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan import results
from cyplan.display import ESTIMATE_WORDS
from cyplan.model.plan import Plan, cost_table, demand_table, need_table
from cyplan.terminal import (
    AreaOpt,
    Format,
    FormatOpt,
    OutOpt,
    WorkspaceOpt,
    YearOpt,
    emit,
    err,
    fail,
    read_inputs,
    warn,
)


class By(StrEnum):
    level = "level"
    age_band = "age-band"
    sex = "sex"
    role = "role"


class Estimate(StrEnum):
    low = "low"
    central = "central"
    high = "high"


EstimateOpt = Annotated[Estimate, typer.Option("--estimate", help="Use the low, central or high input values.")]


def emit_plan(frame: pl.DataFrame, plan: Plan, fmt: Format, out_file: Path | None, title: str) -> None:
    """A table of the plan, its codes shown with the names the inputs give them."""
    emit(frame, fmt, out_file, title, labels=_labels(plan))


def _labels(plan: Plan) -> dict[str, dict[str, str]]:
    names = plan.dims.labels
    return {"area": names["areas"], "level": names["levels"], "role": names["roles"], "age_band": names["age_bands"]}


def _check_filters(plan: Plan, areas: Sequence[str] | None, years: Sequence[int] | None) -> None:
    unknown = [a for a in areas or [] if a not in plan.dims.areas]
    if unknown:
        fail(f"unknown area {', '.join(unknown)}; the areas are {', '.join(plan.dims.areas) or 'none yet'}", 2)
    missing = [y for y in years or [] if y not in plan.dims.years]
    if missing:
        span = f"{plan.dims.years[0]} to {plan.dims.years[-1]}" if plan.dims.years else "none yet"
        fail(f"no population for year {', '.join(map(str, missing))}; the years are {span}", 2)


def _plan(path: Path, estimate: Estimate) -> Plan:
    with err.status("Running the model…"):
        frames = read_inputs(path)
    try:
        plan = results.plan(frames, estimate.value)
    except results.NotReady as e:
        fail(str(e), e.exit_code)
    for w in (*plan.warnings, *results.sanity_warnings(frames)):
        warn(w)
    return plan


def need(workspace: WorkspaceOpt = Path("."), area: AreaOpt = None, year: YearOpt = None,
         by: Annotated[list[By] | None, typer.Option("--by", help="level, age-band or sex; repeat to combine.")] = None,
         fmt: FormatOpt = Format.table, out_file: OutOpt = None, estimate: EstimateOpt = Estimate.central) -> None:
    """Cases of need by area and year: population × prevalence (plus need counts), with the vulnerable groups'
    excess: how many more cases the groups have than the published rate alone gives them (part of the cases
    where the rate is a population average, added to them where it is a rate outside the groups)."""
    breakdown = [b.value for b in by or []]
    if "role" in breakdown:
        fail("need has no roles; use 'cyplan demand --by role' for the workforce by role", 2)
    plan = _plan(workspace, estimate)
    _check_filters(plan, area, year)
    frame = need_table(plan, breakdown, area, year)
    emit_plan(frame, plan, fmt, out_file, "Need" + (f", by {' and '.join(breakdown)}" if breakdown else "")
          + f" — {ESTIMATE_WORDS[estimate.value]}")


def demand(workspace: WorkspaceOpt = Path("."), area: AreaOpt = None, year: YearOpt = None,
           by: Annotated[list[By] | None, typer.Option("--by", help="role, level, age-band or sex; repeat to "
                                                      "combine (default: role).")] = None,
           fmt: FormatOpt = Format.table, out_file: OutOpt = None, estimate: EstimateOpt = Estimate.central) -> None:
    """Workforce demand: direct hours, FTE and cost by area and year."""
    breakdown = [b.value for b in by] if by else ["role"]
    plan = _plan(workspace, estimate)
    _check_filters(plan, area, year)
    frame = demand_table(plan, breakdown, area, year)
    emit_plan(frame, plan, fmt, out_file, f"Workforce demand, by {' and '.join(breakdown)} — "
          f"{ESTIMATE_WORDS[estimate.value]}")


def costs(workspace: WorkspaceOpt = Path("."), area: AreaOpt = None, year: YearOpt = None,
          fmt: FormatOpt = Format.table, out_file: OutOpt = None, estimate: EstimateOpt = Estimate.central) -> None:
    """The cost of meeting need as a budget's lines: pay, non-pay costs of staff, overheads, non-pay costs per
    case, and their total, by area and year."""
    plan = _plan(workspace, estimate)
    _check_filters(plan, area, year)
    emit_plan(cost_table(plan, area, year), plan, fmt, out_file, "Cost of meeting need, by budget line")
