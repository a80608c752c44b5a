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
from cyplan.model.uncertainty import summarise
from cyplan.schema.supply import SECTORS

GAP_BREAKDOWNS = ("role", "sector")
MEASURES = ("demand_fte", "supply_fte", "gap_fte", "share_met", "cost_to_close")


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
              years: Sequence[int] | None = None) -> pl.DataFrame:
    """area, year, the breakdowns, then each measure's median with _p5 and _p95 columns."""
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
        p5, p50, p95 = summarise(measures[name]())
        summary = Labelled(np.stack([p50, p5, p95], axis=-1), (*d.dims[:-1], "stat"),
                           {**{k: d.coords[k] for k in index}, "stat": ("", "_p5", "_p95")}).to_frame(name)
        wide = summary.pivot(on="stat", index=index, values=name, maintain_order=True)
        wide = wide.rename({"": name, "_p5": f"{name}_p5", "_p95": f"{name}_p95"})
        frame = wide if frame is None else frame.join(wide, on=index, maintain_order="left")
    assert frame is not None
    if areas:
        frame = frame.filter(pl.col("area").is_in(list(areas)))
    if years:
        frame = frame.filter(pl.col("year").is_in(list(years)))
    return frame


def supply_table(sim: Simulation, by: Sequence[str] = ("role",), areas: Sequence[str] | None = None,
                 years: Sequence[int] | None = None) -> pl.DataFrame:
    """Supply for this population (median and 90% interval) by area, year and role or sector."""
    return gap_table(sim, by, areas, years).select(
        "area", "year", *by, "supply_fte", "supply_fte_p5", "supply_fte_p95")
