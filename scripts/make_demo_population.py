"""Make the demo area's population input: src/cyplan/reference/demo/population.csv.

Exampleshire (E10999999) is a fictional shire county. Its population is synthetic, shaped like ONS
subnational population projections for a shire county; no figure here is an ONS figure. The script
is deterministic (no random numbers), so the file can be regenerated and audited:

    python scripts/make_demo_population.py            # writes the file
    python scripts/make_demo_population.py --check    # fails if the file differs from what it makes

Method, by single year of age 0–25 and sex, for the years 2025–2035:

1. Cohort sizes. Each birth year 2000–2025 has a relative size (COHORT_INDEX, 1 = average): a rise
   through the 2000s to a peak around 2012 and a fall since, damped relative to the national
   pattern. In 2025 that peak is the teenage bulge (ages 12–14) and the recent fall is why ages
   0–4 are a little smaller.
2. Net migration. Moving from age a-1 to age a, a cohort is multiplied by MIGRATION[a]: a small
   net inflow of young families (ages 1–15), outflow of school leavers and students at 18–20
   (the dip at 19–22, a little stronger for young women, who are likelier to go to university),
   and some return of graduates and young workers from 22. Deaths at these ages are negligible
   and folded into the same factors.
3. The 2025 population is cohort size x cumulative migration, scaled so that the 2025 total aged
   0–25 is TOTAL_2025 before rounding. Males are MALE_SHARE_AT_BIRTH of each cohort at birth.
4. Projection: births (age 0) fall by BIRTHS_CHANGE a year (-0.5%); every other age ages forward
   by cohort: count[year + 1, age] = count[year, age - 1] x MIGRATION[age, sex].
5. Counts are kept unrounded until the end and written as whole numbers.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

AREA = "E10999999"
FIRST_YEAR, LAST_YEAR = 2025, 2035
AGES = np.arange(26)  # single years of age 0–25, as in cyplan.schema.AGES
SEXES = ("female", "male")  # as in cyplan.schema.SEXES
TOTAL_2025 = 250_000.0  # people aged 0–25 in 2025, before rounding
MALE_SHARE_AT_BIRTH = 0.512  # about 105 boys per 100 girls
BIRTHS_CHANGE = -0.005  # births fall 0.5% a year over the projection

# Relative size of each birth cohort, birth years 2000 (age 25 in 2025) to 2025 (age 0 in 2025).
COHORT_INDEX = np.array([
    0.985, 0.980, 0.980, 0.990, 1.000,  # 2000–2004
    1.005, 1.015, 1.025, 1.040, 1.040,  # 2005–2009
    1.050, 1.055, 1.060, 1.045, 1.040,  # 2010–2014
    1.035, 1.030, 1.015, 1.000, 0.990,  # 2015–2019
    0.975, 0.980, 0.965, 0.955, 0.955,  # 2020–2024
    0.950,                              # 2025
])
assert COHORT_INDEX.shape == (26,)

# Net migration factor from age a-1 to age a (index a; index 0 unused), female and male.
_BOTH = np.array([
    1.000,                                     # 0 (births, not used)
    1.006, 1.006, 1.006, 1.006,                # 1–4: young families move in
    1.003, 1.003, 1.003, 1.003, 1.003, 1.003,  # 5–10
    1.002, 1.002, 1.002, 1.002, 1.002,         # 11–15
    1.000, 1.000,                              # 16–17
    0.975,                                     # 18: first school leavers go
    0.910,                                     # 19: students leave for university
    0.975,                                     # 20
    0.995,                                     # 21
    1.020,                                     # 22: graduates begin to return
    1.030, 1.025, 1.015,                       # 23–25: young workers move in
])
MIGRATION = np.stack([_BOTH, _BOTH])  # [sex, age]
MIGRATION[0, 19] = 0.905  # young women a little likelier to leave for university
MIGRATION[1, 19] = 0.915
assert MIGRATION.shape == (2, 26)

# said in a board paper's notes: no file path (a reader has only the paper)
SOURCE = "Demo assumption: synthetic, shaped like ONS subnational projections for a shire county"
OUTPUT = Path(__file__).resolve().parents[1] / "src" / "cyplan" / "reference" / "demo" / "population.csv"


def project() -> np.ndarray:
    """Unrounded counts, shape [year, age, sex] with sex in SEXES order."""
    years = LAST_YEAR - FIRST_YEAR + 1
    cumulative = np.cumprod(MIGRATION, axis=1)  # [sex, age]: survival-and-migration from birth
    cohort = COHORT_INDEX[::-1]  # by age in 2025: age 0 is born 2025
    sex_at_birth = np.array([1 - MALE_SHARE_AT_BIRTH, MALE_SHARE_AT_BIRTH])
    base = cohort[:, None] * sex_at_birth[None, :] * cumulative.T  # [age, sex]
    base *= TOTAL_2025 / base.sum()
    counts = np.empty((years, AGES.size, 2))
    counts[0] = base
    for i in range(1, years):
        counts[i, 0] = counts[i - 1, 0] * (1 + BIRTHS_CHANGE)
        counts[i, 1:] = counts[i - 1, :-1] * MIGRATION.T[1:]
    return counts


def render(counts: np.ndarray) -> str:
    whole = np.rint(counts).astype(np.int64)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["area", "year", "age", "sex", "count", "source"])
    for i, year in enumerate(range(FIRST_YEAR, LAST_YEAR + 1)):
        for age in AGES:
            for s, sex in enumerate(SEXES):
                writer.writerow([AREA, year, int(age), sex, int(whole[i, age, s]), SOURCE])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the CSV")
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args(argv)
    text = render(project())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{args.output} is not what this script makes; run it without --check", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8", newline="")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
