"""The reference workforce figures (src/cyplan/reference/workforce/) are seed 001's, number for number.

- children_workforce_by_sector.csv is table 2.1: eight sectors whose sum is the seed's total, 2,654,631;
- vacancy_rates.csv is fig. 4.1 (three groups, 2004–2006); turnover_rates.csv is fig. 4.3 (nine regions ×
  five roles, 2006);
- every row says where it comes from;
- the files are checked against the seed's own text too, read from ../shared/seeds/ beside the repository
  (where CI keeps a copy of shared/) or from the folder CYPLAN_SEEDS names; without it the tests fail;
- the worked examples of the stock formula and the joiners needed in docs/method.md are what
  cyplan.model.supply computes.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np
import pytest

from cyplan import reference
from cyplan.model.supply import effective, joiners_needed, retirement_rate, stock

HERE = Path(reference.__file__).parent / "workforce"
ROOT = Path(__file__).parents[1]
SEEDS = Path(os.environ.get("CYPLAN_SEEDS") or ROOT.parent / "shared" / "seeds")

# Seed 001, table 2.1 (after para 2.11): sector → (estimate of the size of the workforce, year of estimate)
TABLE_2_1 = {
    "Schools & Education": (1_103_200, "2008"),
    "Early Years, childcare and play": (411_000, "2007"),
    "Social, community, family support": (168_340, "2008"),
    "Youth": (30_542, "2007"),
    "Health": (117_000, "2006/7"),
    "Managers and Leaders": (52_036, "2008"),
    "Justice and Crime Prevention": (18_013, "2006"),
    "Leisure and Sport": (754_500, "2005"),
}
TABLE_2_1_TOTAL = 2_654_631  # the seed's "Totals" row

# Seed 001, fig. 4.1, comparative vacancy rates (%), 2004, 2005, 2006
FIG_4_1 = {"Youth workers": (4, 5, 5), "Social workers": (11.4, 11.8, 9.5), "Teaching": (0.6, 0.7, 0.7)}

# Seed 001, fig. 4.3, turnover rates (%) in 2006
FIG_4_3_ROLES = ("Primary Teaching", "Secondary Teaching", "Field Social Workers",
                 "Residential Managers / Supervisor", "Residential care staff")
FIG_4_3 = {
    "North East": (6.5, 8.8, 6.2, 2.7, 9),
    "North West": (9.2, 10.2, 7.6, 4.3, 10.8),
    "Yorkshire and the Humber": (6.8, 10, 9, 4.9, 8.2),
    "East Midlands": (9.9, 11.3, 7.6, 1.2, 25.4),
    "West Midlands": (9.7, 10.2, 9.2, 7.5, 9.2),
    "East of England": (8.7, 8.3, 9.1, 7, 7.3),
    "London": (10.9, 12.3, 12.4, 17, 17.6),
    "South East": (9.3, 13, 12.4, 10.5, 9.9),
    "South West": (9.7, 10.6, 8.9, 21.5, 50.7),
}


def rows(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# -- table 2.1 -----------------------------------------------------------------------------------


def test_workforce_by_sector_is_table_2_1_row_for_row() -> None:
    sectors = [r for r in rows("children_workforce_by_sector.csv") if r["row"] == "sector"]
    assert {r["sector"]: (int(r["workforce"]), r["year_of_estimate"]) for r in sectors} == TABLE_2_1
    assert [r["sector"] for r in sectors] == list(TABLE_2_1)  # in the seed's order


def test_table_2_1_total_is_the_seeds_and_the_sum_of_its_rows() -> None:
    table = rows("children_workforce_by_sector.csv")
    totals = [r for r in table if r["row"] == "total"]
    assert len(totals) == 1 and totals[0]["sector"] == "Totals"
    assert int(totals[0]["workforce"]) == TABLE_2_1_TOTAL
    assert sum(int(r["workforce"]) for r in table if r["row"] == "sector") == TABLE_2_1_TOTAL
    assert {r["row"] for r in table} == {"sector", "total"}
    # "approximately 2.7 million people in the workforce" (para 2.10)
    assert round(TABLE_2_1_TOTAL / 1e6, 1) == 2.7


# -- figs 4.1 and 4.3 ----------------------------------------------------------------------------


def test_vacancy_rates_are_fig_4_1() -> None:
    table = rows("vacancy_rates.csv")
    assert len(table) == 3 * 3
    got: dict[str, list[float]] = {}
    for r in table:
        got.setdefault(r["group"], []).append(float(r["vacancy_rate_percent"]))
        assert r["year"] in ("2004", "2005", "2006")
    assert {g: tuple(v) for g, v in got.items()} == FIG_4_1
    # para 4.5: "The national vacancy rate is 9.5%" for social workers, the figure's 2006 value
    assert next(float(r["vacancy_rate_percent"]) for r in table
                if r["group"] == "Social workers" and r["year"] == "2006") == 9.5


def test_turnover_rates_are_fig_4_3() -> None:
    table = rows("turnover_rates.csv")
    assert len(table) == len(FIG_4_3) * len(FIG_4_3_ROLES) == 45
    assert {r["year"] for r in table} == {"2006"}
    got = {(r["region"], r["role"]): float(r["turnover_rate_percent"]) for r in table}
    assert len(got) == 45  # one row per region and role
    expected = {(region, role): value for region, values in FIG_4_3.items()
                for role, value in zip(FIG_4_3_ROLES, values, strict=True)}
    assert got == expected
    # each role's column, summed over the regions, as the seed's figure gives it
    for i, role in enumerate(FIG_4_3_ROLES):
        column = sum(v for (_, r), v in got.items() if r == role)
        assert column == pytest.approx(sum(values[i] for values in FIG_4_3.values()))
    # para 4.10's "particular problems in the South West and East Midlands"
    care = {region: v for (region, role), v in got.items() if role == "Residential care staff"}
    assert sorted(care, key=care.get)[-2:] == ["East Midlands", "South West"]


# -- sources -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "where"), [("children_workforce_by_sector.csv", "table 2.1"),
                                             ("vacancy_rates.csv", "fig. 4.1"),
                                             ("turnover_rates.csv", "fig. 4.3")])
def test_every_row_has_a_source(name: str, where: str) -> None:
    table = rows(name)
    assert table
    for r in table:
        assert r["source"].strip(), r
        assert "Seed 001" in r["source"] and where in r["source"], r["source"]


def test_the_readme_describes_every_file() -> None:
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    for path in HERE.glob("*.csv"):
        assert f"`{path.name}`" in readme


# -- against the seed's own text ------------------------------------------------------------------


def seed_001() -> str:
    found = sorted(SEEDS.glob("001_*.txt")) if SEEDS.is_dir() else []
    if not found:  # a skip here would let the reference figures drift from the seed unseen
        pytest.fail(f"seed 001 (001_*.txt) is not in {SEEDS}: put a copy of the project's shared/ folder beside "
                    "the repository (../shared/seeds/), or set CYPLAN_SEEDS to the folder holding the seeds",
                    pytrace=False)
    return found[0].read_text(encoding="utf-8")


def seed_rows(text: str, first: str, n: int) -> list[list[str]]:
    """The n tab-separated lines of the seed starting with the line that starts with `first`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    return [line.split("\t") for line in lines[start : start + n]]


def number(cell: str) -> float:
    return float(re.sub(r"[,%*\s]", "", cell))


def test_table_2_1_as_the_seed_prints_it() -> None:
    table = seed_rows(seed_001(), "Schools & Education\t", 9)
    assert {r[0].rstrip("*"): (int(number(r[1])), r[2]) for r in table[:8]} == TABLE_2_1
    assert table[8][0] == "Totals" and int(number(table[8][1])) == TABLE_2_1_TOTAL


def test_figures_4_1_and_4_3_as_the_seed_prints_them() -> None:
    text = seed_001()
    vacancies = seed_rows(text, "Youth workers\t", 3)
    assert {r[0]: tuple(number(c) for c in r[1:]) for r in vacancies} == FIG_4_1
    header = seed_rows(text, "Turnover Rates (%)\t", 1)[0]
    assert tuple(header[1:]) == FIG_4_3_ROLES
    turnover = seed_rows(text, "North East\t", 9)
    assert {r[0]: tuple(number(c) for c in r[1:]) for r in turnover} == FIG_4_3


# -- the worked examples in docs/method.md --------------------------------------------------------


def test_method_stock_example_matches_the_code() -> None:
    """The demo's clinical psychologists: 70 FTE, leaver rate 10%, 20% aged 55+, 7 joiners, 3 agency."""
    method = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    retire = retirement_rate(np.array([0.20]), np.array([np.nan]))
    assert retire == pytest.approx([0.02])
    in_post = stock(np.array([70.0]), np.array([0.10]), retire, np.array([7.0]), 11)[0]
    assert in_post[:3] == pytest.approx([70, 68.6, 67.368])
    a10 = 0.88**10
    assert a10 == pytest.approx(0.27850, abs=5e-6)
    assert in_post[10] == pytest.approx(61.58, abs=5e-3)
    supply = effective(in_post[None], np.array([3.0]), np.array([1.0]))[0]
    assert supply[10] == pytest.approx(64.58, abs=5e-3)
    for text in ("| 70 × 0.88 + 7 | 68.6 |", "| 68.6 × 0.88 + 7 | 67.368 |", "| **61.58** |", "**64.58 FTE**"):
        assert text in method

    # joiners needed by 2035 against the central demand of 320.748 FTE (the CLI's figure is pinned to the page by
    # tests/test_docs.py's test_method_gap_and_joiners_examples_are_what_the_cli_shows)
    j = joiners_needed(np.array([70.0]), np.array([0.12]), np.array([0.0]), np.array([320.747802 - 3]), 10)
    assert j == pytest.approx([49.61], abs=5e-3)
    assert stock(np.array([70.0]), np.array([0.10]), retire, j, 11)[0, 10] + 3 == pytest.approx(320.747802)
    assert "= 49.61 FTE a year" in method and "49.61 − 7 = **42.61**" in method

    # the hidden workforce: 24 FTE in education at a CYP share of 0.4
    assert effective(np.array([[24.0]]), np.array([0.0]), np.array([0.4]))[0, 0] == pytest.approx(9.6)
    assert "24 × 0.4 = **9.6 FTE**" in method
