"""Run need → demand for every area and year at once, and break the results down as asked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from cyplan.model.arrays import Labelled
from cyplan.model.build import Arrays, Dims, build
from cyplan.model.demand import demand, hours_per_case
from cyplan.model.need import counted_cases, need
from cyplan.schema import AGES, SEXES

BREAKDOWNS = ("level", "age-band", "sex", "role")
NEED_BREAKDOWNS = ("level", "age-band", "sex")


@dataclass(frozen=True)
class Plan:
    dims: Dims
    estimate: str
    population: Labelled  # [area, year, age, sex]
    base: Labelled  # [area, year, age, sex, level]: population × prevalence, plus cases from need counts
    uplift: Labelled  # [area, year, age, sex, level]: vulnerable groups' cases above the published rate
    hours: Labelled  # [area, year, age, sex, level, role]
    fte: Labelled
    cost: Labelled
    warnings: tuple[str, ...]
    added: np.ndarray | float = 1.0  # [age, sex, level]: 1 where the uplift is added (a rate outside the groups)

    @property
    def cases(self) -> Labelled:
        return Labelled(self.base.values + self.uplift.values * self.added, self.base.dims, self.base.coords)


def run(frames: dict[str, pl.DataFrame], estimate: str = "central") -> Plan:
    return run_arrays(build(frames, estimate), estimate)


def run_arrays(a: Arrays, estimate: str = "central") -> Plan:
    d = a.dims
    counted = counted_cases(a.counted, a.count_share) if a.count_groups else None
    n = need(a.population, a.prevalence, a.group_size, a.relative_risk, a.average, counted)
    per_case = hours_per_case(a.step_level, a.step_hours, a.mix, len(d.levels))
    dem = demand(n.cases, a.coverage, per_case, a.roles)
    coords: dict[str, tuple[object, ...]] = {"area": d.areas, "year": d.years, "age": AGES, "sex": SEXES,
                                             "level": d.levels, "role": d.roles}
    cell = ("area", "year", "age", "sex")

    def lab(values, dims):  # type: ignore[no-untyped-def]
        return Labelled(values, dims, {k: coords[k] for k in dims})

    return Plan(
        dims=d, estimate=estimate,
        population=lab(a.population, cell),
        base=lab(n.base, (*cell, "level")),
        uplift=lab(n.uplift.sum(axis=-1), (*cell, "level")),
        hours=lab(dem.hours, (*cell, "level", "role")),
        fte=lab(dem.fte, (*cell, "level", "role")),
        cost=lab(dem.cost, (*cell, "level", "role")),
        warnings=a.warnings, added=n.added,
    )


def _by_dims(by: Sequence[str]) -> list[str]:
    return ["area", "year", *(("age_band" if b == "age-band" else b) for b in by)]


def _breakdown(plan: Plan, arr: Labelled, by: Sequence[str], name: str) -> pl.DataFrame:
    if "age-band" in by:
        arr = arr.regroup("age", "age_band", plan.dims.band_of_age, plan.dims.bands)
    dims = [d for d in _by_dims(by) if d in arr.dims]
    return arr.keep(dims).to_frame(name)


def _filter(frame: pl.DataFrame, areas: Sequence[str] | None, years: Sequence[int] | None) -> pl.DataFrame:
    if areas:
        frame = frame.filter(pl.col("area").is_in(list(areas)))
    if years:
        frame = frame.filter(pl.col("year").is_in(list(years)))
    return frame


def need_table(plan: Plan, by: Sequence[str] = (), areas: Sequence[str] | None = None,
               years: Sequence[int] | None = None) -> pl.DataFrame:
    """Cases by area, year and the breakdowns asked for, with the population they come from."""
    bad = [b for b in by if b not in NEED_BREAKDOWNS]
    if bad:
        raise ValueError(f"need cannot be broken down by {', '.join(bad)}; choose from {', '.join(NEED_BREAKDOWNS)}")
    keys = _by_dims(by)
    cases = _breakdown(plan, plan.cases, by, "cases")
    uplift = _breakdown(plan, plan.uplift, by, "group_uplift")
    pop = _breakdown(plan, plan.population, by, "population")
    frame = (cases.join(uplift, on=keys, maintain_order="left")
             .join(pop, on=[k for k in keys if k in pop.columns], maintain_order="left")
             .with_columns((pl.col("cases") / pl.col("population") * 1000).alias("per_1000")))
    return _filter(frame.select(*keys, "population", "cases", "group_uplift", "per_1000"), areas, years)


def demand_table(plan: Plan, by: Sequence[str] = ("role",), areas: Sequence[str] | None = None,
                 years: Sequence[int] | None = None) -> pl.DataFrame:
    """Direct hours, FTE and cost by area, year and the breakdowns asked for."""
    keys = _by_dims(by)
    frame = _breakdown(plan, plan.hours, by, "hours")
    for arr, name in ((plan.fte, "fte"), (plan.cost, "cost")):
        frame = frame.join(_breakdown(plan, arr, by, name), on=keys, maintain_order="left")
    return _filter(frame, areas, years)
