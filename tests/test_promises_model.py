"""The model's promises, each on numbers worked by hand: cost to close counts only shortages (a surplus in
one role does not pay for a shortage in another), WISN hours for a role on a four-day week, and agency
staff counted at the CYP share like staff in post.

The tiny area (test_model.tiny): 2,200 children aged 5–15 at 10% prevalence = 220 cases × 10 hours =
2,200 hours, split 3:1 between roles a (1,650 h) and b (550 h). Five-day WISN hours: (52 × 5 − 29 − 8 − 11
− 5) = 207 days × 7.5 h = 1,552.5 h × 0.6 direct = 931.5 productive hours. Cost per FTE 42,000 × 1.35.
"""

from __future__ import annotations

import polars as pl
import pytest

from cyplan.model.gap import gap_table
from cyplan.model.plan import demand_table, run
from cyplan.model.simulate import simulate
from test_model import frame, tiny

COST_PER_FTE = 42_000 * 1.35  # 56,700
DEMAND_A, DEMAND_B = 1650 / 931.5, 550 / 931.5  # 1.7713 and 0.5904 FTE


def census_row(role: str, fte: float, agency: float = 0.0, cyp_share: float = 1.0,
               sector: str = "NHS") -> dict[str, object]:
    """A census row with nobody leaving or joining, so supply stays at (fte + agency) × CYP share."""
    return {"area": "T1", "role": role, "sector": sector, "headcount": fte, "fte_in_post": fte, "vacant_fte": 0.0,
            "agency_fte": agency, "leaver_rate": 0.0, "leaver_rate_low": 0.0, "leaver_rate_high": 0.0,
            "share_aged_55_plus": 0.0, "retirement_rate": 0.0, "joiners_per_year": 0.0, "joiners_low": 0.0,
            "joiners_high": 0.0, "cyp_share": cyp_share}


def with_census(*rows: dict[str, object]) -> dict[str, pl.DataFrame]:
    f = tiny()
    f["workforce"] = frame("workforce", list(rows))
    return f


# -- cost to close: a surplus does not offset a shortage ----------------------------------------------------

SHORT_AND_SURPLUS = (census_row("a", 1.0), census_row("b", 5.0))  # a: 0.7713 FTE short; b: 4.4096 FTE over
COST_A = (DEMAND_A - 1.0) * COST_PER_FTE  # 0.771337 × 56,700 = £43,734.8


def test_cost_to_close_by_role_is_the_shortage_times_cost_and_zero_for_the_role_with_a_surplus() -> None:
    table = gap_table(simulate(with_census(*SHORT_AND_SURPLUS)), ["role"]).sort("role")
    assert table["gap_fte"].to_list() == pytest.approx([DEMAND_A - 1.0, DEMAND_B - 5.0])
    assert table["cost_to_close"].to_list() == pytest.approx([43_734.8, 0.0], abs=0.1)
    assert table["cost_to_close"].to_list() == pytest.approx([COST_A, 0.0])


def test_cost_to_close_for_the_area_is_not_cut_by_another_roles_surplus() -> None:
    """Area total (no breakdown; what `scenarios compare` and the paper's headline use): the net gap is
    2.3618 − 6 = −3.64 FTE, but role a is still short, so the cost is role a's £43,734.8, not £0."""
    table = gap_table(simulate(with_census(*SHORT_AND_SURPLUS)), [])
    assert table["gap_fte"].to_list() == pytest.approx([DEMAND_A + DEMAND_B - 6.0])  # the net gap is a surplus
    assert table["cost_to_close"].to_list() == pytest.approx([COST_A])


def test_cost_to_close_by_sector_is_not_cut_by_another_roles_surplus_in_that_sector() -> None:
    table = gap_table(simulate(with_census(*SHORT_AND_SURPLUS)), ["sector"]).filter(sector="NHS")
    assert table["cost_to_close"].to_list() == pytest.approx([COST_A])


def test_cost_to_close_over_draws_counts_each_draws_shortage_only() -> None:
    """With draws the shortage is taken draw by draw before the median: role a stays short in every draw
    (its demand is at least 2,200 × 0.05 × 7.5 / 931.5 = 0.886 FTE against a supply of 0.5), so the area's
    median cost equals role a's median cost however large role b's surplus (50 FTE)."""
    rows = (census_row("a", 0.5), census_row("b", 50.0))
    sim = simulate(with_census(*rows), draws=500, seed=3)
    area = gap_table(sim, []).row(0, named=True)
    by_role = gap_table(sim, ["role"]).sort("role")
    assert by_role["cost_to_close"][1] == 0
    assert area["cost_to_close"] == pytest.approx(by_role["cost_to_close"][0])
    assert area["cost_to_close"] > 0


# -- WISN on a four-day week --------------------------------------------------------------------------------

def four_day_roles(f: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Role b on a four-day, 30-hour week: 52 × 4 = 208 possible days − 29 − 8 − 11 − 5 = 155 working
    days × 7.5 hours a day (30 / 4) = 1,162.5 available hours × 0.6 direct = 697.5 productive hours."""
    f["roles"] = f["roles"].with_columns(
        pl.when(pl.col("role") == "b").then(4.0).otherwise(pl.col("working_days_per_week"))
        .alias("working_days_per_week"),
        pl.when(pl.col("role") == "b").then(30.0).otherwise(pl.col("contracted_hours_per_week"))
        .alias("contracted_hours_per_week"))
    return f



def test_wisn_hours_for_a_four_day_week_count_52_times_4_days_at_hours_per_day() -> None:
    """Catches 52 × 5 possible days for every role (207 days × 7.5 × 0.6 = 931.5) and hours a day taken as
    hours a week ÷ 5 (155 × 6 × 0.6 = 558)."""
    table = demand_table(run(four_day_roles(tiny())), ["role"]).sort("role")
    assert table["fte"].to_list() == pytest.approx([DEMAND_A, 550 / 697.5])


def test_wisn_four_day_week_in_the_simulation_and_its_cost() -> None:
    sim = simulate(four_day_roles(with_census(census_row("a", 0.0), census_row("b", 0.0))))
    table = gap_table(sim, ["role"]).sort("role")
    assert table["demand_fte"].to_list() == pytest.approx([DEMAND_A, 550 / 697.5])  # 0.7885 FTE
    assert table["cost_to_close"].to_list() == pytest.approx([DEMAND_A * COST_PER_FTE, 550 / 697.5 * COST_PER_FTE])


# -- agency staff × CYP share -------------------------------------------------------------------------------

def test_agency_staff_count_at_the_cyp_share_like_staff_in_post() -> None:
    """10 FTE in post + 4 agency, half their time on this population: (10 + 4) × 0.5 = 7 FTE every year
    (nobody leaves or joins). Catches agency added in full (10 × 0.5 + 4 = 9) or left out (5)."""
    f = with_census(census_row("a", 10.0, agency=4.0, cyp_share=0.5), census_row("b", 2.0, cyp_share=0.25))
    f["population"] = pl.concat([f["population"].with_columns(pl.lit(y, pl.Int64).alias("year"))
                                 for y in (2025, 2026)])
    table = gap_table(simulate(f), ["role"]).sort("year", "role")
    assert table["supply_fte"].to_list() == pytest.approx([7.0, 0.5, 7.0, 0.5])
    assert table.filter(role="a")["gap_fte"].to_list() == pytest.approx([DEMAND_A - 7.0] * 2)


def test_agency_times_cyp_share_with_draws_and_by_sector() -> None:
    """Two sectors for role a: NHS (10 + 4) × 0.5 = 7, voluntary (2 + 6) × 0.25 = 2; total 9."""
    f = with_census(census_row("a", 10.0, agency=4.0, cyp_share=0.5),
                    census_row("a", 2.0, agency=6.0, cyp_share=0.25, sector="voluntary"))
    sim = simulate(f, draws=50, seed=2)
    by_sector = gap_table(sim, ["sector"]).filter(pl.col("supply_fte") > 0).sort("sector")
    assert by_sector["sector"].to_list() == ["NHS", "voluntary"]
    assert by_sector["supply_fte"].to_list() == pytest.approx([7.0, 2.0])
    assert gap_table(sim, ["role"]).filter(role="a")["supply_fte"].to_list() == pytest.approx([9.0])
