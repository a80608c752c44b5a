"""The gap: demand against supply by area, year and role (or sector), each as a median and 90% interval.

Totals are summed draw by draw before the interval is taken: the interval of a total is not the sum of
its parts' intervals. By sector, each role's demand is shared among sectors in proportion to the sector's
part of that role's supply in the first year (there is no demand by sector otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import polars as pl

from cyplan.model.arrays import Labelled
from cyplan.model.simulate import Simulation
from cyplan.model.uncertainty import in_parts, summarise, summarise_with_errors
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


def _contiguous(values: np.ndarray) -> np.ndarray:
    """np.ascontiguousarray(values), the copy shared out between threads."""
    if values.flags.c_contiguous:
        return values
    out = np.empty(values.shape)
    in_parts(lambda rows: np.copyto(out[rows], values[rows]), len(out))
    return out


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
        # simulate leaves demand with the draws outermost in memory: copied once so that each cell's draws lie
        # together for the gap, the share met and the sort of every quantile. By role every measure is worked
        # cell by cell (nothing is summed), so the layout changes no digit.
        demand = _labelled(sim, _contiguous(sim.demand), dims)
        supply = _labelled(sim, sim.total_supply, dims)
        cost = np.broadcast_to(sim.cost_per_fte[None, None, :, None], sim.demand.shape)
    keep = ["area", "year", *by, "draw"]
    d, s = demand.keep(keep), supply.keep(keep)

    def share_met() -> np.ndarray:  # supply ÷ demand, at most 1; 1 where there is no demand (in place: 160 MB each)
        share = np.empty(d.values.shape)

        def part(rows: slice) -> None:
            with np.errstate(divide="ignore", invalid="ignore"):
                np.divide(s.values[rows], d.values[rows], out=share[rows])
            np.minimum(share[rows], 1.0, out=share[rows])
            np.copyto(share[rows], 1.0, where=~(d.values[rows] > 0))

        in_parts(part, len(share))
        return share

    def gap() -> np.ndarray:
        cells = np.empty(demand.values.shape)
        in_parts(lambda rows: np.subtract(demand.values[rows], supply.values[rows], out=cells[rows]), len(cells))
        return cells

    def cost_to_close(cells: np.ndarray) -> None:
        """The gap's cells in place: only the cells short of staff count (a surplus in one role pays for none in
        another), at their role's cost per FTE."""
        def part(rows: slice) -> None:
            np.maximum(cells[rows], 0, out=cells[rows])
            cells[rows] *= cost[rows]

        in_parts(part, len(cells))

    def measures() -> Iterator[tuple[str, np.ndarray]]:
        """Each measure's values in turn: one full-size temporary alive at a time, the gap's cells kept for the cost
        to close, which is worked out from them in place once the gap is summarised."""
        yield "demand_fte", d.values
        yield "supply_fte", s.values
        cells = gap()
        yield "gap_fte", Labelled(cells, demand.dims, demand.coords).keep(keep).values
        cost_to_close(cells)
        yield "cost_to_close", Labelled(cells, demand.dims, demand.coords).keep(keep).values
        del cells
        yield "share_met", share_met()

    index = d.dims[:-1]
    # the rows: one per cell of the index (area, year, breakdowns), in label order; the columns added measure by measure
    frame = Labelled(np.zeros(d.values.shape[:-1]), index, {k: d.coords[k] for k in index}).to_frame("_").drop("_")
    suffixes = ["", "_p5", "_p95", ERROR, "_p5" + ERROR, "_p95" + ERROR] if errors else ["", "_p5", "_p95"]
    for name, values in measures():
        if errors:
            (p5, p50, p95), (e5, e50, e95) = summarise_with_errors(values)
            stats = [p50, p5, p95, e50, e5, e95]
        else:
            p5, p50, p95 = summarise(values)
            stats = [p50, p5, p95]
        del values
        frame = frame.with_columns(pl.Series(name + suffix, stat.ravel(), dtype=pl.Float64)
                                   for suffix, stat in zip(suffixes, stats, strict=True))
    frame = frame.select(*index, *(name + suffix for name in MEASURES for suffix in suffixes))
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
