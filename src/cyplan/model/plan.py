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
    cost: Labelled  # pay + non_pay + overheads
    warnings: tuple[str, ...]
    added: np.ndarray | float = 1.0  # [age, sex, level]: 1 where the uplift is added (a rate outside the groups)
    pay: Labelled | None = None  # [area, year, age, sex, level, role], as cost
    non_pay: Labelled | None = None
    overheads: Labelled | None = None
    case_cost: Labelled | None = None  # [area, year, age, sex, level]: non-pay cost of the cases reached

    @property
    def cases(self) -> Labelled:
        return Labelled(self.base.values + self.uplift.values * self.added, self.base.dims, self.base.coords)


def run(frames: dict[str, pl.DataFrame], estimate: str = "central") -> Plan:
    return run_arrays(build(frames, estimate), estimate)


def run_arrays(a: Arrays, estimate: str = "central") -> Plan:
    d = a.dims
    counted = counted_cases(a.counted, a.count_share) if a.count_groups else None
    n = need(a.population, a.prevalence, a.group_size, a.relative_risk, a.average, counted)
    share = a.step_share if a.step_share is not None else 1.0
    per_case = hours_per_case(a.step_level, a.step_hours * share, a.mix, len(d.levels))
    cases, coverage = n.cases, a.coverage
    if a.coverage_cells is not None:  # coverage by age band and group: the cases reached, with coverage 1 after
        cases, coverage = covered_cases(a, n.base, n.uplift, n.added), np.ones_like(a.coverage)
    dem = demand(cases, coverage, per_case, a.roles, a.ratio)
    case_cost = cases * coverage * (a.case_cost if a.case_cost is not None else 0.0)
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
        pay=lab(dem.pay, (*cell, "level", "role")),
        non_pay=lab(dem.non_pay, (*cell, "level", "role")),
        overheads=lab(dem.overheads, (*cell, "level", "role")),
        case_cost=lab(case_cost, (*cell, "level")),
    )


def covered_cases(a: Arrays, base: np.ndarray, uplift: np.ndarray, added: np.ndarray | float = 1.0) -> np.ndarray:
    """Cases services are to reach [area, year, age, sex, level]: each child's cases × the coverage of its level
    and age, and a group's cases (its children's share of the base, n × p, and its uplift) × the group's. Where
    a rate is a population average (`added` 0) the groups' excess is already in the base and keeps the
    coverage of its age and level: a group's own coverage applies to its children's cases at the published
    rate (docs/method.md, 'Coverage by age band and group')."""
    assert a.coverage_cells is not None and a.group_coverage is not None
    cov = a.coverage_cells.T[:, None, :]  # [age, 1, level]
    cov_g = np.transpose(a.group_coverage, (2, 1, 0))[:, None]  # [age, 1, level, group]
    n = np.moveaxis(a.group_size, 2, -1)[..., None, :]  # [area, year, age, sex, 1, group]
    p = np.moveaxis(a.prevalence, 1, -1)[None, ..., None]  # [1, year, age, sex, level, 1]
    added = np.asarray(added)[..., None] if np.ndim(added) else added  # [age, sex, level, 1]
    return base * cov + (uplift * added * cov_g).sum(-1) + (n * p * (cov_g - cov[..., None])).sum(-1)


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


COST_LINES = ("pay", "non_pay", "overheads", "case_costs", "total")


def has_cost_lines(plan: Plan) -> bool:
    """Whether the plan counts anything beyond pay: non-pay costs or overheads, by FTE or by case."""
    return any(x is not None and bool(x.values.any()) for x in (plan.non_pay, plan.overheads, plan.case_cost))


def cost_table(plan: Plan, areas: Sequence[str] | None = None, years: Sequence[int] | None = None) -> pl.DataFrame:
    """The cost lines a budget has, by area and year: pay (salary and on-costs), non-pay costs of staff,
    overheads, non-pay costs per case, and their total (the demand table's cost plus the per-case costs)."""
    assert plan.pay is not None and plan.non_pay is not None and plan.overheads is not None
    assert plan.case_cost is not None
    keys = ["area", "year"]
    frame = plan.pay.keep(keys).to_frame("pay")
    for arr, name in ((plan.non_pay, "non_pay"), (plan.overheads, "overheads"), (plan.case_cost, "case_costs")):
        frame = frame.join(arr.keep(keys).to_frame(name), on=keys, maintain_order="left")
    frame = frame.with_columns(pl.sum_horizontal("pay", "non_pay", "overheads", "case_costs").alias("total"))
    return _filter(frame, areas, years)


def demand_table(plan: Plan, by: Sequence[str] = ("role",), areas: Sequence[str] | None = None,
                 years: Sequence[int] | None = None) -> pl.DataFrame:
    """Direct hours, FTE and cost by area, year and the breakdowns asked for."""
    keys = _by_dims(by)
    frame = _breakdown(plan, plan.hours, by, "hours")
    lines = ((plan.pay, "pay"), (plan.non_pay, "non_pay"), (plan.overheads, "overheads")) \
        if has_cost_lines(plan) else ()  # the split only where there is one: pay alone is the cost
    for arr, name in ((plan.fte, "fte"), *lines, (plan.cost, "cost")):
        assert arr is not None
        frame = frame.join(_breakdown(plan, arr, by, name), on=keys, maintain_order="left")
    return _filter(frame, areas, years)
