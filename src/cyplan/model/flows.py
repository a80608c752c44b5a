"""The workforce as stock and flow, for people: each year's flows, funded establishment against staff in post
against need, the training pipeline, and the training places that would close a gap by a target year.

Every figure is for this population (FTE in post × CYP share), by area, role and year, summed over sectors
draw by draw. Flows are shown as their mean over the draws, so that start + inflows − outflows = end holds in
the table as it does in every draw (medians of the parts do not add up to the median of the whole).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from cyplan.model.gap import ERROR
from cyplan.model.simulate import Simulation, SupplyDetail
from cyplan.model.supply import ALL_FLOWS, FLOWS, annuity, flows
from cyplan.model.uncertainty import summarise, summarise_with_errors

FLOW_COLUMNS = {"start": "start_fte", "from_training": "from_training", "other_joiners": "other_joiners",
                "recruited": "recruited", "leavers": "leavers", "retirements": "retirements", "end": "end_fte"}
# with age bands, sector flows or a part-time trend (issue 13 parts 3 and 4); ageing moves staff between bands
# of one row, so it adds nothing to a row's stock and is not shown
MOVE_COLUMNS = {"transfers_in": "transfers_in", "from_agency": "from_agency", "working_pattern": "working_pattern",
                "transfers_out": "transfers_out", "to_agency": "to_agency"}


def _detail(sim: Simulation) -> SupplyDetail:
    if sim.detail is None:
        raise ValueError("there is no workforce census to show")
    return sim.detail


ALL_ROLES = "all roles"  # the role of a row that sums every role, draw by draw


def _by_role(sim: Simulation, rows: np.ndarray, together: bool = False, keep: np.ndarray | None = None) -> np.ndarray:
    """[row, year, draw] → [area, role, year, draw], summing each role's sectors (or every role, into one); `rows`
    holds census rows `keep` alone when given (the other areas are left at 0)."""
    area, role, _ = sim.census_cells
    if keep is not None:
        area, role = area[keep], role[keep]
    out = np.zeros((len(sim.dims.areas), 1 if together else len(sim.dims.roles), *rows.shape[1:]))
    # row by row, in order: the very additions np.add.at makes (the same doubles), without its per-element
    # indexing, which was a third of the workforce page's stock and flow (issue 17 part 4)
    for i, cell in enumerate(zip(area.tolist(), [0] * len(role) if together else role.tolist(), strict=True)):
        out[cell] += rows[i]
    return out


def _frame(sim: Simulation, columns: dict[str, np.ndarray], areas: Sequence[str] | None,
           years: Sequence[int] | None) -> pl.DataFrame:
    """A frame by area, role and year from [area, role, year] arrays, for the census's (area, role) cells only
    (or one row per area and year, role ALL_ROLES, from [area, 1, year] arrays)."""
    d = sim.dims
    together = next(iter(columns.values())).shape[1] == 1
    roles = (ALL_ROLES,) if together else d.roles
    index = pl.DataFrame({"area": [a for a in d.areas for _ in roles for _ in d.years],
                          "role": [r for _ in d.areas for r in roles for _ in d.years],
                          "year": [y for _ in d.areas for _ in roles for y in d.years]})
    frame = index.with_columns(pl.Series(k, v.ravel()) for k, v in columns.items())
    area, role, _ = sim.census_cells
    held = pl.DataFrame({"area": [d.areas[a] for a in area],
                         "role": [ALL_ROLES if together else d.roles[r] for r in role]}).unique()
    frame = frame.join(held, on=["area", "role"], how="semi", maintain_order="left")
    if areas:
        frame = frame.filter(pl.col("area").is_in(list(areas)))
    if years:
        frame = frame.filter(pl.col("year").is_in(list(years)))
    return frame


def _interval(name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """The median and 90% interval over the draws, each with its Monte Carlo error (as gap_table's), so that
    they are shown as precisely as the draws support and no more."""
    (p5, p50, p95), (e5, e50, e95) = summarise_with_errors(values)
    return {name: p50, f"{name}_p5": p5, f"{name}_p95": p95,
            f"{name}{ERROR}": e50, f"{name}_p5{ERROR}": e5, f"{name}_p95{ERROR}": e95}


def flows_table(sim: Simulation, areas: Sequence[str] | None = None, years: Sequence[int] | None = None,
                together: bool = False) -> pl.DataFrame:
    """Each year's start stock, joiners from training, other joiners, recruited into vacancies, leavers,
    retirements and end stock (means over draws), with the end stock's 90% interval and agency FTE; by role,
    or every role together (role ALL_ROLES). With age bands, sector flows or a part-time trend, also transfers
    in and out, moves from and to agency work and the change from FTE per head (working_pattern)."""
    detail = _detail(sim)
    # only the areas asked for: each flow is [row, year, draw] for every census row (at national scale, with age
    # bands, some fifteen arrays of 230 MB), and an area's rows project alone as they do among all (Rates.rows)
    keep = np.flatnonzero(np.isin(sim.census_cells[0], [sim.dims.areas.index(a) for a in areas
                                                         if a in sim.dims.areas])) if areas else None
    rates = detail.rates if keep is None else detail.rates.rows(keep)
    cyp = detail.cyp if keep is None else detail.cyp[keep]
    rows = flows(rates, detail.n_years)
    names = [n for n in ALL_FLOWS if n in FLOW_COLUMNS or n in MOVE_COLUMNS] if detail.rates.moving else FLOWS
    columns: dict[str, np.ndarray] = {}
    for name in names:
        by_role = _by_role(sim, rows.pop(name) * cyp[:, None, :], together, keep)
        columns[(FLOW_COLUMNS | MOVE_COLUMNS)[name]] = by_role.mean(axis=-1)
        if name == "end":
            p5, _, p95 = summarise(by_role)
            columns |= {"end_fte_p5": p5, "end_fte_p95": p95}
    agency = _by_role(sim, _agency(detail, sim.census.shape, keep), together, keep)
    columns["agency_fte"] = agency.mean(axis=-1)
    return _frame(sim, columns, areas, years)


def _agency(detail: SupplyDetail, shape: tuple[int, ...], keep: np.ndarray | None = None) -> np.ndarray:
    """Agency FTE for this population [row, year, draw] (census rows `keep` alone when given): held at the
    census's unless staff move into or out of agency work."""
    rows = slice(None) if keep is None else keep
    if detail.agency_path is not None:
        return detail.agency_path[rows] * detail.cyp[rows, None, :]
    cyp = detail.cyp[rows]
    return np.broadcast_to((detail.agency[rows, None] * cyp)[:, None, :], (cyp.shape[0], *shape[1:]))


def in_post(sim: Simulation, together: bool = False) -> np.ndarray:
    """Staff in post for this population (no agency) [area, role, year, draw]."""
    detail = _detail(sim)
    return _by_role(sim, sim.census - _agency(detail, sim.census.shape), together)


def establishment_table(sim: Simulation, areas: Sequence[str] | None = None, years: Sequence[int] | None = None,
                        together: bool = False) -> pl.DataFrame:
    """Funded establishment (in post + vacant, held at the census's), staff in post, vacancies against the
    establishment (negative: more in post than funded), need (demand) and the gaps against need: of supply
    and of the establishment. By role, or every role together, summed draw by draw."""
    detail = _detail(sim)
    staff = in_post(sim, together)
    funded = _by_role(sim, np.broadcast_to((detail.rates.establishment[:, 0] * detail.cyp_central)[:, None, None],
                                           (sim.census.shape[0], len(sim.dims.years), 1)), together)[..., 0]
    demand = np.moveaxis(sim.demand, 2, 1)  # [area, role, year, draw]
    supply = np.moveaxis(sim.total_supply, 2, 1)
    if together:
        demand, supply = demand.sum(axis=1, keepdims=True), supply.sum(axis=1, keepdims=True)
    return _frame(sim, {"establishment_fte": funded, **_interval("in_post_fte", staff),
                        **_interval("vacant_fte", funded[..., None] - staff),
                        **_interval("demand_fte", demand), **_interval("gap_fte", demand - supply),
                        **_interval("unfunded_fte", demand - funded[..., None])}, areas, years)


def pipeline_table(sim: Simulation, areas: Sequence[str] | None = None,
                   years: Sequence[int] | None = None) -> pl.DataFrame:
    """By area, role and year: training places starting, their cost (places × cost per place, counted in the
    year they start), those qualifying (central) and those joining here (median and 90% interval)."""
    detail = _detail(sim)
    d, p = sim.dims, detail.pipelines
    shape = (len(d.areas), len(d.roles), len(d.years))
    starting, cost, qualifying = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    area, role, _ = sim.census_cells
    year = np.asarray(d.years)
    for r in p.iter_rows(named=True):  # a loop over the few pipeline rows
        cell = (area[r["row"]], role[r["row"]])
        last = r["end_year"] if r["end_year"] is not None else d.years[-1]
        runs = (year >= r["start_year"]) & (year <= last)
        arrive = (year - r["course_years"] >= r["start_year"]) & (year - r["course_years"] <= last)
        starting[cell] += runs * r["places"]
        cost[cell] += runs * r["places"] * (r["cost_per_place"] or 0.0)
        qualifying[cell] += arrive * r["places"] * r["completion_rate"]
    joining = _by_role(sim, np.asarray(detail.rates.arrivals))
    frame = _frame(sim, {"places_starting": starting, "training_cost": cost, "qualifying": qualifying,
                         **_interval("joining_here", joining)}, areas, years)
    held = p.select("area", "role").unique()
    return frame.join(held, on=["area", "role"], how="semi", maintain_order="left")


def training_plan(sim: Simulation, target_year: int) -> pl.DataFrame:
    """For each area and role: the extra joiners a year that close the gap by `target_year` (as
    Simulation.joiners_to_close), and, for a role with a training pipeline, what training would do it: places
    a year from the first year to the last intake that qualifies in time (target − course length), their
    cost, or why training alone cannot (the first intake would qualify after the target year)."""
    d, detail = sim.dims, _detail(sim)
    t = d.years.index(target_year)
    extra = sim.joiners_to_close(target_year)
    area, role, _ = sim.census_cells
    latest = {}
    for r in detail.pipelines.sort("start_year", "places").iter_rows(named=True):  # the pipeline in force last
        latest[(area[r["row"]], role[r["row"]])] = r
    rows = []
    for i, a in enumerate(d.areas):
        for j, role_name in enumerate(d.roles):
            rows.append({"area": a, "role": role_name, "joiners_needed": float(extra[i, j]),
                         **_places(latest.get((i, j)), float(extra[i, j]), 1.0 - sim.leaving[i, j], t, d.years,
                                   detail.cyp_central)})
    return pl.DataFrame(rows, schema=TRAINING_SCHEMA)


TRAINING_SCHEMA = {"area": pl.String, "role": pl.String, "joiners_needed": pl.Float64, "course_years": pl.Int64,
                   "commission_by": pl.Int64, "places_a_year": pl.Float64, "places_cost": pl.Float64,
                   "by_training": pl.String}


def _places(pipeline: dict | None, extra: float, a: float, t: int, years: tuple[int, ...],
            cyp: np.ndarray) -> dict[str, object]:
    """Places a year, from the first year to target − course length, whose joiners leave the same FTE in post
    at the target year as `extra` joiners a year from the first year on would: extra × Σ_{k<t} a^k spread over
    the t − c + 1 intakes that qualify in time, each yielding completion × share here × CYP share."""
    if pipeline is None:
        return {"course_years": None, "commission_by": None, "places_a_year": None, "places_cost": None,
                "by_training": "no training pipeline"}
    c = int(pipeline["course_years"])
    by = years[t] - c
    out: dict[str, object] = {"course_years": c, "commission_by": by, "places_a_year": None, "places_cost": None}
    if by < years[0]:
        return out | {"by_training": f"not by training alone: places started in {years[0]} qualify in "
                                     f"{years[0] + c}"}
    yield_ = pipeline["completion_rate"] * pipeline["share_taking_post_here"] * float(cyp[pipeline["row"]])
    if extra <= 0:
        return out | {"places_a_year": 0.0, "places_cost": 0.0, "by_training": "no extra places needed"}
    if yield_ <= 0:
        return out | {"by_training": "not by training: no one who qualifies takes a post here"}
    intakes = t - c + 1
    places = extra * float(annuity(np.asarray(a), t)) / float(annuity(np.asarray(a), intakes)) / yield_
    return out | {"places_a_year": places, "places_cost": places * intakes * (pipeline["cost_per_place"] or 0.0),
                  "by_training": f"yes: {intakes} intake{'s' if intakes > 1 else ''}, {years[0]}–{by}"}
