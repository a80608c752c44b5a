"""The FTE range that Segal et al. 2018's stated parameters imply, worked out by cyplan's own model.

Seed 000 (the abstract of Segal et al. 2018) states tertiary-level need of 5–8% "across infancy and childhood" and
16% "in mid-adolescence", and a care pathway of 3 + 27 + 4 + 12 + 12 = 58 hours per patient a year. It does not
state South Australia's population, the ages of "mid-adolescence", or the hours of direct work one FTE gives, so
947 FTE cannot be reproduced from it. This script shows instead what the stated parameters give per 100,000
children aged 0 to 17, across the parameters the seed leaves open:

    .venv/bin/python scripts/segal_range.py          # prints the table that docs/method.md shows

Each cell is one run of cyplan's need → demand model (cyplan.model.plan.run, the code `cyplan demand` runs) on:
1,000 children at each single year of age 0–17 and each sex (equal numbers at each age: an assumption, the seed
gives no age structure); tertiary prevalence at the childhood rate except in the mid-adolescence ages, at 16%;
Segal's five steps (58 h); one role with the demo practitioner's working time (available working time 1,552.5 h)
at three direct-work shares. Coverage is 1: the model is for "all ... in need".
"""

from __future__ import annotations

import polars as pl

from cyplan.model.build import build, empty
from cyplan.model.plan import demand_table, run

CHILDREN_PER_AGE_AND_SEX = 1_000
AGES = range(18)  # 0 to 17
CHILDREN = CHILDREN_PER_AGE_AND_SEX * len(AGES) * 2
MID_ADOLESCENCE = 0.16  # stated: "16% in mid-adolescence"
CHILDHOOD = (0.05, 0.08)  # stated: "5–8% across infancy and childhood"
BANDS = ((14, 15), (12, 17))  # not stated: a narrow and a wide reading of "mid-adolescence"
STEPS = (("reception, triage and follow-up", 3.0), ("core clinical management", 27.0),
         ("psychiatric oversight", 4.0), ("specialised clinical role", 12.0), ("socioeconomic support", 12.0))
DIRECT_SHARES = (0.5, 0.6, 0.7)  # not stated: the demo's 0.6 and a point either side
# the demo mental health practitioner's working time (reference/demo/roles.csv): AWT = 207 days × 7.5 h = 1,552.5 h
WORKING_TIME = {"contracted_hours_per_week": 37.5, "working_days_per_week": 5.0, "annual_leave_days": 29.0,
                "public_holiday_days": 8.0, "sickness_days": 11.0, "training_days": 5.0}


def frame(kind: str, rows: list[dict[str, object]]) -> pl.DataFrame:
    """An input table with the schema's columns and types (a column not given is blank)."""
    schema = empty(kind).schema
    return pl.DataFrame([{c: row.get(c) for c in schema} for row in rows], schema=schema)


def inputs(childhood: float, band: tuple[int, int], direct_share: float) -> dict[str, pl.DataFrame]:
    lo, hi = band
    ranges = [(0, lo - 1, childhood), (lo, hi, MID_ADOLESCENCE)] + ([(hi + 1, 17, childhood)] if hi < 17 else [])
    return {
        "areas": frame("areas", [{"code": "SA", "name": "South Australia (per 100,000 aged 0 to 17)",
                                  "kind": "custom"}]),
        "population": frame("population", [{"area": "SA", "year": 2018, "age": a, "sex": s,
                                            "count": float(CHILDREN_PER_AGE_AND_SEX)}
                                           for a in AGES for s in ("female", "male")]),
        "levels": frame("levels", [{"level": "tertiary", "label": "Tertiary", "coverage": 1.0}]),
        "prevalence": frame("prevalence", [{"level": "tertiary", "age_from": a, "age_to": b, "sex": "all",
                                            "low": p, "central": p, "high": p} for a, b, p in ranges]),
        "pathway_steps": frame("pathway_steps", [{"level": "tertiary", "step": s, "order": i + 1, "low": h,
                                                  "central": h, "high": h} for i, (s, h) in enumerate(STEPS)]),
        "role_mix": frame("role_mix", [{"level": "tertiary", "step": s, "role": "clinical", "share": 1.0}
                                       for s, _ in STEPS]),
        "roles": frame("roles", [{"role": "clinical", "label": "Clinical", "staff_group": "Clinical",
                                  **WORKING_TIME, "direct_work_share": direct_share, "salary": 0.0,
                                  "on_cost_rate": 0.0}]),
    }


def per_100k(childhood: float, band: tuple[int, int], direct_share: float) -> tuple[float, float, float]:
    """Cases, direct hours and FTE per 100,000 children aged 0 to 17, by cyplan's model."""
    table = demand_table(run(inputs(childhood, band, direct_share)), ["role"])
    scale = 100_000 / CHILDREN
    hours, fte = table["hours"].sum() * scale, table["fte"].sum() * scale
    return hours / sum(h for _, h in STEPS), hours, fte


def productive_hours(direct_share: float) -> float:
    """Direct hours one FTE gives a year, as cyplan works them out from the role's working time."""
    return float(build(inputs(CHILDHOOD[0], BANDS[0], direct_share)).roles.productive_hours[0])


def table() -> list[str]:
    """The markdown table of docs/method.md: one row per reading of the stated rates, one column per share."""
    head = ["mid-adolescence (16%)", "elsewhere 0–17", "cases", "direct hours"]
    head += [f"FTE at {productive_hours(d):,.2f} h (share {d})" for d in DIRECT_SHARES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for band in BANDS:
        for childhood in CHILDHOOD:
            cells = [per_100k(childhood, band, d) for d in DIRECT_SHARES]
            cases, hours, _ = cells[0]
            row = [f"ages {band[0]}–{band[1]}", f"{childhood:.0%}", f"{cases:,.0f}", f"{hours:,.0f}"]
            lines.append("| " + " | ".join(row + [f"{fte:,.1f}" for _, _, fte in cells]) + " |")
    return lines


if __name__ == "__main__":
    print("\n".join(table()))
