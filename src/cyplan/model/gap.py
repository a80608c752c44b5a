"""The gap: demand against supply by area, year and role (or sector), each as a median and 90% interval.

Totals are summed draw by draw before the interval is taken: the interval of a total is not the sum of
its parts' intervals. By sector, each role's demand is shared among sectors in proportion to the sector's
part of that role's supply in the first year (there is no demand by sector otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from cyplan.model.arrays import Labelled
from cyplan.model.simulate import Simulation
from cyplan.model.uncertainty import summarise, summarise_with_errors
from cyplan.schema.supply import SECTORS

GAP_BREAKDOWNS = ("role", "sector")
MEASURES = ("demand_fte", "supply_fte", "gap_fte", "share_met", "cost_to_close")
ERROR = "_mcse"  # suffix of a figure's Monte Carlo standard error column: demand_fte_mcse, demand_fte_p5_mcse, …


def _labelled(sim: Simulation, values: np.ndarray, dims: tuple[str, ...]) -> Labelled:
    coords: dict[str, tuple[object, ...]] = {"area": sim.dims.areas, "year": sim.dims.years, "role": sim.dims.roles,
                                             "sector": SECTORS, "draw": tuple(range(values.shape[-1]))}
    return Labelled(values, dims, {d: coords[d] for d in dims})


def _by_sector(sim: Simulation) -> dict[str, np.ndarray]:
    """Demand, supply and cost per FTE on [area, year, role, sector, draw]."""
    first = sim.supply[:, :1].mean(axis=-1, keepdims=True)  # [area, 1, role, sector, 1]
    total = first.sum(axis=3, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(total > 0, first / total, 1.0 / len(SECTORS))
    return {"demand": sim.demand[:, :, :, None] * weight, "supply": sim.supply}


def gap_table(sim: Simulation, by: Sequence[str] = ("role",), areas: Sequence[str] | None = None,
              years: Sequence[int] | None = None, errors: bool = False) -> pl.DataFrame:
    """area, year, the breakdowns, then each measure's median with _p5 and _p95 columns; with `errors`, each of
    the three also with its Monte Carlo standard error (_mcse, _p5_mcse, _p95_mcse: uncertainty.quantile_errors),
    so that what is shown can be rounded to what the draws support."""
    bad = [b for b in by if b not in GAP_BREAKDOWNS]
    if bad:
        raise ValueError(f"the gap cannot be broken down by {', '.join(bad)}; choose from {', '.join(GAP_BREAKDOWNS)}")
    if "sector" in by:
        parts = _by_sector(sim)
        dims: tuple[str, ...] = ("area", "year", "role", "sector", "draw")
        demand, supply = _labelled(sim, parts["demand"], dims), _labelled(sim, parts["supply"], dims)
        cost = np.broadcast_to(sim.cost_per_fte[None, None, :, None, None], parts["demand"].shape)
    else:
        dims = ("area", "year", "role", "draw")
        demand, supply = _labelled(sim, sim.demand, dims), _labelled(sim, sim.total_supply, dims)
        cost = np.broadcast_to(sim.cost_per_fte[None, None, :, None], sim.demand.shape)
    keep = ["area", "year", *by, "draw"]
    d, s = demand.keep(keep), supply.keep(keep)

    def gap_cells() -> np.ndarray:
        return demand.values - supply.values

    def cost_cells() -> np.ndarray:
        # cost to close counts only the cells short of staff: a surplus in one role pays for none in another
        short = np.maximum(gap_cells(), 0)
        short *= cost
        return Labelled(short, demand.dims, demand.coords).keep(keep).values

    def share_met() -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(d.values > 0, np.minimum(s.values / d.values, 1.0), 1.0)

    measures = {"demand_fte": lambda: d.values, "supply_fte": lambda: s.values,
                "gap_fte": lambda: Labelled(gap_cells(), demand.dims, demand.coords).keep(keep).values,
                "share_met": share_met, "cost_to_close": cost_cells}
    frame = None
    index = list(d.dims[:-1])
    for name in MEASURES:  # one measure at a time, so that only one full-size temporary is alive
        values = measures[name]()
        if errors:
            (p5, p50, p95), (e5, e50, e95) = summarise_with_errors(values)
            stats, suffixes = [p50, p5, p95, e50, e5, e95], ["", "_p5", "_p95", ERROR, "_p5" + ERROR, "_p95" + ERROR]
        else:
            p5, p50, p95 = summarise(values)
            stats, suffixes = [p50, p5, p95], ["", "_p5", "_p95"]
        del values
        summary = Labelled(np.stack(stats, axis=-1), (*d.dims[:-1], "stat"),
                           {**{k: d.coords[k] for k in index}, "stat": tuple(suffixes)}).to_frame(name)
        wide = summary.pivot(on="stat", index=index, values=name, maintain_order=True)
        wide = wide.rename({s: name + s for s in suffixes})
        frame = wide if frame is None else frame.join(wide, on=index, maintain_order="left")
    assert frame is not None
    if areas:
        frame = frame.filter(pl.col("area").is_in(list(areas)))
    if years:
        frame = frame.filter(pl.col("year").is_in(list(years)))
    return frame


def supply_table(sim: Simulation, by: Sequence[str] = ("role",), areas: Sequence[str] | None = None,
                 years: Sequence[int] | None = None, errors: bool = False) -> pl.DataFrame:
    """Supply for this population (median and 90% interval, with `errors` their Monte Carlo errors) by area,
    year and role or sector."""
    return gap_table(sim, by, areas, years, errors).select("area", "year", *by, pl.col("^supply_fte.*$"))



def staff_cost(sim: Simulation, areas: Sequence[str] | None = None,
               years: Sequence[int] | None = None) -> pl.DataFrame:
    """The staff cost a year of meeting the need in full, Σ over roles and the areas named (default: all) of
    demand FTE × cost per FTE, summed draw by draw, one row per year: `cost`, its 90% interval and Monte Carlo
    errors, summarised like gap_table's measures (so a paper states it as it states the workforce)."""
    chosen = [i for i, a in enumerate(sim.dims.areas) if not areas or a in areas]
    cost = np.einsum("ayrd,r->yd", sim.demand[chosen], sim.cost_per_fte)  # [year, draw]
    (p5, p50, p95), (e5, e50, e95) = summarise_with_errors(cost)
    frame = pl.DataFrame({"year": list(sim.dims.years),
                          **{f"cost{s}": v for s, v in (("", p50), ("_p5", p5), ("_p95", p95), (ERROR, e50),
                                                        ("_p5" + ERROR, e5), ("_p95" + ERROR, e95))}})
    return frame.filter(pl.col("year").is_in(list(years))) if years else frame
