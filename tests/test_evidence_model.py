"""Closing a gap with an intervention (issue 15, parts 2 and 3): which interventions fit a gap and in what order,
what delivering them takes (people, FTE by role, cost) with the model's 90% interval, the sentence that says so,
and a scenario that commissions one. Every figure is worked by hand on the tiny area of test_model."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CliResult
from cyplan import results
from cyplan.model import evidence
from cyplan.model.scenarios import ScenarioError
from cyplan.model.simulate import simulate
from cyplan.schema import AGES
from test_model import frame, tiny
from test_promises_uncertainty import triangular_cdf, triangular_quantile  # textbook formulas, not the code

# The tiny area with the specification's bands: 100 girls and 100 boys at every age, so school_age (5–15) has
# 2,200 children, 10% of them (220) with need; early_years (1–4) 800 children, no need. One FTE gives
# (52 × 5 − 29 − 8 − 11 − 5) days × 7.5 h × 0.6 = 931.5 hours of direct work and costs 42,000 × 1.35 = £56,700.
Run = Callable[[Sequence[str]], CliResult]
PRODUCTIVE, COST_PER_FTE = 931.5, 56_700.0
CELL = "school_age / targeted / parenting_support"
UNIVERSAL_CELL = "school_age / universal / social_emotional_skills"
GROUP_GAP = "school_age / looked_after"


def spec_bands() -> pl.DataFrame:
    return frame("age_bands", [{"band": "pre_post_birth", "label": "Pre- and post-birth", "age_from": 0, "age_to": 0},
                               {"band": "early_years", "label": "Early years", "age_from": 1, "age_to": 4},
                               {"band": "school_age", "label": "School age", "age_from": 5, "age_to": 15},
                               {"band": "post_16", "label": "Post-16", "age_from": 16, "age_to": 25}])


def library(**over: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Three interventions: 'iy' (10 h of role a per case, £120 a case) for the targeted parenting cell; 'grp', a
    group programme for looked-after children aged 8–12 (role b: 2 h a session × 10 sessions ÷ 8 in a group =
    2.5 h per case); 'sel' (1 h of role a per child) for the universal social and emotional skills cell."""
    lib = {
        "interventions": frame("interventions", [
            {"intervention": "iy", "name": "Incredible Years", "age_from": 5, "age_to": 11, "level": "targeted",
             "cost_per_case": 120.0},
            {"intervention": "grp", "name": "Group work", "age_from": 8, "age_to": 12, "level": "specialist"},
            {"intervention": "sel", "name": "SEL lessons", "age_from": 5, "age_to": 15, "level": "universal"}]),
        "intervention_cells": frame("intervention_cells", [
            {"intervention": "iy", "band": "school_age", "level": "targeted", "provision": "parenting_support"},
            {"intervention": "sel", "band": "school_age", "level": "universal",
             "provision": "social_emotional_skills"}]),
        "intervention_groups": frame("intervention_groups", [{"intervention": "grp", "group": "looked_after"},
                                                             {"intervention": "sel", "group": "looked_after"}]),
        "intervention_delivery": frame("intervention_delivery", [
            {"intervention": "iy", "role": "a", "hours_per_case": 10.0},
            {"intervention": "grp", "role": "b", "hours_per_session": 2.0, "sessions": 10.0, "group_size": 8.0},
            {"intervention": "sel", "role": "a", "hours_per_case": 1.0}]),
        "evidence_ratings": frame("evidence_ratings", [
            {"intervention": "iy", "scheme": "foundations", "measure": "evidence", "rating": "4+"},
            {"intervention": "grp", "scheme": "foundations", "measure": "evidence", "rating": "2"}]),
    }
    return lib | over


def workspace(years: tuple[int, ...] = (2025,), prevalence: tuple[float, float, float] = (0.05, 0.1, 0.2),
              **over: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The tiny area with a register: one service in place covering 40% of the area delivers the targeted
    parenting cell at school age; 110 looked-after children aged 5–15; a plan in place. Every other input
    the workspace reads is empty."""
    from cyplan.schema import KINDS
    frames = {k: frame(k, []) for k in KINDS}
    frames |= {k: v.with_columns(pl.lit("looked_after").alias("group")) if "group" in v.columns else v
               for k, v in tiny(group_count=110.0).items()}  # the specification's code for the group
    frames["roles"] = frames["roles"].with_columns(label=pl.Series(["Family support worker", "CAMHS nurse"]))
    low, central, high = prevalence
    frames["prevalence"] = frames["prevalence"].with_columns(pl.lit(low).alias("low"), pl.lit(central).alias("central"),
                                                             pl.lit(high).alias("high"))
    frames["population"] = frame("population", [{"area": "T1", "year": y, "age": a, "sex": s, "count": 100.0}
                                                for y in years for a in AGES for s in ("female", "male")])
    frames["age_bands"] = spec_bands()
    frames["services"] = frame("services", [{"service": "team", "label": "Team", "provider": "NHS",
                                             "status": "in place", "coverage": 0.4}])
    frames["service_cells"] = frame("service_cells", [{"service": "team", "band": "school_age", "level": "targeted",
                                                       "provision": "parenting_support"}])
    frames["plans"] = frame("plans", [{"plan": "p", "label": "Plan", "status": "in place"}])
    return frames | library() | over


def row(table: pl.DataFrame, item: str, intervention: str) -> dict[str, object]:
    return table.filter((pl.col("item") == item) & (pl.col("intervention") == intervention)).row(0, named=True)


# -- what delivering it takes, by hand -----------------------------------------------------------


def test_a_targeted_cell_gap_takes_the_bands_uncovered_cases_times_hours_over_productive_hours() -> None:
    """220 cases × (1 − 0.4 covered) = 132 people; × 10 h = 1,320 h ÷ 931.5 = 1.41707 FTE of role a; cost
    1.41707 × £56,700 + 132 × £120 = £80,347.8 + £15,840 = £96,187.8. Catches: the covered share not taken
    off, hours per case or the per-case cost left out, or a second formula for productive hours."""
    table = results.evidence_for_actions(workspace(prevalence=(0.1, 0.1, 0.1)), draws=0)
    r = row(table, CELL, "iy")
    assert r["people"] == pytest.approx(132)
    assert r["fte_a"] == pytest.approx(1320 / PRODUCTIVE) == pytest.approx(1.41707, abs=1e-5)
    assert r["fte_b"] == 0
    assert r["cost"] == pytest.approx(96_187.8, abs=0.1)
    assert r["cost_p5"] == r["cost"] == r["cost_p95"]  # no draws: central values alone


def test_a_group_gap_takes_the_groups_children_and_a_group_programmes_hours_per_case() -> None:
    """110 looked-after children aged 5–15, none reached (covered 0): 110 people × (2 h × 10 sessions ÷ 8) =
    275 h ÷ 931.5 = 0.29522 FTE of role b, £16,739.1 a year. Catches: hours per session not divided by the group
    size (2,200 h), or a group gap counted from the band's cases (220) rather than the group's children."""
    table = results.evidence_for_actions(workspace(prevalence=(0.1, 0.1, 0.1)), draws=0)
    r = row(table, GROUP_GAP, "grp")
    assert r["people"] == pytest.approx(110)
    assert r["fte_b"] == pytest.approx(275 / PRODUCTIVE) == pytest.approx(0.29522, abs=1e-5)
    assert r["cost"] == pytest.approx(16_739.1, abs=0.1)


def test_a_universal_cell_gap_takes_the_bands_whole_population() -> None:
    """No service delivers the universal cell: 2,200 children × 1 h = 2,200 h ÷ 931.5 = 2.36178 FTE. Catches a
    universal cell counted from the cases of need (220: 0.236 FTE)."""
    table = results.evidence_for_actions(workspace(prevalence=(0.1, 0.1, 0.1)), draws=0)
    r = row(table, UNIVERSAL_CELL, "sel")
    assert r["people"] == pytest.approx(2200)
    assert r["fte_a"] == pytest.approx(2.36178, abs=1e-5)


def test_staff_planned_by_ratio_come_with_the_interventions_staff() -> None:
    """One role-b FTE per 4 FTE of role a (role_ratios): 'iy' takes 1.41707 FTE of a and 0.35427 of b; cost
    (1.41707 + 0.35427) × £56,700 + £15,840 = £116,274.8. Catches the demand model's ratios left out."""
    ratios = frame("role_ratios", [{"role": "b", "per_role": "a", "per_fte": 4.0}])
    r = row(results.evidence_for_actions(workspace(prevalence=(0.1, 0.1, 0.1), role_ratios=ratios), draws=0),
            CELL, "iy")
    assert r["fte_b"] == pytest.approx(1.41707 / 4, abs=1e-5)
    assert r["cost"] == pytest.approx(1.771337 * 56_700 + 15_840, abs=0.1)


# -- the 90% interval ----------------------------------------------------------------------------

DRAWS, Z = 4000, 3.5


def test_the_interval_has_the_percentiles_of_the_need_models_drawn_prevalence() -> None:
    """Prevalence triangular(0.05, 0.1, 0.2): 'iy''s FTE is 2,200 × p × 0.6 × 10 / 931.5, so its median and 5th
    and 95th percentiles are the prevalence's (0.113397, 0.069365, 0.172614 by hand), scaled; each reported point
    must sit at F = q ± Z·√(q(1 − q)/4000). Catches an interval from the central figures, or one too narrow."""
    r = row(results.evidence_for_actions(workspace(), draws=DRAWS, seed=5), CELL, "iy")
    scale = 2200 * 0.6 * 10 / PRODUCTIVE
    assert triangular_quantile(0.95, 0.05, 0.1, 0.2) == pytest.approx(0.172614, abs=1e-6)
    for q, key in ((0.05, "fte_a_p5"), (0.5, "fte_a"), (0.95, "fte_a_p95")):
        f = float(triangular_cdf(np.array(r[key] / scale), 0.05, 0.1, 0.2))
        assert abs(f - q) < Z * math.sqrt(q * (1 - q) / DRAWS), f"the reported {q:.0%} point sits at F = {f:.4f}"


def test_the_90_percent_interval_holds_about_90_percent_of_the_draws() -> None:
    """Of the model's own draws of the FTE and the cost, between 89% and 91% lie inside the reported interval
    (90% ± 1/n by construction of the percentiles; an 80% interval holds 80%)."""
    frames = workspace()
    fits = results._fits(frames, results.action_list(frames)).filter(pl.col("item") == CELL)
    sim = simulate(frames, DRAWS, 5, "triangular", by_band=True)
    assert sim.bands is not None
    req = evidence.requirements(fits, frames["intervention_delivery"], frames["interventions"],
                                results._reach(sim.bands, sim, (0,)), results._staffing(sim))
    table = evidence.summary_table(fits, req, sim.dims.roles).row(0, named=True)
    for values, key in ((req.fte[0, :, 0], "fte_a"), (req.cost[0], "cost")):
        inside = ((values >= table[f"{key}_p5"]) & (values <= table[f"{key}_p95"])).mean()
        assert 0.89 <= inside <= 0.91


def test_a_roles_range_of_direct_work_share_widens_the_interval() -> None:
    """Prevalence fixed at 10%, role a's direct work share triangular(0.5, 0.6, 0.7): FTE = 1,320 h ÷ (1,552.5 h ×
    share), so its 5th percentile comes from the share's 95th (0.7 − √(0.05 × 0.2 × 0.1) = 0.668377):
    1,320 ÷ (1,552.5 × 0.668377) = 1.27209. Catches role-time ranges left out of the interval."""
    roles = tiny()["roles"].with_columns(pl.when(pl.col("role") == "a").then(0.5).alias("direct_work_share_low"),
                                         pl.when(pl.col("role") == "a").then(0.7).alias("direct_work_share_high"))
    r = row(results.evidence_for_actions(workspace(prevalence=(0.1, 0.1, 0.1), roles=roles), draws=DRAWS, seed=5),
            CELL, "iy")
    assert triangular_quantile(0.95, 0.5, 0.6, 0.7) == pytest.approx(0.668377, abs=1e-6)
    assert r["fte_a_p5"] == pytest.approx(1.27209, rel=0.01)
    assert r["fte_a_p95"] > r["fte_a"] > r["fte_a_p5"]


# -- which interventions fit, in what order ------------------------------------------------------


def test_strongest_evidence_first_unrated_after_rated_and_no_benefit_last() -> None:
    """Four interventions for one cell: rated 4 (cost 3), 4 (cost 1), 2, unrated, and NE (cost 1, strength 0).
    Order: 4 at cost 1, 4 at cost 3, 2, unrated, NE. Catches NE sorted by its cheapness or strength 0 as
    'weak but rated', and unrated ahead of rated."""
    names = ["ne", "unrated", "weak", "strong_dear", "strong_cheap"]
    interventions = frame("interventions", [{"intervention": n, "name": n, "age_from": 5, "age_to": 15,
                                             "level": "targeted"} for n in names])
    cells = frame("intervention_cells", [{"intervention": n, "band": "school_age", "level": "targeted",
                                          "provision": "parenting_support"} for n in names])
    summary = pl.DataFrame({"intervention": ["ne", "weak", "strong_dear", "strong_cheap"], "strength": [0, 2, 4, 4],
                            "cost": [1, 1, 3, 1], "ratings_text": ["NE", "2", "4", "4+"],
                            "no_benefit": [True, False, False, False]})
    frames = workspace()
    fits = evidence.fitting(results.action_list(frames), interventions, cells, frame("intervention_groups", []),
                            summary, spec_bands())
    assert fits.filter(pl.col("item") == CELL)["intervention"].to_list() == [
        "strong_cheap", "strong_dear", "weak", "unrated", "ne"]


def test_a_group_gap_fits_only_targeted_or_specialist_interventions_whose_ages_overlap_the_band() -> None:
    """'grp' (specialist, 8–12) and 'sel' (universal) both serve looked-after children: only 'grp' fits the
    school-age group gap; moved to ages 1–4 it fits nothing there. Catches a group gap fitted by group alone."""
    frames = workspace()
    fits = results._fits(frames, results.action_list(frames))
    assert fits.filter(pl.col("item") == GROUP_GAP)["intervention"].to_list() == ["grp"]
    young = frames["interventions"].with_columns(pl.when(pl.col("intervention") == "grp").then(1)
                                                 .otherwise(pl.col("age_from")).alias("age_from"),
                                                 pl.when(pl.col("intervention") == "grp").then(4)
                                                 .otherwise(pl.col("age_to")).alias("age_to"))
    fits = results._fits(frames | {"interventions": young}, results.action_list(frames))
    assert fits.filter(pl.col("item") == GROUP_GAP).is_empty()


def test_a_gap_no_intervention_fits_says_so_and_is_kept_once() -> None:
    table = results.evidence_for_actions(workspace(), draws=0)
    gap = table.filter(pl.col("item") == "early_years / targeted / parenting_support")
    assert gap.height == 1
    assert gap["intervention"][0] is None
    assert gap["in_words"][0] == "no intervention in the library fits this gap"


def test_without_interventions_the_action_list_is_exactly_as_before() -> None:
    frames = workspace(interventions=frame("interventions", []))
    assert results.evidence_for_actions(frames).equals(results.action_list(frames))


# -- in words ------------------------------------------------------------------------------------


def test_the_sentence_as_the_issue_words_it() -> None:
    said = evidence.sentence("early years parenting support gap", "Incredible Years",
                             [("Family support worker", 12.34)], (10.08, 14.81), 612_000, (515_000, 702_000))
    assert said == ("The early years parenting support gap, closed with Incredible Years: 12.3 more family support "
                    "workers, £0.6m a year (90% interval 10.1–14.8 FTE, £0.5m–£0.7m).")


def test_the_sentence_with_several_roles_gives_the_interval_in_all() -> None:
    said = evidence.sentence("school age gap for looked after children", "Group work",
                             [("Family support worker", 2.0), ("CAMHS nurse", 0.5)], (2.1, 2.9), 41_000,
                             (38_000, 46_000))
    assert said == ("The school age gap for looked after children, closed with Group work: 2.0 more family support "
                    "workers and 0.5 more CAMHS nurses, £41,000 a year (90% interval 2.1–2.9 FTE in all, "
                    "£38,000–£46,000).")


def test_each_fitting_row_carries_its_sentence_from_its_own_numbers() -> None:
    r = row(results.evidence_for_actions(workspace(prevalence=(0.1, 0.1, 0.1)), draws=0), CELL, "iy")
    assert r["in_words"] == ("The school age parenting support gap, closed with Incredible Years: 1.4 more family "
                             "support workers, £96,000 a year (90% interval 1.4–1.4 FTE, £96,000–£96,000).")


# -- a scenario from a choice of interventions ---------------------------------------------------


def commission(gap: str, intervention: str, year: int) -> pl.DataFrame:
    return frame("scenarios", [{"scenario": "choose", "input": "interventions", "column": "from_year",
                                "where": f"intervention={intervention}; gap={gap}", "operation": "commission",
                                "value": float(year)}])


def workforce() -> pl.DataFrame:
    return frame("workforce", [{"area": "T1", "role": r, "sector": "NHS", "headcount": 1, "fte_in_post": 1.0,
                                "vacant_fte": 0.0, "agency_fte": 0.0, "leaver_rate": 0.1, "joiners_per_year": 0.0}
                               for r in ("a", "b")])


def test_commissioning_an_intervention_raises_its_roles_demand_by_what_it_takes_from_its_year_on() -> None:
    """'iy' for the parenting gap from 2026: role a's demand in 2026 rises by exactly 1.41707 FTE (132 people ×
    10 h ÷ 931.5, as requirements gives it); in 2025, and for role b, demand is unchanged. Catches the extra
    FTE added before its year, to the wrong role, or worked out differently from the action list's."""
    frames = workspace(years=(2025, 2026), prevalence=(0.1, 0.1, 0.1), workforce=workforce(),
                       scenarios=commission(CELL, "iy", 2026))
    base, chosen = results.simulation(frames, draws=0), results.simulation(frames, "choose", draws=0)
    extra = chosen.demand - base.demand  # [area, year, role, draw]
    assert extra[0, 1, 0, 0] == pytest.approx(1.41707, abs=1e-5)
    assert extra[0, 0].tolist() == [[0.0], [0.0]] and extra[0, 1, 1, 0] == 0.0
    r = row(results.evidence_for_actions(frames, 2026, draws=0), CELL, "iy")
    assert extra[0, 1, 0, 0] == pytest.approx(r["fte_a"], rel=1e-12)


def test_a_commissioned_scenario_on_draws_adds_the_same_draws_fte() -> None:
    """With draws, the added FTE is requirements' draw by draw: the scenario's median gap rises by the median of
    the intervention's FTE (one input drawn, so both move together)."""
    frames = workspace(years=(2025, 2026), workforce=workforce(), scenarios=commission(CELL, "iy", 2025))
    base, chosen = results.simulation(frames, draws=200), results.simulation(frames, "choose", draws=200)
    r = row(results.evidence_for_actions(frames, 2025, draws=200), CELL, "iy")
    assert np.median(chosen.demand[0, 0, 0] - base.demand[0, 0, 0]) == pytest.approx(r["fte_a"], rel=1e-9)


@pytest.mark.parametrize(("gap", "intervention", "year", "message"), [
    (CELL, "grp", 2025, "scenario 'choose', commission of 'grp' for gap 'school_age / targeted / parenting_support': "
                        "the intervention does not fit that gap (it fits iy)"),
    ("school_age / targeted / nothing", "iy", 2025, "it is not a gap of the services action list"),
    (CELL, "iy", 2031, "from year 2031 is outside the plan's years, 2025 to 2026"),
])
def test_a_commission_that_cannot_apply_is_a_scenario_error_naming_why(gap: str, intervention: str, year: int,
                                                                      message: str) -> None:
    frames = workspace(years=(2025, 2026), workforce=workforce(), scenarios=commission(gap, intervention, year))
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")):
        results.simulation(frames, "choose", draws=0)


def test_scenario_compare_through_the_cli_shows_the_commissioned_staff(run_cli: Run, demo_workspace: Path,
                                                                      tmp_path: Path) -> None:
    """End to end on the demo: a library imported from CSV, `services actions --evidence` shows Incredible Years
    for the early years parenting gap, and `scenario compare --by-role` shows the family support workers it takes
    added to that scenario's demand."""
    ws = demo_workspace
    files = {
        "interventions": "intervention,name,age_from,age_to,level,source\niy,Incredible Years,3,6,targeted,t\n",
        "intervention_cells": "intervention,band,level,provision,source\n"
                              "iy,early_years,targeted,parenting_support,t\n",
        "intervention_delivery": "intervention,role,hours_per_session,sessions,group_size,source\n"
                                 "iy,family_support_worker,3,14,10,t\n",
        "evidence_ratings": "intervention,scheme,measure,rating,citation,source\niy,foundations,evidence,4+,FG,t\n",
        "scenarios": "scenario,input,column,where,operation,value\n"
                     "iy,interventions,from_year,intervention=iy; gap=early_years / targeted / parenting_support,"
                     "commission,2025\n",
    }
    for kind, text in files.items():
        (tmp_path / f"{kind}.csv").write_text(text)
        code, _, err = run_cli(["import", kind, tmp_path / f"{kind}.csv", "-w", ws])
        assert code == 0, err
    code, out, _ = run_cli(["services", "actions", "--evidence", "--format", "csv", "-w", ws])
    assert code == 0
    rows = pl.read_csv(out.encode()).filter(pl.col("intervention") == "iy")
    assert rows["item"].to_list() == ["early_years / targeted / parenting_support"]
    assert rows["ratings_text"].to_list() == ["Foundations 4+"]
    fsw = rows["fte_family_support_worker"][0]
    code, out, err = run_cli(["scenario", "compare", "iy", "--by-role", "--year", "2025", "--format", "csv",
                              "-w", ws])
    assert code == 0, err
    table = pl.read_csv(out.encode()).filter(pl.col("role") == "family_support_worker")
    demand = dict(zip(table["scenario"], table["demand_fte"], strict=True))
    assert demand["iy"] - demand["baseline"] == pytest.approx(fsw, rel=0.02)


def test_the_method_pages_worked_example_is_what_the_model_gives() -> None:
    """docs/method.md, 'Worked example: a parenting programme for a school-age gap': 132 people, 3 h × 14 ÷ 10 =
    4.2 h per case, 554.4 h ÷ 931.5 = 0.595169 FTE, 0.595169 × £56,700 + 132 × £120 = £49,586.1 a year. The page
    must state these figures and the code must give them."""
    delivery = frame("intervention_delivery", [{"intervention": "iy", "role": "a", "hours_per_session": 3.0,
                                                "sessions": 14.0, "group_size": 10.0}])
    r = row(results.evidence_for_actions(workspace(prevalence=(0.1, 0.1, 0.1), intervention_delivery=delivery),
                                         draws=0), CELL, "iy")
    assert r["people"] == pytest.approx(132)
    assert r["fte_a"] == pytest.approx(554.4 / 931.5) == pytest.approx(0.595169, abs=1e-6)
    assert r["cost"] == pytest.approx(49_586.1, abs=0.1)
    page = (Path(__file__).parents[1] / "docs" / "method.md").read_text(encoding="utf-8")
    section = page.split("### Worked example: a parenting programme for a school-age gap")[1].split("\n## ")[0]
    for said in ("**132**", "**4.2**", "554.4 ÷ 931.5 = **0.595 FTE**", "£33,746 + £15,840", "**£49,586 a year**"):
        assert said in section


def test_evidence_without_a_library_prints_the_action_list_as_before_and_says_why(run_cli: Run,
                                                                                 demo_workspace: Path) -> None:
    """`services actions --evidence` on a workspace with no interventions: the same table as without the flag,
    and a warning that there is no library yet (not an error, not an empty table)."""
    plain = run_cli(["services", "actions", "--format", "csv", "-w", demo_workspace])
    code, out, err = run_cli(["services", "actions", "--evidence", "--format", "csv", "-w", demo_workspace])
    assert code == 0 and out == plain[1]
    assert "the workspace has no interventions yet" in err


@settings(max_examples=60, deadline=None)
@given(hours=st.floats(0.1, 20), sessions=st.integers(1, 30), size=st.integers(1, 20), covered=st.floats(0, 1),
       cases=st.floats(0, 5000), per_case=st.floats(0, 2000))
def test_fte_and_cost_follow_the_group_programme_formula_for_any_inputs(hours: float, sessions: int, size: int,
                                                                         covered: float, cases: float,
                                                                         per_case: float) -> None:
    """For any hours a session, sessions, group size, covered share and cases: FTE = cases × (1 − covered) ×
    hours × sessions ÷ size ÷ productive hours, and cost = FTE × cost per FTE + people × cost per case —
    never negative, and 0 when the area is covered."""
    pairs = pl.DataFrame({"intervention": ["x"], "kind": ["cell"], "band": ["b"], "level": ["targeted"],
                          "group": [None], "covered": [covered]}, schema_overrides={"group": pl.String})
    delivery = frame("intervention_delivery", [{"intervention": "x", "role": "a", "hours_per_session": hours,
                                                "sessions": float(sessions), "group_size": size}])
    interventions = frame("interventions", [{"intervention": "x", "cost_per_case": per_case}])
    reach = evidence.Reach(("b",), (), np.array([[cases]]), np.array([[0.0]]), np.zeros((0, 1, 1)))
    staff = evidence.Staffing(("a",), np.array([[PRODUCTIVE]]), np.array([COST_PER_FTE]))
    req = evidence.requirements(pairs, delivery, interventions, reach, staff)
    people = cases * (1 - covered)
    fte = people * hours * sessions / size / PRODUCTIVE
    assert req.fte[0, 0, 0] == pytest.approx(fte, rel=1e-9, abs=1e-12)
    assert req.cost[0, 0] == pytest.approx(fte * COST_PER_FTE + people * per_case, rel=1e-9, abs=1e-9)
    assert req.fte.min() >= 0 and req.cost.min() >= 0
