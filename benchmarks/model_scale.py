"""The model at national scale: need → demand → supply → gap for every upper-tier council at once, with
Monte Carlo draws, against a straightforward pandas implementation of the same formulas.

Run alone:  .venv/bin/python benchmarks/model_scale.py [--repeats 3] [--draws 1000] [--areas 153] [--subset 10]

Synthetic inputs (a fixed seed): 153 areas × 11 years × ages 0–25 × 2 sexes, 4 levels, 8 vulnerable groups,
4 levels × 6 pathway steps, 12 roles, a workforce census of 1–2 sectors per area and role, prevalence trends.
cyplan is timed on simulate(frames, draws, seed=1) followed by gap_table(sim, ["role"]) (the whole run, with the
median and 90% interval of every measure). Targets (DESIGN.md, on 2 cores): under 10 s and under 2 GB; at least
20× faster than the pandas baseline. The pandas baseline and cyplan's central run must agree to 1e-9.

Timing: the median of --repeats runs in this process. Memory: one more run in a fresh process (multiprocessing,
spawn), whose peak resident set size (VmHWM) is read before and after; that run's time is the time of a first,
cold run. pandas: the central values only (one draw), area by area, timed on the first --subset areas; the shared
setup is counted once and the loop scaled by areas / subset, then the whole by the number of draws (each draw
would rerun it with other inputs). It is also run on every area when that would take under a minute. Exit status 1
if pandas and cyplan differ by more than 1e-9 (relative) in demand or supply FTE for any area, year and role.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import gc
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl

from cyplan.model.build import build, empty
from cyplan.model.gap import gap_table
from cyplan.model.simulate import Simulation, simulate
from cyplan.model.supply import RETIREMENT_YEARS
from cyplan.schema import AGES, KINDS, SEXES
from cyplan.schema.supply import SECTORS

YEARS = tuple(range(2025, 2036))  # 11 years
LEVELS = ("universal", "targeted", "specialist", "tertiary")
COVERAGE = (0.6, 0.9, 1.0, 1.0)
PREVALENCE_RANGES = ((0, 4), (5, 11), (12, 17), (18, 25))
PREVALENCE = {  # central prevalence per age range above
    "universal": (0.20, 0.25, 0.30, 0.22),
    "targeted": (0.06, 0.10, 0.14, 0.12),
    "specialist": (0.02, 0.04, 0.06, 0.05),
    "tertiary": (0.01, 0.02, 0.03, 0.025),
}
TRENDS = {"universal": 0.005, "targeted": 0.02, "specialist": 0.015, "tertiary": 0.01}
GROUPS = {  # group: (relative risk, [(age_from, age_to, children per child of those ages)])
    "looked_after": (4.0, [(0, 17, 0.007)]),
    "children_in_need": (2.5, [(0, 17, 0.033)]),
    "child_protection": (3.0, [(0, 17, 0.004)]),
    "refugee_asylum": (2.0, [(0, 25, 0.003)]),
    "learning_disabilities": (3.0, [(0, 17, 0.05), (18, 25, 0.03)]),
    "bme": (1.2, [(0, 25, 0.25)]),
    "young_offenders": (3.5, [(10, 17, 0.01)]),
    "additional_needs": (2.0, [(0, 25, 0.02)]),
}
NO_RISK_GIVEN = {("bme", "universal")}  # left out on purpose: a missing pair means a relative risk of 1
STEPS = ("triage", "assessment", "core intervention", "specialist input", "review", "family support")
STEP_HOURS = {  # central hours per case per year, per step above
    "universal": (0.5, 1.0, 2.0, 0.5, 0.5, 1.0),
    "targeted": (1.0, 2.0, 8.0, 1.0, 1.0, 3.0),
    "specialist": (2.0, 4.0, 18.0, 4.0, 2.0, 6.0),
    "tertiary": (3.0, 6.0, 27.0, 4.0, 12.0, 12.0),
}
ROLES = ("mh_practitioner", "clinical_psychologist", "psychiatrist", "specialist_therapist", "wellbeing_practitioner",
         "school_nurse", "health_visitor", "social_worker", "family_support_worker", "youth_worker",
         "educational_psychologist", "speech_language_therapist")
PANDAS_LIMIT = 60.0  # seconds: run the pandas baseline on every area only if its estimate is under this


# -- synthetic inputs ---------------------------------------------------------------------------------------

def typed(kind: str, columns: dict[str, Any]) -> pl.DataFrame:
    """An input frame with exactly the schema's columns and types; columns not given are blank or take the
    schema's default, as a validated import gives them (tests/test_benchmark_model.py checks this)."""
    schema = empty(kind).schema
    n = len(next(iter(columns.values())))
    out = {}
    for col in KINDS[kind].columns:
        dtype = schema[col.name]
        if col.name in columns:
            out[col.name] = pl.Series(col.name, list(columns[col.name]) if not isinstance(columns[col.name], np.ndarray)
                                      else columns[col.name], dtype=dtype)
        elif dtype == pl.String:  # a blank text cell is "", a blank code or choice is null
            out[col.name] = pl.Series(col.name, [col.default or ("" if col.type == "text" else None)] * n, dtype=dtype)
        else:
            value = float(col.default) if col.default else None
            out[col.name] = pl.Series(col.name, [value] * n, dtype=dtype)
    return pl.DataFrame(out)


def area_codes(n: int) -> list[str]:
    return [f"E06{i:06d}" for i in range(1, n + 1)]


def synthetic_inputs(n_areas: int = 153, seed: int = 20250601) -> dict[str, pl.DataFrame]:
    """Every input the model reads, for n_areas councils, from a fixed seed."""
    rng = np.random.default_rng(seed)
    codes = area_codes(n_areas)
    n_age, n_sex, n_year = len(AGES), len(SEXES), len(YEARS)

    # population [area, year, age, sex]: a size per area, a gentle age shape, a growth rate per area
    size = rng.uniform(1500, 9000, n_areas)
    shape = 1 + 0.15 * np.sin(np.arange(n_age) / 4)[None, :] + rng.normal(0, 0.03, (n_areas, n_age))
    sex = np.array([0.49, 0.51])
    growth = (1 + rng.uniform(-0.01, 0.015, n_areas))[:, None] ** np.arange(n_year)[None, :]
    pop = np.round(size[:, None, None, None] * growth[:, :, None, None] * shape[:, None, :, None] * 2
                   * sex[None, None, None, :])
    grid = np.meshgrid(np.arange(n_areas), np.arange(n_year), np.arange(n_age), np.arange(n_sex), indexing="ij")
    population = typed("population", {
        "area": np.array(codes, dtype=object)[grid[0].ravel()].tolist(),
        "year": np.array(YEARS)[grid[1].ravel()], "age": grid[2].ravel(),
        "sex": np.array(SEXES, dtype=object)[grid[3].ravel()].tolist(), "count": pop.ravel(),
    })

    prevalence_rows = []
    for level, values in PREVALENCE.items():
        for (lo, hi), p in zip(PREVALENCE_RANGES, values, strict=True):
            if level == "targeted" and (lo, hi) == (12, 17):  # one range given by sex
                prevalence_rows += [(level, lo, hi, "female", p * 1.15), (level, lo, hi, "male", p * 0.85)]
            else:
                prevalence_rows.append((level, lo, hi, "all", p))
    central = np.array([r[4] for r in prevalence_rows])
    prevalence = typed("prevalence", {
        "level": [r[0] for r in prevalence_rows], "age_from": [r[1] for r in prevalence_rows],
        "age_to": [r[2] for r in prevalence_rows], "sex": [r[3] for r in prevalence_rows],
        "low": np.round(central * 0.75, 6), "central": np.round(central, 6),
        "high": np.round(np.minimum(central * 1.3, 1.0), 6),
    })

    # group sizes: a rate of the first year's population in the group's ages, varied by area
    first = pop[:, 0].sum(axis=2)  # [area, age]
    size_rows = []
    for a, code in enumerate(codes):
        for group, (_, ranges) in GROUPS.items():
            for lo, hi, rate in ranges:
                size_rows.append((code, group, lo, hi, float(np.round(first[a, lo:hi + 1].sum() * rate
                                                                      * rng.uniform(0.7, 1.3)))))
    group_sizes = typed("group_sizes", {k: [r[i] for r in size_rows]
                                        for i, k in enumerate(("area", "group", "age_from", "age_to", "count"))})
    risks = [(g, lv, rr * (1 + 0.1 * i)) for g, (rr, _) in GROUPS.items() for i, lv in enumerate(LEVELS)
             if (g, lv) not in NO_RISK_GIVEN]
    rr = np.array([r[2] for r in risks])
    group_risks = typed("group_risks", {"group": [r[0] for r in risks], "level": [r[1] for r in risks],
                                        "low": np.round(1 + (rr - 1) * 0.7, 4), "central": np.round(rr, 4),
                                        "high": np.round(1 + (rr - 1) * 1.4, 4)})

    steps = [(lv, st, i + 1, h) for lv in LEVELS for i, (st, h) in enumerate(zip(STEPS, STEP_HOURS[lv], strict=True))]
    hours = np.array([s[3] for s in steps])
    pathway_steps = typed("pathway_steps", {"level": [s[0] for s in steps], "step": [s[1] for s in steps],
                                            "order": [s[2] for s in steps], "low": hours * 0.75, "central": hours,
                                            "high": hours * 1.25})
    mix_rows = []
    for i, (lv, st, _, _) in enumerate(steps):  # 2–4 roles a step, every role the main one of two steps
        others = rng.choice([r for r in range(len(ROLES)) if r != i % len(ROLES)], rng.integers(1, 4), replace=False)
        chosen = [i % len(ROLES), *others]
        shares = np.round(rng.dirichlet(np.ones(len(chosen)) * 2), 2)
        shares = np.maximum(shares, 0.05)
        shares[0] = 0
        shares[0] = round(1 - shares.sum(), 2)
        if shares[0] <= 0:  # too little left for the main role: share evenly instead
            shares = np.full(len(chosen), round(1 / len(chosen), 2))
            shares[0] = round(1 - shares[1:].sum(), 2)
        mix_rows += [(lv, st, ROLES[r], float(s)) for r, s in zip(chosen, shares, strict=True)]
    role_mix = typed("role_mix", {k: [r[i] for r in mix_rows]
                                  for i, k in enumerate(("level", "step", "role", "share"))})

    n_roles = len(ROLES)
    roles = typed("roles", {
        "role": ROLES, "label": [r.replace("_", " ").capitalize() for r in ROLES],
        "staff_group": ["synthetic"] * n_roles,
        "contracted_hours_per_week": rng.choice([37.0, 37.5, 40.0], n_roles),
        "working_days_per_week": rng.choice([4.0, 5.0, 5.0, 5.0], n_roles),
        "annual_leave_days": rng.integers(27, 34, n_roles).astype(float), "public_holiday_days": [8.0] * n_roles,
        "sickness_days": rng.integers(8, 13, n_roles).astype(float),
        "training_days": rng.integers(5, 11, n_roles).astype(float),
        "direct_work_share": np.round(rng.uniform(0.5, 0.75, n_roles), 2),
        "salary": np.round(rng.uniform(28_000, 120_000, n_roles), -2), "on_cost_rate": rng.choice([0.3, 0.35], n_roles),
    })

    # workforce: 1–2 sectors per area and role, sized to the area; some rates blank, some staff part-CYP
    weight = rng.uniform(0.5, 1.5, n_roles)
    wf: dict[str, list[Any]] = {k: [] for k in ("area", "role", "sector", "headcount", "fte_in_post", "vacant_fte",
                                                "agency_fte", "leaver_rate", "leaver_rate_low", "leaver_rate_high",
                                                "share_aged_55_plus", "retirement_rate", "joiners_per_year",
                                                "joiners_low", "joiners_high", "cyp_share")}
    for a, code in enumerate(codes):
        for r, role in enumerate(ROLES):
            sectors = rng.choice(len(SECTORS), 1 + int(rng.random() < 0.4), replace=False)
            for s in sectors:
                fte = round(float(size[a] / 60 * weight[r] * rng.uniform(0.3, 1.0)), 1)
                leaver = round(float(rng.uniform(0.06, 0.2)), 3)
                retire = round(float(rng.uniform(0.01, 0.04)), 3) if rng.random() < 0.1 else None
                share55 = round(float(rng.uniform(0.05, 0.3)), 2)
                leaving = leaver + (retire or share55 / RETIREMENT_YEARS)
                joiners = round(fte * leaving * float(rng.uniform(0.8, 1.2)), 1)
                ranged = rng.random() < 0.9  # a tenth of rows have no range (a blank low and high is the value)
                wf["area"].append(code)
                wf["role"].append(role)
                wf["sector"].append(SECTORS[s])
                wf["headcount"].append(float(np.ceil(fte * rng.uniform(1.05, 1.25))))
                wf["fte_in_post"].append(fte)
                wf["vacant_fte"].append(round(fte * float(rng.uniform(0.05, 0.15)), 1))
                wf["agency_fte"].append(round(fte * float(rng.uniform(0, 0.05)), 1))
                wf["leaver_rate"].append(leaver)
                wf["leaver_rate_low"].append(round(leaver - 0.03, 3) if ranged else leaver)
                wf["leaver_rate_high"].append(round(leaver + 0.03, 3) if ranged else leaver)
                wf["share_aged_55_plus"].append(share55)
                wf["retirement_rate"].append(retire)
                wf["joiners_per_year"].append(joiners)
                wf["joiners_low"].append(round(joiners * 0.75, 1) if ranged else joiners)
                wf["joiners_high"].append(round(joiners * 1.25, 1) if ranged else joiners)
                wf["cyp_share"].append(round(float(rng.uniform(0.3, 0.9)), 2) if rng.random() < 0.25 else 1.0)
    workforce = typed("workforce", wf)

    trend = np.array([TRENDS[lv] for lv in LEVELS])
    return {
        "areas": typed("areas", {"code": codes, "name": [f"Synthetic council {i + 1}" for i in range(n_areas)],
                                 "kind": ["council"] * n_areas}),
        "population": population,
        "age_bands": typed("age_bands", {"band": ["pre_post_birth", "early_years", "school_age", "post_16"],
                                         "label": ["Under 1", "1 to 4", "5 to 15", "16 to 25"],
                                         "age_from": [0, 1, 5, 16], "age_to": [0, 4, 15, 25]}),
        "levels": typed("levels", {"level": LEVELS, "label": [lv.capitalize() for lv in LEVELS],
                                   "coverage": COVERAGE}),
        "prevalence": prevalence,
        "groups": typed("groups", {"group": list(GROUPS), "label": [g.replace("_", " ").capitalize() for g in GROUPS]}),
        "group_sizes": group_sizes,
        "group_risks": group_risks,
        "pathway_steps": pathway_steps,
        "role_mix": role_mix,
        "roles": roles,
        "workforce": workforce,
        "prevalence_trends": typed("prevalence_trends", {"level": LEVELS, "low": np.zeros(len(LEVELS)),
                                                         "central": trend, "high": trend * 2 + 0.01}),
    }


# -- cyplan ---------------------------------------------------------------------------------------------------

def run_cyplan(frames: dict[str, pl.DataFrame], draws: int, seed: int = 1) -> tuple[Simulation, pl.DataFrame]:
    sim = simulate(frames, draws=draws, seed=seed)
    return sim, gap_table(sim, ["role"])


# -- the pandas baseline --------------------------------------------------------------------------------------

def to_pandas(frames: dict[str, pl.DataFrame]) -> dict[str, Any]:
    """pandas copies of the inputs (what an analyst's read_csv would give: nulls as NaN). Not timed."""
    import pandas as pd

    return {k: pd.DataFrame({c: f[c].to_numpy() for c in f.columns}) for k, f in frames.items()}


def pandas_setup(f: dict[str, Any]) -> dict[str, Any]:
    """The tables every area shares: prevalence by year, relative risks, hours per case by role, productive hours."""
    import pandas as pd

    years = sorted(f["population"]["year"].unique())
    # prevalence rows spread over their single years of age and sexes
    rows = []
    for r in f["prevalence"].itertuples(index=False):
        for age in range(r.age_from, r.age_to + 1):
            for sex in (SEXES if r.sex == "all" else (r.sex,)):
                rows.append({"level": r.level, "age": age, "sex": sex, "p0": r.central})
    prev = pd.DataFrame(rows).drop_duplicates(["level", "age", "sex"], keep="last")
    prev = prev.merge(pd.DataFrame({"year": years}), how="cross")
    prev = prev.merge(f["prevalence_trends"][["level", "central"]].rename(columns={"central": "trend"}),
                      on="level", how="left")
    prev["trend"] = prev["trend"].fillna(0.0)
    prev["p"] = np.minimum(prev["p0"] * (1 + prev["trend"]) ** (prev["year"] - years[0]), 1.0)
    prev = prev[["year", "level", "age", "sex", "p"]]
    # relative risk for every group and level: 1 where none is given
    rr = f["groups"][["group"]].merge(f["levels"][["level"]], how="cross")
    rr = rr.merge(f["group_risks"][["group", "level", "central"]], on=["group", "level"], how="left")
    rr["rr"] = rr["central"].fillna(1.0)
    # hours per case by level and role, through the pathway
    steps = f["pathway_steps"].merge(f["role_mix"], on=["level", "step"])
    steps["h"] = steps["central"] * steps["share"]
    per_case = steps.groupby(["level", "role"], as_index=False)["h"].sum()
    per_case = per_case.merge(f["levels"][["level", "coverage"]], on="level")
    # productive hours per FTE (WISN): available working time × direct-work share
    roles = f["roles"].copy()
    days = 52 * roles["working_days_per_week"] - (roles["annual_leave_days"] + roles["public_holiday_days"]
                                                  + roles["sickness_days"] + roles["training_days"])
    roles["productive"] = days * roles["contracted_hours_per_week"] / roles["working_days_per_week"] \
        * roles["direct_work_share"]
    return {"years": years, "prev": prev, "rr": rr[["group", "level", "rr"]], "per_case": per_case,
            "productive": roles[["role", "productive"]]}


def pandas_area(f: dict[str, Any], s: dict[str, Any], area: str) -> Any:
    """Demand, supply and gap FTE by year and role for one area, at central values."""
    import pandas as pd

    pop = f["population"][f["population"]["area"] == area][["year", "age", "sex", "count"]]
    # need: population × prevalence
    base = pop.merge(s["prev"], on=["year", "age", "sex"])
    base["cases"] = base["count"] * base["p"]
    cases = base.groupby(["year", "level"])["cases"].sum()
    # vulnerable groups: each group's children spread over its ages and sexes in proportion to the population
    spread = []
    for g in f["group_sizes"][f["group_sizes"]["area"] == area].itertuples(index=False):
        cells = pop[(pop["age"] >= g.age_from) & (pop["age"] <= g.age_to)].copy()
        total = cells.groupby("year")["count"].transform("sum")
        n_cells = (g.age_to - g.age_from + 1) * len(SEXES)
        cells["n"] = np.where(total > 0, g.count * cells["count"] / total, g.count / n_cells)
        cells["group"] = g.group
        spread.append(cells[["year", "group", "age", "sex", "n"]])
    if spread:
        n = pd.concat(spread).groupby(["year", "group", "age", "sex"], as_index=False)["n"].sum()
        up = n.merge(s["prev"], on=["year", "age", "sex"]).merge(s["rr"], on=["group", "level"])
        # the cap: a group has no more cases over all levels than children; scale = min(1, 1 / Σ_level p × rr)
        up["prr"] = up["p"] * up["rr"]
        total = up.groupby(["year", "group", "age", "sex"])["prr"].transform("sum")
        up["scale"] = np.where(total > 1.0, 1.0 / total, 1.0)
        up["uplift"] = up["n"] * up["p"] * (up["rr"] * up["scale"] - 1.0)
        cases = cases.add(up.groupby(["year", "level"])["uplift"].sum(), fill_value=0.0)
    # demand: cases × coverage × hours per case by role → hours → FTE
    d = cases.rename("cases").reset_index().merge(s["per_case"], on="level")
    d["hours"] = d["cases"] * d["coverage"] * d["h"]
    d = d.groupby(["year", "role"], as_index=False)["hours"].sum().merge(s["productive"], on="role")
    d["demand_fte"] = d["hours"] / d["productive"]
    # supply: each census row's stock year by year, S[t+1] = S[t] × (1 − leaver − retire) + joiners
    rows = []
    for w in f["workforce"][f["workforce"]["area"] == area].itertuples(index=False):
        if not np.isnan(w.retirement_rate):
            retire = w.retirement_rate
        else:
            retire = (0.0 if np.isnan(w.share_aged_55_plus) else w.share_aged_55_plus) / RETIREMENT_YEARS
        stock = w.fte_in_post
        for year in s["years"]:
            rows.append({"year": year, "role": w.role, "supply_fte": (stock + w.agency_fte) * w.cyp_share})
            stock = stock * (1 - w.leaver_rate - retire) + w.joiners_per_year
    supply = pd.DataFrame(rows, columns=["year", "role", "supply_fte"]).groupby(["year", "role"], as_index=False).sum()
    out = d[["year", "role", "demand_fte"]].merge(supply, on=["year", "role"], how="outer")
    out = out.fillna({"demand_fte": 0.0, "supply_fte": 0.0})
    out["gap_fte"] = out["demand_fte"] - out["supply_fte"]
    out.insert(0, "area", area)
    return out


def pandas_baseline(f: dict[str, Any], areas: Sequence[str] | None = None,
                    times: dict[str, float] | None = None) -> Any:
    """The whole plan at central values, area by area, as an analyst would write it with pandas.
    `times`, if given, receives the seconds spent on the shared setup and on the loop over areas."""
    import pandas as pd

    start = time.perf_counter()
    s = pandas_setup(f)
    middle = time.perf_counter()
    out = pd.concat([pandas_area(f, s, a) for a in (areas if areas is not None else f["areas"]["code"])],
                    ignore_index=True)
    if times is not None:
        times["setup"], times["loop"] = middle - start, time.perf_counter() - middle
    return out


# -- agreement ------------------------------------------------------------------------------------------------

def agreement(sim: Simulation, table: Any) -> dict[str, float]:
    """Largest relative difference, over the areas in `table`, between the pandas FTE and cyplan's central
    run (draw 0) by area, year and role, for demand and for supply (|a − b| / max(|a|, |b|); 0 where both are 0).
    Every area, year and role of `table`'s areas must be in it."""
    d = sim.dims
    areas = list(dict.fromkeys(table["area"]))
    a_i = np.array([d.areas.index(a) for a in table["area"]])
    y_i = np.array([d.years.index(y) for y in table["year"]])
    r_i = np.array([d.roles.index(r) for r in table["role"]])
    expected = len(areas) * len(d.years) * len(d.roles)
    if len(table) != expected or len(set(zip(a_i, y_i, r_i, strict=True))) != expected:
        raise ValueError(f"the pandas table has {len(table)} rows, not one for each of {expected} area, year and role")
    out = {}
    for name, ours in (("demand", sim.demand[..., 0]), ("supply", sim.total_supply[..., 0])):
        a, b = table[f"{name}_fte"].to_numpy(), ours[a_i, y_i, r_i]
        scale = np.maximum(np.abs(a), np.abs(b))
        out[name] = float(np.max(np.where(scale > 0, np.abs(a - b) / np.where(scale > 0, scale, 1.0), 0.0)))
    return out


# -- measuring ------------------------------------------------------------------------------------------------

def timed(fn: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB: VmHWM from /proc/self/status (Linux), which starts afresh in
    a new program; ru_maxrss elsewhere (on Linux ru_maxrss carries over from the parent across fork and exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_in_child(n_areas: int, draws: int) -> dict[str, float]:
    """Run in a fresh (spawned) process: build the inputs, then one full cyplan run. Returns the process's peak
    resident set size (MB) before the run, after simulate and after gap_table, and the run's time."""
    frames = synthetic_inputs(n_areas)
    gc.collect()
    out = {"before_mb": peak_rss_mb()}
    start = time.perf_counter()
    sim = simulate(frames, draws=draws, seed=1)
    out["simulate_mb"] = peak_rss_mb()
    gap_table(sim, ["role"])
    out["seconds"] = time.perf_counter() - start
    out["after_mb"] = peak_rss_mb()
    return out


def peak_memory(n_areas: int, draws: int) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(measure_in_child, n_areas, draws).result()


def fmt(times: Sequence[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed cyplan runs (the median is reported)")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--areas", type=int, default=153)
    parser.add_argument("--subset", type=int, default=10, help="areas the pandas baseline is timed on")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory run in a child process")
    args = parser.parse_args(argv)
    import pandas as pd

    print(f"cyplan model benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}: nproc {len(os.sched_getaffinity(0))} "
          f"({os.cpu_count()} CPUs), {platform.machine()}, Python {platform.python_version()}, NumPy "
          f"{np.__version__}, polars {pl.__version__}, pandas {pd.__version__}; {load()}")

    memory = None
    if not args.no_memory:  # first, while this process is still small (a spawned child starts from a fork of it)
        memory = peak_memory(args.areas, args.draws)
        print(f"peak memory of one run in a fresh spawned process (peak resident set size, VmHWM): "
              f"{memory['after_mb']:,.0f} MB for the whole process (interpreter, libraries, inputs and the run); "
              f"{memory['before_mb']:,.0f} MB before the run, {memory['simulate_mb']:,.0f} MB after simulate. "
              f"Target < 2,048 MB: {'met' if memory['after_mb'] < 2048 else 'NOT met'}. That run, the first in a "
              f"fresh process, took {memory['seconds']:.2f} s.")

    t, frames = timed(lambda: synthetic_inputs(args.areas))
    assert isinstance(frames, dict)
    size = {k: v.height for k, v in frames.items()}
    print(f"synthetic inputs in {t:.2f} s: {args.areas} areas × {len(YEARS)} years × {len(AGES)} ages × "
          f"{len(SEXES)} sexes ({size['population']:,} population rows), {len(LEVELS)} levels, {len(GROUPS)} groups "
          f"({size['group_sizes']:,} group-size rows), {size['pathway_steps']} steps, {len(ROLES)} roles "
          f"({size['role_mix']} role-mix rows), {size['workforce']:,} census rows")

    # cyplan with every draw
    t_build, _ = timed(lambda: build(frames))
    runs, sims, gaps = [], [], []
    rows = 0
    for _ in range(args.repeats):
        t_sim, sim = timed(lambda: simulate(frames, draws=args.draws, seed=1))
        assert isinstance(sim, Simulation)
        t_gap, table = timed(lambda s=sim: gap_table(s, ["role"]))
        assert isinstance(table, pl.DataFrame)
        runs.append(t_sim + t_gap)
        sims.append(t_sim)
        gaps.append(t_gap)
        rows = table.height
        del sim, table
    ours = statistics.median(runs)
    print(f"\ncyplan simulate(draws={args.draws}) + gap_table(['role']), {rows:,} rows:")
    print(f"  median {ours:.2f} s  (runs {fmt(runs)})  target < 10 s: {'met' if ours < 10 else 'NOT met'}")
    print(f"  stages (median): simulate {statistics.median(sims):.2f} s (of which build {t_build:.2f} s), "
          f"gap_table {statistics.median(gaps):.2f} s")
    central_runs = [timed(lambda: run_cyplan(frames, 0))[0] for _ in range(args.repeats)]
    ours0 = statistics.median(central_runs)
    print(f"cyplan central only (draws=0) + gap_table: median {ours0:.3f} s  (runs {fmt(central_runs)})")

    # the pandas baseline, timed on a subset of areas, then on every area if that takes under a minute
    pf = to_pandas(frames)
    codes = list(frames["areas"]["code"])
    part = codes[: args.subset]
    parts: dict[str, float] = {}
    t_sub, table_sub = timed(lambda: pandas_baseline(pf, part, parts))
    per_area = parts["loop"] / len(part)
    full_estimate = parts["setup"] + per_area * len(codes)
    print(f"\npandas baseline (central values, a loop over areas): {t_sub:.2f} s for {len(part)} areas "
          f"(setup {parts['setup']:.3f} s + loop {parts['loop']:.2f} s = {per_area:.3f} s an area)")
    print(f"  scaled to {len(codes)} areas: setup + {len(codes)} × the time an area = {full_estimate:.1f} s")
    if full_estimate < PANDAS_LIMIT:
        t_full, table = timed(lambda: pandas_baseline(pf, codes))
        how = "measured"
        print(f"  measured on all {len(codes)} areas: {t_full:.2f} s")
    else:
        t_full, table, how = full_estimate, table_sub, "scaled from the subset"
    draws_estimate = t_full * max(args.draws, 1)
    print(f"  scaled to {args.draws} draws: {len(codes)} areas ({how}) × {max(args.draws, 1)} draws = "
          f"{draws_estimate:,.0f} s (one central pass is one draw; drawing the inputs and the percentiles, "
          "which pandas would also need, are not counted)")
    ratio = draws_estimate / ours
    print(f"  cyplan is {ratio:,.0f}× faster with {args.draws} draws (goal ≥ 20×: "
          f"{'met' if ratio >= 20 else 'NOT met'})")
    print(f"  like for like, central values only, {len(codes)} areas: pandas {t_full:.2f} s ({how}), cyplan "
          f"{ours0:.3f} s → {t_full / ours0:,.0f}× faster")

    central = simulate(frames, draws=0)
    diff = agreement(central, table)
    ok = max(diff.values()) <= 1e-9
    n_checked = len(set(table["area"]))
    print(f"\nagreement with cyplan's central run over {n_checked} areas × {len(YEARS)} years × {len(ROLES)} roles: "
          f"largest relative difference demand FTE {diff['demand']:.2e}, supply FTE {diff['supply']:.2e} "
          f"(must be ≤ 1e-9: {'yes' if ok else 'NO'})")

    print(f"\nsummary ({load()}):")
    print(f"  cyplan, {args.areas} areas, {args.draws} draws: {ours:.2f} s (< 10 s: {'yes' if ours < 10 else 'NO'})")
    if memory:
        print(f"  the same run in a fresh process: {memory['seconds']:.2f} s (< 10 s: "
              f"{'yes' if memory['seconds'] < 10 else 'NO'})")
        print(f"  peak memory: {memory['after_mb']:,.0f} MB (< 2 GB: {'yes' if memory['after_mb'] < 2048 else 'NO'})")
    print(f"  vs pandas: {ratio:,.0f}× with draws, {t_full / ours0:,.0f}× central only (≥ 20×: "
          f"{'yes' if ratio >= 20 else 'NO'})")
    print(f"  agreement: {max(diff.values()):.2e} (≤ 1e-9: {'yes' if ok else 'NO'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
