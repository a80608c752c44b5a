"""The model on numbers small enough to check on paper."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cyplan.model.arrays import Labelled
from cyplan.model.demand import RoleTime, demand, hours_per_case
from cyplan.model.need import base_cases, group_uplift
from cyplan.model.plan import demand_table, need_table, run
from cyplan.schema import AGES, KINDS

SEGAL_HOURS = np.array([3.0, 27.0, 4.0, 12.0, 12.0])  # seed 000: 58 hours per patient per year


def role_time(**over: float) -> RoleTime:
    values = dict(hours_per_week=37.5, days_per_week=5, annual_leave=29, public_holidays=8, sickness=11,
                  training=5, direct_share=0.6, salary=42_000, on_cost=0.35)
    values.update(over)
    return RoleTime(**{k: np.array([v], dtype=float) for k, v in values.items()})


def test_base_cases_are_population_times_prevalence() -> None:
    pop = np.zeros((1, 1, 26, 2))
    pop[0, 0, 10, 0] = 1000
    prev = np.full((1, 26, 2), 0.1)
    assert base_cases(pop, prev[None])[0, 0, 10, 0, 0] == pytest.approx(100)
    assert base_cases(pop, prev[None]).sum() == pytest.approx(100)


def test_uplift_is_n_p_rr_minus_one() -> None:
    # 100 looked-after children, prevalence 10%, four times as likely: 40 cases, 10 already counted, 30 extra
    n = np.zeros((1, 1, 1, 26, 2))
    n[0, 0, 0, 10, 0] = 100
    prev = np.full((1, 26, 2), 0.1)
    up = group_uplift(n, prev[None], np.array([[4.0]]))
    assert up[0, 0, 10, 0, 0, 0] == pytest.approx(30)
    assert up.sum() == pytest.approx(30)


def test_uplift_is_capped_at_the_group_size() -> None:
    # 30% × 4 = 120 cases in a group of 100: capped at 100, so the uplift is 100 − 30 = 70
    n = np.zeros((1, 1, 1, 26, 2))
    n[0, 0, 0, 10, 0] = 100
    up = group_uplift(n, np.full((1, 1, 26, 2), 0.3), np.array([[4.0]]))
    assert up[0, 0, 10, 0, 0, 0] == pytest.approx(70)


def test_cap_scales_levels_in_proportion() -> None:
    # levels at 10% and 20%, both × 4: 40 + 80 = 120 > 100, scaled by 100/120 to 33.3 and 66.7
    n = np.zeros((1, 1, 1, 26, 2))
    n[0, 0, 0, 5, 1] = 100
    prev = np.stack([np.full((26, 2), 0.1), np.full((26, 2), 0.2)])
    up = group_uplift(n, prev[None], np.array([[4.0, 4.0]]))
    assert up[0, 0, 5, 1, :, 0] == pytest.approx([100 / 3 - 10, 200 / 3 - 20])


def test_segal_pathway_is_58_hours_per_case() -> None:
    mix = np.ones((5, 1))
    assert hours_per_case(np.zeros(5, dtype=int), SEGAL_HOURS, mix, 1) == pytest.approx(np.array([[58.0]]))


def test_hours_per_case_splits_by_role_mix() -> None:
    # step 1: 10 h, half each role; step 2: 20 h, all role B → A 5 h, B 25 h
    mix = np.array([[0.5, 0.5], [0.0, 1.0]])
    assert hours_per_case(np.array([0, 0]), np.array([10.0, 20.0]), mix, 1) == pytest.approx(np.array([[5.0, 25.0]]))


def test_wisn_available_and_productive_hours() -> None:
    r = role_time()
    # 52 × 5 = 260 days − (29 + 8 + 11 + 5) = 207 days × 7.5 h = 1,552.5 h; × 0.6 direct = 931.5 h
    assert r.working_days == pytest.approx([207])
    assert r.available_hours == pytest.approx([1552.5])
    assert r.category_allowance_factor == pytest.approx([1 / 0.6])
    assert r.productive_hours == pytest.approx([931.5])
    assert r.cost_per_fte == pytest.approx([56_700])


def test_demand_hours_fte_cost() -> None:
    # 100 cases, half to be served, 58 h each: 2,900 h ÷ 931.5 = 3.1132 FTE × £56,700
    cases = np.array([[100.0]])
    d = demand(cases, np.array([0.5]), np.array([[58.0]]), role_time())
    assert d.hours[0, 0, 0] == pytest.approx(2900)
    assert d.fte[0, 0, 0] == pytest.approx(2900 / 931.5)
    assert d.cost[0, 0, 0] == pytest.approx(2900 / 931.5 * 56_700)


def test_labelled_keep_regroup_and_frame() -> None:
    arr = Labelled(np.arange(6, dtype=float).reshape(2, 3), ("area", "age"), {"area": ("A", "B"), "age": (0, 1, 2)})
    assert arr.keep(["area"]).values == pytest.approx([3, 12])
    bands = arr.regroup("age", "band", np.array([0, 0, 1]), ["young", "old"])
    assert bands.values == pytest.approx(np.array([[1, 2], [7, 5]]))
    frame = bands.to_frame("n")
    assert frame.rows() == [("A", "young", 1.0), ("A", "old", 2.0), ("B", "young", 7.0), ("B", "old", 5.0)]


# -- the whole run on a tiny area -----------------------------------------------------------------

def frame(kind: str, rows: list[dict[str, object]]) -> pl.DataFrame:
    types = {"integer": pl.Int64, "number": pl.Float64, "share": pl.Float64}
    schema = {c.name: types.get(c.type, pl.String) for c in KINDS[kind].columns}
    full = [{c: r.get(c, "" if schema[c] == pl.String else None) for c in schema} for r in rows]
    return pl.DataFrame(full, schema=schema, orient="row")


def tiny(rr: float = 1.0, group_count: float = 0.0, basis: str = "") -> dict[str, pl.DataFrame]:
    """One area, one year, 100 girls and 100 boys at every age; 10% need at ages 5–15; one 10-hour step.
    `basis`: the prevalence row's rate_basis (blank: the default, a population average)."""
    pop = [{"area": "T1", "year": 2025, "age": a, "sex": s, "count": 100.0} for a in AGES for s in ("female", "male")]
    return {
        "areas": frame("areas", [{"code": "T1", "name": "Tiny", "kind": "custom"}]),
        "population": frame("population", pop),
        "age_bands": frame("age_bands", [{"band": "young", "label": "Young", "age_from": 0, "age_to": 4},
                                         {"band": "school", "label": "School", "age_from": 5, "age_to": 15},
                                         {"band": "older", "label": "Older", "age_from": 16, "age_to": 25}]),
        "levels": frame("levels", [{"level": "t", "label": "Targeted", "coverage": 1.0}]),
        "prevalence": frame("prevalence", [{"level": "t", "age_from": 5, "age_to": 15, "sex": "all",
                                            "low": 0.05, "central": 0.1, "high": 0.2, "rate_basis": basis}]),
        "groups": frame("groups", [{"group": "lac", "label": "Looked after"}]),
        "group_sizes": frame("group_sizes", [{"area": "T1", "group": "lac", "age_from": 5, "age_to": 15,
                                              "count": group_count}]),
        "group_risks": frame("group_risks", [{"group": "lac", "level": "t", "low": rr, "central": rr,
                                              "high": rr}]),
        "pathway_steps": frame("pathway_steps", [{"level": "t", "step": "see", "order": 1, "low": 10.0,
                                                  "central": 10.0, "high": 10.0}]),
        "role_mix": frame("role_mix", [{"level": "t", "step": "see", "role": "a", "share": 0.75},
                                       {"level": "t", "step": "see", "role": "b", "share": 0.25}]),
        "roles": frame("roles", [
            {"role": r, "label": r.upper(), "staff_group": "g", "contracted_hours_per_week": 37.5,
             "working_days_per_week": 5.0, "annual_leave_days": 29.0, "public_holiday_days": 8.0,
             "sickness_days": 11.0, "training_days": 5.0, "direct_work_share": 0.6, "salary": 42_000.0,
             "on_cost_rate": 0.35} for r in ("a", "b")]),
    }


def test_tiny_area_need_by_band() -> None:
    # school band: 11 ages × 200 people = 2,200 × 10% = 220 cases; other bands none
    table = need_table(run(tiny()), ["age-band"])
    assert table["population"].to_list() == [1000, 2200, 2000]
    assert table["cases"].to_list() == pytest.approx([0, 220, 0])
    assert table["per_1000"].to_list() == pytest.approx([0, 100, 0])


def test_tiny_area_demand_by_role() -> None:
    # 220 cases × 10 h = 2,200 h: role a 1,650 h, role b 550 h; ÷ 931.5 productive hours
    table = demand_table(run(tiny()), ["role"])
    assert table["hours"].to_list() == pytest.approx([1650, 550])
    assert table["fte"].to_list() == pytest.approx([1650 / 931.5, 550 / 931.5])
    assert table["cost"].sum() == pytest.approx(2200 / 931.5 * 56_700)


def test_estimates_choose_the_column() -> None:
    low, high = run(tiny(), "low"), run(tiny(), "high")
    assert need_table(low)["cases"].sum() == pytest.approx(110)
    assert need_table(high)["cases"].sum() == pytest.approx(440)


def test_group_spread_over_its_ages_and_uplift() -> None:
    # 110 looked-after children over 11 ages and 2 sexes (equal population): 5 per cell;
    # rr 4 at 10%, a rate outside the groups: 110 × 0.1 × 3 = 33 extra cases, added to 2,200 × 10% = 220
    plan = run(tiny(rr=4.0, group_count=110, basis="outside_groups"))
    table = need_table(plan)
    assert table["group_uplift"][0] == pytest.approx(33)
    assert table["cases"][0] == pytest.approx(220 + 33)


def test_a_population_average_keeps_the_published_rate_and_shows_the_groups_excess() -> None:
    """Catches the uplift added on top of a survey rate (the double count of issue 12): 10% of 2,200 is 220
    cases whatever the groups. By hand: 5 of 100 children in each cell are in the group (f = 0.05), so the rate
    outside it is p₀ = 0.1 / (1 + 0.05 × 3) = 0.0869565; the group's 110 children have 110 × 4 × p₀ = 38.26
    cases, 27.26 more than the 11 the published 10% gives them."""
    table = need_table(run(tiny(rr=4.0, group_count=110)))
    assert table["cases"][0] == pytest.approx(220)
    assert table["group_uplift"][0] == pytest.approx(110 * 4 * 0.1 / 1.15 - 11)
    assert table["group_uplift"][0] == pytest.approx(27.2608696, abs=1e-6)


def test_warnings_for_missing_pieces() -> None:
    inputs = tiny()
    inputs["role_mix"] = inputs["role_mix"].head(0)
    inputs["population"] = inputs["population"].filter(pl.col("age") != 3)
    plan = run(inputs)
    assert "step 'see' of level 't' has no role mix: its hours are not given to any role" in plan.warnings
    assert any("50 of 52 age and sex rows" in w for w in plan.warnings)


def test_warnings_for_an_area_missing_a_year_and_a_level_with_no_prevalence() -> None:
    inputs = tiny()
    extra = inputs["population"].with_columns(pl.lit("T2").alias("area"), pl.lit(2026, pl.Int64).alias("year"))
    inputs["population"] = pl.concat([inputs["population"], extra])
    inputs["areas"] = pl.concat([inputs["areas"], inputs["areas"].with_columns(pl.lit("T2").alias("code"))])
    inputs["levels"] = pl.concat([inputs["levels"], inputs["levels"].with_columns(pl.lit("u").alias("level"))])
    plan = run(inputs)
    assert "population for T1 in 2026 has 0 of 52 age and sex rows; the missing ones count as 0" in plan.warnings
    assert "population for T2 in 2025 has 0 of 52 age and sex rows; the missing ones count as 0" in plan.warnings
    assert "level 'u' has no prevalence: it has no cases" in plan.warnings
    assert "level 'u' has no pathway steps: its cases add no workforce demand" in plan.warnings


def test_warning_for_a_group_larger_than_its_population() -> None:
    # ages 5–15 hold 11 × 200 = 2,200 people; a group of 3,000 cannot fit
    plan = run(tiny(rr=2.0, group_count=3000))
    assert ("group 'lac' in T1 has 3,000 children aged 5 to 15, more than the population of those ages in 2025 "
            "(2,200): check the group size and the population") in plan.warnings
