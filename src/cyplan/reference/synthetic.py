"""Made-up inputs for many areas at once, from a fixed seed: every input the model reads, for n upper-tier councils.

One definition for benchmarks/model_scale.py (the model at national scale, against a pandas baseline) and
`cyplan demo --national` (the comparison pages' made-up country). Synthetic inputs: n areas × 11 years × ages 0–25
× 2 sexes, 4 levels, 8 vulnerable groups, 4 levels × 6 pathway steps, 12 roles, a workforce census of 1–2 sectors
per area and role, training pipelines for about 70% of the census's roles, prevalence trends; prevalence rows under
age 12 are rates outside the vulnerable groups, from 12 population averages. Every value is made up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from cyplan.model.build import empty
from cyplan.model.supply import RETIREMENT_YEARS
from cyplan.schema import AGES, KINDS, SEXES
from cyplan.schema.supply import SECTORS

YEARS = tuple(range(2025, 2036))  # 11 years
LEVELS = ("universal", "targeted", "specialist", "tertiary")
COVERAGE = (0.6, 0.9, 1.0, 1.0)
PREVALENCE_RANGES = ((0, 4), (5, 11), (12, 17), (18, 25))
# what each range's rates are (issue 12): rates outside the vulnerable groups (their uplift added) under 12,
# population averages (the groups' excess shared out within population × rate) from 12: both formulas are timed
OUTSIDE_GROUPS_BELOW = 12
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
    # a blank low or high of a declared range (the roles' direct work share, say) is its value, as an import fills it
    for value_col, *bounds in KINDS[kind].ranges:
        for bound in bounds:
            if bound not in columns and value_col in out:
                out[bound] = out[value_col].alias(bound)
    return pl.DataFrame(out)


def area_codes(n: int) -> list[str]:
    return [f"E06{i:06d}" for i in range(1, n + 1)]


def synthetic_inputs(n_areas: int = 153, seed: int = 20250601,
                     codes: list[str] | None = None) -> dict[str, pl.DataFrame]:
    """Every input the model reads, for n_areas councils, from a fixed seed (coded `codes`, or E06000001 … )."""
    rng = np.random.default_rng(seed)
    codes = codes or area_codes(n_areas)
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
        "rate_basis": ["outside_groups" if r[1] < OUTSIDE_GROUPS_BELOW else "population_average"
                       for r in prevalence_rows],
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
    # FTE in post and the CYP share without a range, as an import gives a blank low and high (the value)
    workforce = typed("workforce", wf | {"fte_in_post_low": wf["fte_in_post"], "fte_in_post_high": wf["fte_in_post"],
                                         "cyp_share_low": wf["cyp_share"], "cyp_share_high": wf["cyp_share"]})

    pipelines = synthetic_pipelines(workforce, seed)
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
        "training_pipelines": pipelines,
        "prevalence_trends": typed("prevalence_trends", {"level": LEVELS, "low": np.zeros(len(LEVELS)),
                                                         "central": trend, "high": trend * 2 + 0.01}),
    }


COURSES = (1, 3, 4, 8)  # wellbeing practitioners, nursing or psychology, psychotherapy, consultant psychiatry


def synthetic_pipelines(workforce: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Training places for about 70% of the census's (area, role) cells, into their first sector: intakes from
    2015 (so some already arrive in the first year) on courses of 1 to 8 years, some ending in 2029, some with
    ranges on completion and the share staying. Drawn from a generator of their own, so that the other inputs
    are the same with or without them."""
    rng = np.random.default_rng(seed + 13)
    first = workforce.group_by(["area", "role"], maintain_order=True).first()
    keep = rng.random(first.height) < 0.7
    cells = first.filter(pl.Series(keep))
    n = cells.height
    completion = np.round(rng.uniform(0.7, 0.95, n), 2)
    share = np.round(rng.uniform(0.3, 0.7, n), 2)
    ranged = rng.random(n) < 0.8
    places = np.round(cells["joiners_per_year"].to_numpy() * rng.uniform(0.2, 0.5, n) / (completion * share), 1)
    return typed("training_pipelines", {
        "area": cells["area"], "role": cells["role"], "sector": cells["sector"], "start_year": [2015] * n,
        "end_year": [2029 if x else None for x in rng.random(n) < 0.2], "places": places,
        "course_years": rng.choice(COURSES, n), "completion_rate": completion,
        "completion_low": np.where(ranged, np.round(completion - 0.05, 2), completion),
        "completion_high": np.where(ranged, np.round(np.minimum(completion + 0.05, 1.0), 2), completion),
        "share_taking_post_here": share, "share_here_low": np.where(ranged, np.round(share - 0.1, 2), share),
        "share_here_high": np.where(ranged, np.round(share + 0.1, 2), share),
        "cost_per_place": np.round(rng.uniform(10_000, 200_000, n), -3)})


def with_cohorts(frames: dict[str, pl.DataFrame], seed: int = 20250601) -> dict[str, pl.DataFrame]:
    """The inputs with age bands for every census row, sector flows for every role and a part-time trend on half
    the census rows (from a generator of their own)."""
    from cyplan.schema.supply import AGE_BANDS

    rng = np.random.default_rng(seed + 29)
    w = frames["workforce"]
    n, b = w.height, len(AGE_BANDS)
    share = rng.dirichlet(np.ones(b) * 3, n)
    share = np.round(share, 3)
    share[:, -1] = np.round(1 - share[:, :-1].sum(axis=1), 3)
    ok = share[:, -1] >= 0
    share[~ok] = [0.2, 0.3, 0.3, 0.1, 0.1]
    ages = typed("workforce_ages", {
        "area": np.repeat(w["area"].to_numpy(), b), "role": np.repeat(w["role"].to_numpy(), b),
        "sector": np.repeat(w["sector"].to_numpy(), b), "band": list(AGE_BANDS) * n, "share": share.ravel(),
        "retirement_rate": np.tile([0.0, 0.0, 0.005, 0.08, 0.25], n),
        "leaver_rate": [0.18 if i == 0 else None for i in np.tile(np.arange(b), n)],  # blank: the row's rate
        "joiner_share": np.tile([0.5, 0.35, 0.1, 0.05, 0.0], n)})
    moves = [(role, a, c, round(float(rng.uniform(0.005, 0.04)), 3)) for role in ROLES
             for a, c in (("NHS", "voluntary"), ("voluntary", "NHS"), ("council", "private"), ("NHS", "agency"),
                          ("agency", "NHS"), ("council", "agency"))]
    flows = typed("sector_flows", {"role": [m[0] for m in moves], "from_sector": [m[1] for m in moves],
                                   "to_sector": [m[2] for m in moves], "rate": [m[3] for m in moves]})
    # a blank is null, as an import gives it (a NaN would be taken as a number: half the rows' stock NaN)
    trend = np.where(rng.random(n) < 0.5, np.round(rng.uniform(-0.02, 0.0, n), 3), np.nan)
    return frames | {"workforce": w.with_columns(pl.Series("fte_per_head_trend", trend).fill_nan(None)),
                     "workforce_ages": ages, "sector_flows": flows}
