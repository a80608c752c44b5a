"""Build seed004_records.csv: referral records whose accepted referrals give seed 004's tables exactly.

Each table of the seed is a separate marginal (category × quarter, or age × gender, or a milestone's
yes / no / blank). Within a quarter every table counts the same referrals (the Grand Totals agree), so
each quarter's referrals take each field's values from that quarter's column, independently, shuffled
with a fixed seed; age, gender and milestones (no quarters in the seed) are shuffled over all 4,111.
300 referrals not accepted (4,411 received) are added, 50 a quarter, without milestones.

Run: python examples/returns/make_seed004_records.py  (deterministic: the same file every time)
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from seed004_tables import (  # noqa: E402
    ACCEPTED,
    AGE_GENDER,
    INVALID,
    MILESTONES,
    QUARTERS,
    RECEIVED_TOTAL,
    TABLES,
)

COLUMNS = ("referral_id", "service", "received_date", "accepted", "age", "gender", "ethnicity", "religion",
           "referral_source", "education_status", "accommodation", "trauma_category", "advocate_assigned",
           "care_plan", "advice_consultation", "concluded")
AGES = {"Nursery": 2, "4 to 6": 5, "7 to 9": 8, "10 to 11": 11, "12 to 15": 14, "16 to 17": 16, "18": 18,
        "19": 19, "20 to 24": 22, "25+": 25, "Unknown age": None}
INVALID_VALUE = {"ethnicity": "Prefer not to say", "religion": "Unknown - not asked"}  # values not on the lists
MILESTONE_COLUMNS = ("advocate_assigned", "care_plan", "advice_consultation", "concluded")
QUARTER_START = [dt.date(2022, 4, 1), dt.date(2022, 7, 1), dt.date(2022, 10, 1), dt.date(2023, 1, 1),
                 dt.date(2023, 4, 1), dt.date(2023, 7, 1)]


def _values(field: str, table: dict[str, tuple[int, ...]], q: int) -> list[str]:
    out: list[str] = []
    for category, counts in table.items():
        value = "" if category == "(blank)" else INVALID_VALUE[field] if category == INVALID else category
        out += [value] * counts[q]
    return out


def build() -> list[dict[str, str]]:
    rng = random.Random(4)
    total = sum(ACCEPTED)
    people = [(AGES[g], sex) for g, counts in AGE_GENDER.items()
              for sex, n in zip(("Female", "Male", ""), counts, strict=True) for _ in range(n)]
    assert len(people) == total, len(people)
    rng.shuffle(people)
    milestones = {}
    for column, (yes, blank) in zip(MILESTONE_COLUMNS, MILESTONES.values(), strict=True):
        values = ["yes"] * yes + [""] * blank + ["no"] * (total - yes - blank)
        rng.shuffle(values)
        milestones[column] = values
    rows: list[dict[str, str]] = []
    k = 0
    for q, n in enumerate(ACCEPTED):
        fields = {}
        for field, table in TABLES.items():
            values = _values(field, table, q)
            assert len(values) == n, (field, QUARTERS[q], len(values), n)
            rng.shuffle(values)
            fields[field] = values
        days = (QUARTER_START[q + 1] if q + 1 < len(QUARTER_START) else dt.date(2023, 10, 1)) - QUARTER_START[q]
        for i in range(n):
            age, sex = people[k]
            rows.append({"service": fields["service"][i],
                         "received_date": (QUARTER_START[q] + dt.timedelta(days=i * days.days // n)).isoformat(),
                         "accepted": "yes", "age": "" if age is None else str(age), "gender": sex,
                         **{f: fields[f][i] for f in TABLES if f != "service"},
                         **{m: milestones[m][k] for m in MILESTONE_COLUMNS}})
            k += 1
        services = [s for s, counts in TABLES["service"].items() if counts[q]]
        for i in range((RECEIVED_TOTAL - total) // len(ACCEPTED)):
            rows.append({"service": services[i % len(services)],
                         "received_date": (QUARTER_START[q] + dt.timedelta(days=(i * 7) % days.days)).isoformat(),
                         "accepted": "no", "age": "", "gender": "", **{f: "" for f in TABLES if f != "service"},
                         **{m: "" for m in MILESTONE_COLUMNS}})
    rows.sort(key=lambda r: (r["received_date"], r["service"]))
    return [{"referral_id": f"FIC{i:05d}", **r} for i, r in enumerate(rows, start=1)]


def main() -> None:
    rows = build()
    with (HERE / "seed004_records.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"Wrote {len(rows):,} referrals to {HERE / 'seed004_records.csv'}")


if __name__ == "__main__":
    main()
