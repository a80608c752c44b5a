"""The model at national scale: need → demand → supply → gap for every upper-tier council at once, with
Monte Carlo draws, against a pandas implementation of the same formulas written as a skilled pandas user would.

Run alone:  .venv/bin/python benchmarks/model_scale.py [--repeats 3] [--draws 1000] [--areas 153] [--pandas-draws 10]
            [--cohorts]

--cohorts adds issue 13's parts 3 and 4 to the inputs: every census row by five age bands (with band retirement
and leaver rates and a joiner profile), flows between sectors and into and out of agency work for every role, and
a part-time trend on half the rows. Then cyplan alone is timed and measured: the pandas baseline does not model
them.

Synthetic inputs (a fixed seed; made by cyplan.reference.synthetic, which `cyplan demo --national` also uses):
153 areas × 11 years × ages 0–25 × 2 sexes, 4 levels, 8 vulnerable groups,
4 levels × 6 pathway steps, 12 roles, a workforce census of 1–2 sectors per area and role, training pipelines
for about 70% of the census's roles (courses of 1 to 8 years), prevalence trends; prevalence rows under age 12
are rates outside the vulnerable groups (their uplift added), from 12 population averages (issue 12), so both
need formulas are timed.
cyplan is timed on simulate(frames, draws, seed=1) followed by gap_table(sim, ["role"]) (the whole run, with the
median and 90% interval of every measure). Targets (DESIGN.md, on 2 cores): under 10 s and under 2 GB; at least
20× faster than the pandas baseline with 1,000 draws.

Timing: the median of --repeats runs in this process. Memory: one more run in a fresh process (multiprocessing,
spawn), whose peak resident set size (VmHWM) is read before and after; that run's time is the time of a first,
cold run. pandas: merges and group-bys over every area at once, and over the draws --chunk at a time (a `draw`
column on every table that varies), with the inputs drawn and the percentiles taken in pandas too. Its central run
(one "draw" at central values) is measured; with draws it is measured on --pandas-draws draws and, when that is
fewer than --draws, scaled to --draws and labelled "estimated from N draws". Every ratio printed says whether it is
measured or estimated. Exit status 1 if pandas and cyplan differ by more than 1e-9 (relative): demand and supply
FTE at central values and draw by draw (the baseline draws the same random numbers in the same order), and every
measure's median and 90% interval.
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

from cyplan.model.build import build
from cyplan.model.gap import MEASURES, gap_table
from cyplan.model.simulate import Simulation, simulate
from cyplan.model.supply import RETIREMENT_YEARS
from cyplan.reference.synthetic import (  # the generator: one definition, shared with `cyplan demo --national`
    GROUPS,
    LEVELS,
    ROLES,
    YEARS,
    synthetic_inputs,
    with_cohorts,
)
from cyplan.schema import AGES, SEXES

SUFFIX = {0.05: "_p5", 0.5: "", 0.95: "_p95"}  # gap_table's column for each percentile


# -- cyplan ---------------------------------------------------------------------------------------------------

def run_cyplan(frames: dict[str, pl.DataFrame], draws: int, seed: int = 1) -> tuple[Simulation, pl.DataFrame]:
    sim = simulate(frames, draws=draws, seed=seed)
    return sim, gap_table(sim, ["role"])


# -- the pandas baseline --------------------------------------------------------------------------------------

KEYS = ("area", "role", "level", "sex", "group", "step")  # text columns the baseline joins and groups on


def to_pandas(frames: dict[str, pl.DataFrame]) -> dict[str, Any]:
    """pandas copies of the inputs, as a skilled user's read_csv would give them: nulls as NaN, and the key columns
    as categoricals with one category list each across every table (read_csv(dtype={"area": area_type, …})), so
    that merges and group-bys work on integer codes rather than hashing strings. Not timed."""
    import pandas as pd

    values: dict[str, set[str]] = {k: set() for k in KEYS}
    for f in frames.values():
        for k in KEYS:
            if k in f.columns:
                values[k] |= set(f[k].drop_nulls())
    values["sex"] |= set(SEXES)
    types = {k: pd.CategoricalDtype(sorted(v)) for k, v in values.items()}
    return {name: pd.DataFrame({c: pd.Series(f[c].to_numpy(), dtype=types.get(c)) for c in f.columns})
            for name, f in frames.items()}


def triangular(rng: np.random.Generator, low: Any, central: Any, high: Any, draws: int) -> np.ndarray:
    """[draws, rows] from the triangular distribution (low, central, high) by its inverse CDF, the textbook form;
    a row with low = high is its central value. The same random numbers, in the same order, as cyplan asks
    for, so that draw by draw the two can be compared."""
    lo, c, hi = (np.asarray(x, dtype=float) for x in (low, central, high))
    u = rng.random((draws, len(c)))
    width = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(u < (c - lo) / width, lo + np.sqrt(u * width * (c - lo)), hi - np.sqrt((1 - u) * width * (hi - c)))
    return np.where(width > 0, x, c)


def pandas_draws(f: dict[str, Any], draws: int, seed: int = 1) -> dict[str, Any]:
    """Each uncertain input as a long table with a `draw` column (draw 0 alone, at central values, when draws=0),
    drawn in cyplan's order: prevalence, trends, relative risks, pathway hours, leaver rates, joiners, FTE in post,
    CYP share, then the training pipelines' completion and share staying."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    steps = f["pathway_steps"].sort_values(["level", "order"]).reset_index(drop=True)
    out = {}
    for name, frame, value, low, high in (
            ("prevalence", f["prevalence"], "central", "low", "high"),
            ("trend", f["prevalence_trends"], "central", "low", "high"),
            ("rr", f["group_risks"], "central", "low", "high"),
            ("hours", steps, "central", "low", "high"),
            ("leaver", f["workforce"], "leaver_rate", "leaver_rate_low", "leaver_rate_high"),
            ("joiners", f["workforce"], "joiners_per_year", "joiners_low", "joiners_high"),
            ("fte", f["workforce"], "fte_in_post", "fte_in_post_low", "fte_in_post_high"),
            ("cyp", f["workforce"], "cyp_share", "cyp_share_low", "cyp_share_high"),
            ("completion", f["training_pipelines"], "completion_rate", "completion_low", "completion_high"),
            ("share_here", f["training_pipelines"], "share_taking_post_here", "share_here_low", "share_here_high")):
        c = frame[value].to_numpy(dtype=float)
        if draws == 0:
            values = c[None]
        else:
            values = triangular(rng, frame[low].fillna(frame[value]), c, frame[high].fillna(frame[value]), draws)
        out[name] = pd.DataFrame({"draw": np.repeat(np.arange(len(values)), len(c)),
                                  "row": np.tile(np.arange(len(c)), len(values)), name: values.ravel()})
    out["steps"] = steps
    return out


def pandas_setup(f: dict[str, Any], drawn: dict[str, Any]) -> dict[str, Any]:
    """What does not depend on the draw, and the small tables that do: prevalence by draw, year, level, age and
    sex; each group's children by area, year, age and sex; hours per case by draw, level and role; productive
    hours and cost per FTE by role; the census rows with their retirement rate."""
    import pandas as pd

    years = sorted(f["population"]["year"].unique())
    # prevalence rows spread over their single years of age and sexes; where two rows cover a cell the last wins
    rows = f["prevalence"].reset_index(names="row")
    rows["age"] = [list(range(a, b + 1)) for a, b in zip(rows["age_from"], rows["age_to"], strict=True)]
    rows["sex"] = [list(SEXES) if x == "all" else [x] for x in rows["sex"]]
    cells = rows.explode("age").explode("sex").astype({"age": "int64", "sex": f["population"]["sex"].dtype})
    cells = cells.drop_duplicates(["level", "age", "sex"], keep="last")[["row", "level", "age", "sex", "rate_basis"]]
    prev = cells.merge(drawn["prevalence"], on="row").merge(pd.DataFrame({"year": years}), how="cross")
    trends = drawn["trend"].merge(f["prevalence_trends"][["level"]].reset_index(names="row"), on="row")
    prev = prev.merge(trends[["draw", "level", "trend"]], on=["draw", "level"], how="left")
    prev["trend"] = prev["trend"].fillna(0.0)
    prev["p"] = np.minimum(prev["prevalence"] * (1 + prev["trend"]) ** (prev["year"] - years[0]), 1.0)
    prev["outside"] = prev["rate_basis"] == "outside_groups"
    prev = prev[["draw", "year", "level", "age", "sex", "p", "outside"]]
    # relative risk for every draw, group and level: 1 where none is given
    given = drawn["rr"].merge(f["group_risks"][["group", "level"]].reset_index(names="row"), on="row")
    rr = (pd.DataFrame({"draw": prev["draw"].unique()}).merge(f["groups"][["group"]], how="cross")
          .merge(f["levels"][["level"]], how="cross"))
    rr = rr.merge(given[["draw", "group", "level", "rr"]], on=["draw", "group", "level"], how="left")
    rr["rr"] = rr["rr"].fillna(1.0)
    # each group's children spread over its ages and both sexes in proportion to each year's population
    # (evenly where there is none)
    sizes = f["group_sizes"].reset_index(names="row")
    sizes["age"] = [list(range(a, b + 1)) for a, b in zip(sizes["age_from"], sizes["age_to"], strict=True)]
    spread = sizes.explode("age").astype({"age": "int64"}).merge(f["population"], on=["area", "age"],
                                                                 suffixes=("_group", ""))
    total = spread.groupby(["row", "year"], observed=True)["count"].transform("sum")
    n_cells = (spread["age_to"] - spread["age_from"] + 1) * len(SEXES)
    spread["n"] = np.where(total > 0, spread["count_group"] * spread["count"] / total.where(total > 0, 1.0),
                           spread["count_group"] / n_cells)
    n = spread.groupby(["area", "year", "group", "age", "sex"], as_index=False, observed=True)["n"].sum()
    # hours per case by draw, level and role, through the pathway and its role mix, times the level's coverage
    hours = drawn["hours"].merge(drawn["steps"][["level", "step"]].reset_index(names="row"), on="row")
    hours = hours.merge(f["role_mix"], on=["level", "step"])
    hours["h"] = hours["hours"] * hours["share"]
    per_case = hours.groupby(["draw", "level", "role"], as_index=False, observed=True)["h"].sum()
    per_case = per_case.merge(f["levels"][["level", "coverage"]], on="level")
    per_case["h"] *= per_case["coverage"]
    # productive hours per FTE (WISN): available working time × direct-work share; cost per FTE with on-costs
    roles = f["roles"].copy()
    days = 52 * roles["working_days_per_week"] - (roles["annual_leave_days"] + roles["public_holiday_days"]
                                                  + roles["sickness_days"] + roles["training_days"])
    roles["productive"] = days * roles["contracted_hours_per_week"] / roles["working_days_per_week"] \
        * roles["direct_work_share"]
    roles["cost"] = roles["salary"] * (1 + roles["on_cost_rate"])
    wf = f["workforce"].reset_index(names="row")
    wf["retire"] = wf["retirement_rate"].fillna(wf["share_aged_55_plus"].fillna(0.0) / RETIREMENT_YEARS)
    return {"years": years, "prev": prev, "rr": rr, "n": n, "per_case": per_case[["draw", "level", "role", "h"]],
            "roles": roles[["role", "productive", "cost"]], "workforce": wf}


def pandas_demand(f: dict[str, Any], s: dict[str, Any], draws: Sequence[int]) -> Any:
    """Demand FTE by draw, area, year and role, for the given draws, every area at once."""
    prev = s["prev"][s["prev"]["draw"].isin(draws)]
    # need: population × prevalence
    base = f["population"][["area", "year", "age", "sex", "count"]].merge(prev, on=["year", "age", "sex"])
    base["cases"] = base["count"] * base["p"]
    cases = base.groupby(["draw", "area", "year", "level"], observed=True)["cases"].sum()
    # vulnerable groups, where the rate is outside them: uplift n × p × (rr × scale − 1), scale = min(1, 1 /
    # Σ_level p × rr): a group has no more cases over all levels than children. The factor per child does not
    # depend on the area. A population average's cases stay population × p: no uplift is added.
    factor = prev[prev["outside"]].merge(s["rr"], on=["draw", "level"])
    factor["prr"] = factor["p"] * factor["rr"]
    total = factor.groupby(["draw", "year", "group", "age", "sex"], observed=True)["prr"].transform("sum")
    factor["f"] = factor["p"] * (factor["rr"] * np.where(total > 1.0, 1.0 / total, 1.0) - 1.0)
    up = s["n"].merge(factor[["draw", "year", "group", "age", "sex", "level", "f"]],
                      on=["year", "group", "age", "sex"])
    up["uplift"] = up["n"] * up["f"]
    cases = cases.add(up.groupby(["draw", "area", "year", "level"], observed=True)["uplift"].sum(), fill_value=0.0)
    # demand: cases × coverage × hours per case by role → hours → FTE
    d = cases.rename("cases").reset_index().merge(s["per_case"], on=["draw", "level"])
    d["hours"] = d["cases"] * d["h"]
    d = d.groupby(["draw", "area", "year", "role"], as_index=False, observed=True)["hours"].sum()
    d = d.merge(s["roles"], on="role")
    d["demand_fte"] = d["hours"] / d["productive"]
    return d[["draw", "area", "year", "role", "demand_fte"]]


def pandas_arrivals(f: dict[str, Any], drawn: dict[str, Any], years: Sequence[int], draws: Sequence[int]) -> Any:
    """Joiners from training by draw, census row and year: each pipeline's places of the intake that started
    course_years earlier (between start_year and end_year) × completion × share staying, from the second year."""
    import pandas as pd

    p = f["training_pipelines"].reset_index(names="prow")
    rows = f["workforce"][["area", "role", "sector"]].reset_index(names="row")
    p = p.merge(rows, on=["area", "role", "sector"])
    p = p.merge(pd.DataFrame({"year": list(years)[1:]}), how="cross")
    intake = p["year"] - p["course_years"]
    p = p[(intake >= p["start_year"]) & (intake <= p["end_year"].fillna(max(years)))]
    q = drawn["completion"].rename(columns={"row": "prow"}).merge(drawn["share_here"].rename(columns={"row": "prow"}),
                                                                  on=["draw", "prow"])
    p = p.merge(q[q["draw"].isin(draws)], on="prow")
    p["arrivals"] = p["places"] * p["completion"] * p["share_here"]
    return p.groupby(["draw", "row", "year"], as_index=False)["arrivals"].sum()


def pandas_supply(f: dict[str, Any], s: dict[str, Any], drawn: dict[str, Any], draws: Sequence[int]) -> Any:
    """Supply FTE by draw, area, year and role: each census row's stock year by year,
    S[t+1] = S[t] × (1 − leaver − retire) + joiners + joiners from training, then (stock + agency) × CYP share,
    summed over sectors."""
    import pandas as pd

    w = drawn["leaver"][drawn["leaver"]["draw"].isin(draws)].merge(drawn["joiners"], on=["draw", "row"])
    w = w.merge(drawn["fte"], on=["draw", "row"]).merge(drawn["cyp"], on=["draw", "row"])
    w = w.merge(s["workforce"][["row", "area", "role", "agency_fte", "retire"]], on="row")
    come = pandas_arrivals(f, drawn, s["years"], draws)
    stock = w["fte"].to_numpy()
    years = []
    for year in s["years"]:  # a loop over the 11 years, each over every census row and draw at once
        if year != s["years"][0]:
            here = w[["draw", "row"]].merge(come[come["year"] == year], on=["draw", "row"], how="left")
            stock = stock * (1 - w["leaver"] - w["retire"]) + w["joiners"] + here["arrivals"].fillna(0.0).to_numpy()
        years.append(pd.DataFrame({"draw": w["draw"], "area": w["area"], "year": year, "role": w["role"],
                                   "supply_fte": (stock + w["agency_fte"]) * w["cyp"]}))
    return pd.concat(years).groupby(["draw", "area", "year", "role"], as_index=False, observed=True)["supply_fte"].sum()


def pandas_gap(s: dict[str, Any], demand: Any, supply: Any) -> Any:
    """Gap, share met and cost to close by draw, area, year and role."""
    out = demand.merge(supply, on=["draw", "area", "year", "role"], how="outer")
    out = out.fillna({"demand_fte": 0.0, "supply_fte": 0.0}).merge(s["roles"][["role", "cost"]], on="role")
    out["gap_fte"] = out["demand_fte"] - out["supply_fte"]
    out["share_met"] = np.where(out["demand_fte"] > 0, np.minimum(out["supply_fte"] / out["demand_fte"]
                                                                  .where(out["demand_fte"] > 0, 1.0), 1.0), 1.0)
    out["cost_to_close"] = np.maximum(out["gap_fte"], 0.0) * out["cost"]
    return out.drop(columns="cost")


def pandas_percentiles(per_draw: Any) -> Any:
    """The median and 90% interval over the draws of every measure, by area, year and role: the columns of
    cyplan's gap_table (name, name_p5, name_p95)."""
    q = per_draw.groupby(["area", "year", "role"], observed=True)[list(MEASURES)].quantile([0.05, 0.5, 0.95]).unstack()
    q.columns = [name + SUFFIX[p] for name, p in q.columns]
    return q.reset_index()


def pandas_baseline(f: dict[str, Any], draws: int = 0, seed: int = 1, chunk: int = 2,
                    times: dict[str, float] | None = None) -> tuple[Any, Any]:
    """The whole plan as a skilled pandas user would write it: merges and group-bys over every area at once, and
    over the draws `chunk` at a time (all of them at once would not fit in memory). Returns the table by draw,
    area, year and role (draw 0 alone, central values, when draws=0) and the percentiles over the draws.
    `times`, if given, receives the seconds spent drawing and on the setup, on the draws, and on the percentiles."""
    import pandas as pd

    start = time.perf_counter()
    drawn = pandas_draws(f, draws, seed)
    s = pandas_setup(f, drawn)
    middle = time.perf_counter()
    each = list(range(max(draws, 1)))
    parts = [pandas_gap(s, pandas_demand(f, s, part), pandas_supply(f, s, drawn, part))
             for part in (each[i:i + chunk] for i in range(0, len(each), chunk))]
    per_draw = pd.concat(parts, ignore_index=True)
    after = time.perf_counter()
    summary = pandas_percentiles(per_draw)
    if times is not None:
        times["setup"], times["draws"], times["percentiles"] = middle - start, after - middle, \
            time.perf_counter() - after
    return per_draw, summary


# -- agreement ------------------------------------------------------------------------------------------------

def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a − b| / max(|a|, |b|), 0 where both are 0."""
    scale = np.maximum(np.abs(a), np.abs(b))
    return float(np.max(np.where(scale > 0, np.abs(a - b) / np.where(scale > 0, scale, 1.0), 0.0), initial=0.0))


def agreement(sim: Simulation, table: Any) -> dict[str, float]:
    """Largest relative difference between the pandas table by draw, area, year and role and cyplan's run, for
    demand and supply FTE, draw by draw. Every draw, year and role of `table`'s areas must be in it."""
    import pandas as pd

    d = sim.dims
    draw = table["draw"].to_numpy() if "draw" in table else np.zeros(len(table), dtype=np.int64)
    a_i, y_i, r_i = (pd.Index(labels).get_indexer(table[name]) for name, labels in
                     (("area", d.areas), ("year", d.years), ("role", d.roles)))
    n_areas = len(np.unique(a_i))
    expected = n_areas * len(d.years) * len(d.roles) * sim.demand.shape[-1]
    cell = ((draw * len(d.areas) + a_i) * len(d.years) + y_i) * len(d.roles) + r_i
    if len(table) != expected or min(a_i.min(), y_i.min(), r_i.min()) < 0 or len(np.unique(cell)) != expected:
        raise ValueError(f"the pandas table has {len(table)} rows, not one for each of {expected} draw, area, year "
                         "and role")
    return {name: relative_difference(table[f"{name}_fte"].to_numpy(), ours[a_i, y_i, r_i, draw])
            for name, ours in (("demand", sim.demand), ("supply", sim.total_supply))}


def percentile_agreement(ours: pl.DataFrame, theirs: Any) -> float:
    """Largest relative difference between cyplan's gap_table and the pandas percentiles, over every area, year
    and role of the pandas table and every column (each measure's median, 5th and 95th percentile)."""
    key = ["area", "year", "role"]
    columns = [c for c in ours.columns if c not in key]
    other = pl.DataFrame({c: theirs[c].to_numpy() for c in [*key, *columns]}).cast({"year": ours.schema["year"]})
    both = ours.join(other, on=key, how="inner", suffix="_pandas")
    if both.height != len(theirs) or both.height == 0:
        raise ValueError(f"{len(theirs)} pandas rows, {both.height} found in cyplan's table")
    return max(relative_difference(both[c].to_numpy(), both[f"{c}_pandas"].to_numpy()) for c in columns)


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


def measure_in_child(n_areas: int, draws: int, cohorts: bool = False) -> dict[str, float]:
    """Run in a fresh (spawned) process: build the inputs, then one full cyplan run. Returns the process's peak
    resident set size (MB) before the run, after simulate and after gap_table, and the run's time."""
    frames = synthetic_inputs(n_areas)
    if cohorts:
        frames = with_cohorts(frames)
    gc.collect()
    out = {"before_mb": peak_rss_mb()}
    start = time.perf_counter()
    sim = simulate(frames, draws=draws, seed=1)
    out["simulate_mb"] = peak_rss_mb()
    gap_table(sim, ["role"])
    out["seconds"] = time.perf_counter() - start
    out["after_mb"] = peak_rss_mb()
    return out


def peak_memory(n_areas: int, draws: int, cohorts: bool = False) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(measure_in_child, n_areas, draws, cohorts).result()


def fmt(times: Sequence[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed cyplan runs (the median is reported)")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--areas", type=int, default=153)
    parser.add_argument("--pandas-draws", type=int, default=10,
                        help="draws the pandas baseline is timed on (its time is scaled to --draws)")
    parser.add_argument("--chunk", type=int, default=2, help="draws the pandas baseline works on at once")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory run in a child process")
    parser.add_argument("--cohorts", action="store_true", help="add age bands, sector flows and a part-time trend "
                        "(cyplan alone is run: the pandas baseline does not model them)")
    args = parser.parse_args(argv)
    import pandas as pd

    print(f"cyplan model benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}: nproc {len(os.sched_getaffinity(0))} "
          f"({os.cpu_count()} CPUs), {platform.machine()}, Python {platform.python_version()}, NumPy "
          f"{np.__version__}, polars {pl.__version__}, pandas {pd.__version__}; {load()}")

    memory = None
    if not args.no_memory:  # first, while this process is still small (a spawned child starts from a fork of it)
        memory = peak_memory(args.areas, args.draws, args.cohorts)
        print(f"peak memory of one run in a fresh spawned process (peak resident set size, VmHWM): "
              f"{memory['after_mb']:,.0f} MB for the whole process (interpreter, libraries, inputs and the run); "
              f"{memory['before_mb']:,.0f} MB before the run, {memory['simulate_mb']:,.0f} MB after simulate. "
              f"Target < 2,048 MB: {'met' if memory['after_mb'] < 2048 else 'NOT met'}. That run, the first in a "
              f"fresh process, took {memory['seconds']:.2f} s.")

    t, frames = timed(lambda: synthetic_inputs(args.areas))
    assert isinstance(frames, dict)
    if args.cohorts:
        frames = with_cohorts(frames)
        print(f"with age bands ({frames['workforce_ages'].height:,} rows), sector flows "
              f"({frames['sector_flows'].height} rows) and a part-time trend")
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
    if args.cohorts:  # the pandas baseline has no age bands, sector flows or part-time trend to compare with
        return 0 if ours < 10 and (memory is None or memory["after_mb"] < 2048) else 1

    # the pandas baseline: central values, then with draws (all of them, or a subset of draws and scaled)
    pf = to_pandas(frames)
    n_areas = len(frames["areas"])
    print(f"\npandas baseline, every area at once (merges and group-bys over areas and draws, {args.chunk} draws at a "
          "time):")
    parts: dict[str, float] = {}
    t_central, (table, _) = timed(lambda: pandas_baseline(pf, 0, chunk=args.chunk, times=parts))
    print(f"  central values only, {n_areas} areas: {t_central:.2f} s measured (setup {parts['setup']:.2f} s, "
          f"the run {parts['draws']:.2f} s, percentiles {parts['percentiles']:.2f} s)")
    n_pd = min(args.pandas_draws, args.draws)
    with_draws, how, per_draw_table, summary = None, "", None, None
    if n_pd > 0:
        parts = {}
        t_pd, (per_draw_table, summary) = timed(lambda: pandas_baseline(pf, n_pd, chunk=args.chunk, times=parts))
        print(f"  {n_pd} draws, {n_areas} areas: {t_pd:.2f} s measured (drawing and setup {parts['setup']:.2f} s, "
              f"the draws {parts['draws']:.2f} s = {parts['draws'] / n_pd:.3f} s a draw, percentiles "
              f"{parts['percentiles']:.2f} s)")
        if n_pd == args.draws:
            with_draws, how = t_pd, "measured"
        else:
            with_draws = parts["setup"] + (parts["draws"] + parts["percentiles"]) * args.draws / n_pd
            how = f"estimated from {n_pd} draws"
            print(f"  {args.draws} draws, estimated from {n_pd}: setup + (draws + percentiles) × {args.draws}/{n_pd} "
                  f"= {with_draws:,.0f} s (the setup is counted as for {n_pd} draws, and the percentiles as growing "
                  "in step with the draws: both favour pandas)")

    ratio0 = t_central / ours0
    print(f"\nratios (pandas time / cyplan time, both on {n_areas} areas):")
    if with_draws is not None:
        ratio = with_draws / ours
        print(f"  with {args.draws} draws: pandas {with_draws:,.1f} s ({how}) / cyplan {ours:.2f} s (measured) = "
              f"{ratio:,.0f}× ({how}); goal ≥ 20×: {'met' if ratio >= 20 else 'NOT met'}")
    print(f"  central values only: pandas {t_central:.2f} s (measured) / cyplan {ours0:.3f} s (measured) = "
          f"{ratio0:,.1f}× (measured)")

    diff = agreement(simulate(frames, draws=0), table)
    checks = [max(diff.values())]
    print(f"\nagreement with cyplan, {n_areas} areas × {len(YEARS)} years × {len(ROLES)} roles, largest relative "
          f"difference (must be ≤ 1e-9):\n  central values: demand FTE {diff['demand']:.2e}, supply FTE "
          f"{diff['supply']:.2e}")
    if per_draw_table is not None:
        sim_n = simulate(frames, draws=n_pd, seed=1)
        diff_n = agreement(sim_n, per_draw_table)
        pct = percentile_agreement(gap_table(sim_n, ["role"]), summary)
        checks += [max(diff_n.values()), pct]
        print(f"  {n_pd} draws (seed 1), draw by draw: demand FTE {diff_n['demand']:.2e}, supply FTE "
              f"{diff_n['supply']:.2e}; every measure's median and 90% interval against gap_table: {pct:.2e}")
    ok = max(checks) <= 1e-9

    print(f"\nsummary ({load()}):")
    print(f"  cyplan, {args.areas} areas, {args.draws} draws: {ours:.2f} s measured (< 10 s: "
          f"{'yes' if ours < 10 else 'NO'})")
    if memory:
        print(f"  the same run in a fresh process: {memory['seconds']:.2f} s measured (< 10 s: "
              f"{'yes' if memory['seconds'] < 10 else 'NO'})")
        print(f"  peak memory: {memory['after_mb']:,.0f} MB measured (< 2 GB: "
              f"{'yes' if memory['after_mb'] < 2048 else 'NO'})")
    if with_draws is not None:
        print(f"  vs pandas with {args.draws} draws: {ratio:,.0f}× ({how}; ≥ 20×: {'yes' if ratio >= 20 else 'NO'})")
    print(f"  vs pandas, central values only: {ratio0:,.1f}× (measured)")
    print(f"  agreement: {max(checks):.2e} (≤ 1e-9: {'yes' if ok else 'NO'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
