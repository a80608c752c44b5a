"""Writes the demo's referral returns (src/cyplan/reference/demo/returns/referrals.csv): 2,400 made-up
records for Exampleshire's locality teams over 2025/26, in seed 004's categories, with a few blanks and
invalid values so the quality report has something to show; ethnicity and religion follow the demo's population by
group, some groups reached more than others, so the equality view has something to show.
Run again only to change the demo; the seed keeps it the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from cyplan.reference import codelists as C
from cyplan.returns import fields as F

DEMO = Path(__file__).parents[1] / "src/cyplan/reference/demo"
OUT = DEMO / "returns/referrals.csv"
REACH = {"ethnicity": {"Asian or Asian British": 0.6, "African": 1.3, "Mixed or Multiple ethnic groups": 1.4,
                       "White Minorities": 0.8},
         "religion": {"Muslim": 0.7, "Not known or recorded/Other": 1.5}}
N, SEED = 2400, 2025
# a service of the demo's own register (services.csv): the service code list is the register's services
SERVICE = "locality_teams"


def main() -> None:
    rng = np.random.default_rng(SEED)
    lists = C.load()

    def column(categories: tuple[str, ...], blank: float = 0.08, invalid: float = 0.01,
               weights: np.ndarray | None = None) -> np.ndarray:
        if weights is None:
            weights = 1 / np.arange(1, len(categories) + 1) ** 1.2  # a few common categories, a long tail
        values = np.array(categories, dtype=object)[rng.choice(len(categories), N, p=weights / weights.sum())]
        u = rng.random(N)
        values[u < blank] = ""
        values[(u >= blank) & (u < blank + invalid)] = "Not known"
        return values

    population = pl.read_csv(DEMO / "population_groups.csv")
    reached = {}  # each group's share of referrals: its share of the population times how well it is reached
    for field, reach in REACH.items():
        rows = population.filter(pl.col("field") == field)
        share = dict(zip(rows["category"], rows["count"], strict=True))
        cats = lists[field].categories
        reached[field] = np.array([share.get(c, 0) * reach.get(c, 1.0) for c in cats], dtype=float)
    dates = (np.datetime64("2025-04-01") + np.sort(rng.integers(0, 365, N))).astype(str)
    accepted = rng.random(N) < 0.88
    ages = np.clip(np.round(rng.normal(14.5, 3.5, N)), 0, 25).astype(int).astype(str).astype(object)
    ages[rng.random(N) < 0.03] = ""
    milestones = {}
    for m, p_yes in zip(F.MILESTONES, (0.7, 0.55, 0.4, 0.5), strict=True):
        u = rng.random(N)
        milestones[m] = np.where(~accepted, "", np.where(u < p_yes, "yes", np.where(u < 0.93, "no", "")))
    frame = pl.DataFrame({
        F.ID: [f"EX{i:05d}" for i in range(1, N + 1)], "service": SERVICE, F.DATE: dates,
        F.ACCEPTED: np.where(accepted, "yes", "no"), F.AGE: ages.astype(str),
        "gender": column(("Female", "Male"), 0.02, 0.01),
        **{c: column(lists[c].categories, weights=reached.get(c)) for c in F.CATEGORICAL
           if c not in ("service", "gender")},
        **milestones})
    frame.select(F.COLUMNS).write_csv(OUT)
    print(f"wrote {N:,} records to {OUT}")


if __name__ == "__main__":
    main()
