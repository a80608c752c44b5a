"""Make the demo's past workforce census snapshots: src/cyplan/reference/demo/workforce_history.csv.

The snapshots are MADE UP, to show the back-test (`cyplan supply backtest`) working; each row says so in its
source column. Deterministic (a fixed random seed), so the file can be made again and audited:

    python scripts/make_demo_workforce_history.py   # writes the file

For each row of the demo's census (reference/demo/workforce.csv), with its rates:

1. 2022's FTE in post is the census's × a number between 0.94 and 1.
2. Joiners a year count everyone who joined: the census's joiners from elsewhere plus those from training
   (the demo's training_pipelines, whose places × completion × share here are TRAINING), since the back-test
   does not use the pipelines.
3. 2023's and 2024's FTE in post are what the supply step gives from 2022 (S × (1 − leaver − share 55+ ÷ 10)
   + joiners) × a number between 0.95 and 1.06: the "actual" differs from the projection by up to about 5%.
4. Headcount keeps the census's headcount per FTE; vacant posts vary by ±20%; every other column is the
   census's. Low and high values are written equal to the value (as the import would fill them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

DEMO = Path(__file__).parents[1] / "src" / "cyplan" / "reference" / "demo"
YEARS = (2022, 2023, 2024)
TRAINING = {("mh_practitioner", "NHS"): 4, ("clinical_psychologist", "NHS"): 1.9, ("psychiatrist", "NHS"): 0.4,
            ("specialist_therapist", "NHS"): 0.9, ("family_support_worker", "council"): 3,
            ("wellbeing_practitioner", "NHS"): 6.3}  # joiners a year from training, as the census's sources say


def snapshots(census: pl.DataFrame, rng: np.random.Generator) -> list[dict[str, object]]:
    out = []
    for r in census.iter_rows(named=True):
        fte_now, heads = float(r["fte_in_post"]), float(r["headcount"])
        start = round(fte_now * rng.uniform(0.94, 1.0))
        leave = float(r["leaver_rate"]) + float(r["share_aged_55_plus"] or 0) / 10
        joiners = float(r["joiners_per_year"]) + TRAINING.get((r["role"], r["sector"]), 0.0)
        stock = start
        for i, year in enumerate(YEARS):
            if i:
                stock = stock * (1 - leave) + joiners
            actual = start if i == 0 else round(stock * rng.uniform(0.95, 1.06), 1)
            row = dict(r)
            row.update(year=str(year), fte_in_post=f"{actual:g}", fte_in_post_low=f"{actual:g}",
                       fte_in_post_high=f"{actual:g}", headcount=str(round(actual * heads / fte_now)),
                       vacant_fte=f"{round(float(r['vacant_fte']) * rng.uniform(0.8, 1.2)):g}",
                       joiners_per_year=f"{joiners:g}", joiners_low=f"{joiners:g}", joiners_high=f"{joiners:g}",
                       source=f"Made up for the demo: a past census snapshot of {year}, invented to show the "
                              "back-test (not real data); joiners a year count everyone who joined, those from "
                              "training included")
            out.append(row)
    return out


def main() -> None:
    census = pl.read_csv(DEMO / "workforce.csv", infer_schema_length=0)
    columns = ["area", "role", "sector", "year"] + [c for c in census.columns if c not in ("area", "role", "sector")]
    pl.DataFrame(snapshots(census, np.random.default_rng(7))).select(columns).write_csv(
        DEMO / "workforce_history.csv")


if __name__ == "__main__":
    main()
