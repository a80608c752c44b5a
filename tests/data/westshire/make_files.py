"""Writes Westshire's files as a council analyst would have them (run once; the files are committed).

Westshire (E10000099) is made up. Its files are shaped like the ones councils get: an ONS-style population
workbook with title rows and five-year age bands, a workforce census with NHS column names, a service register
with Y/N, and a referral extract with NHS ethnic category codes and UK dates.
"""

import csv
import random
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
AREA = "E10000099"
# A five-year band's count, per sex: about 16,000 children a band, as in a county of 550,000 people.
BANDS = [("0-4", 15800, 15000), ("5-9", 16900, 16100), ("10-14", 17600, 16700), ("15-19", 16400, 15500),
         ("20-24", 14200, 13800), ("25", 3000, 2950)]


def population() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "population"
    ws.append(["Mid-2025 population estimates: Westshire, by five-year age band and sex"])
    ws.append(["Source: Office for National Statistics, mid-year population estimates (made up for this test)"])
    ws.append([])
    ws.append(["Area code", "Year", "Age", "Sex", "Population"])
    for band, males, females in BANDS:
        ws.append([AREA, 2025, band, "M", males])
        ws.append([AREA, 2025, band, "F", females])
    wb.save(HERE / "population-mid-2025.xlsx")


def workforce() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "workforce"
    ws.append(["Area code", "Role", "Sector", "Head count", "FTE", "Vacancies", "agency_fte", "leaver_rate",
               "joiners_per_year", "source"])
    rows = [("mh_practitioner", "NHS", 120, 104.5, 14, 6, "12%", 11),
            ("clinical_psychologist", "NHS", 38, 31.2, 5, 1, "10%", 3),
            ("wellbeing_practitioner", "NHS", 30, 27, 3, 0, "18%", 5),
            ("administrator", "NHS", 22, 18.6, 1, 0.5, "9%", 2)]
    for role, sector, heads, fte, vacant, agency, leavers, joiners in rows:
        ws.append([AREA, role, sector, heads, fte, vacant, agency, leavers, joiners,
                   "Westshire NHS FT workforce census, March 2025 (made up)"])
    wb.save(HERE / "workforce-census-2025.xlsx")


def returns() -> None:
    rng = random.Random(99)
    codes = list("ABCDEFGHJKLMNPRSZ")  # NHS Data Dictionary ethnic category codes
    with open(HERE / "referrals-2025.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        # the extract's system records no religion, referral source, … : those columns are there but blank
        blank = ["religion", "referral_source", "education_status", "accommodation", "trauma_category",
                 "advocate_assigned", "care_plan", "advice_consultation", "concluded"]
        out.writerow(["referral_id", "service", "received_date", "accepted", "age", "gender", "ethnicity", *blank])
        for i in range(1, 121):
            day, month = rng.randint(1, 28), rng.choice([4, 5, 6, 7, 8, 9])
            out.writerow([f"WS{i:04d}", rng.choice(["wmhst", "Westshire early help mental health"]),
                          f"{day:02d}/{month:02d}/2025", rng.choice(["Y", "Y", "N"]), rng.randint(5, 18),
                          rng.choice(["Male", "Female"]), rng.choice(codes), *[""] * len(blank)])


if __name__ == "__main__":
    population()
    workforce()
    returns()
