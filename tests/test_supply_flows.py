"""Supply as stock and flow (issue 13, parts 1, 2 and 5): the year-by-year engine, training pipelines,
establishment and vacancies, ranges on the census and the CYP share from caseloads."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import CliResult, folder_bytes, load_benchmark
from cyplan.model.flows import establishment_table, flows_table, pipeline_table, training_plan
from cyplan.model.scenarios import apply
from cyplan.model.simulate import simulate
from cyplan.model.supply import INFLOWS, OUTFLOWS, Rates, effective, flows, project, stock, wilson
from test_model import frame
from test_supply import inputs

YEARS6 = (2025, 2026, 2027, 2028, 2029, 2030)
Run = Callable[[list[object]], CliResult]


def rates(fte0: float = 100.0, leaver: float = 0.1, retire: float = 0.02, joiners: float = 5.0,
          establishment: float = 120.0, fill: float = 0.0, arriving: tuple[float, ...] = (0, 0, 0, 0)) -> Rates:
    one = np.array([[1.0]])
    return Rates(fte0=fte0 * one, leaver=leaver * one, retire=retire * one, joiners=joiners * one,
                 establishment=establishment * one, fill=fill * one, arrivals=np.array(arriving)[None, :, None])


def pipeline(**over: object) -> pl.DataFrame:
    row = {"area": "T1", "role": "a", "sector": "NHS", "start_year": 2020, "end_year": None, "places": 10.0,
           "course_years": 3, "completion_rate": 0.8, "share_taking_post_here": 0.5, "cost_per_place": 1000.0}
    return frame("training_pipelines", [row | over])


# -- the engine, flow by flow, on paper --------------------------------------------------------------------

def test_each_flow_on_paper() -> None:
    """Catches a flow taken from the wrong stock, a fill rate applied to establishment rather than vacancies,
    or training joiners arriving in the wrong year."""
    # 100 in post, 10% leave, 2% retire, 5 other joiners, 120 funded posts half of whose vacancies fill a year,
    # 4 qualify from training in the third year:
    # year 1: leavers 10, retirements 2, recruited 0.5 × (120 − 100) = 10, end 100 − 12 + 5 + 10 = 103
    # year 2: leavers 10.3, retirements 2.06, recruited 0.5 × 17 = 8.5, training 4, end 103 − 12.36 + 17.5 = 108.14
    f = flows(rates(fill=0.5, arriving=(0, 0, 4, 4)), 3)
    got = {name: f[name][0, :, 0] for name in f}
    assert got["start"] == pytest.approx([100, 100, 103])
    assert got["leavers"] == pytest.approx([0, 10, 10.3])
    assert got["retirements"] == pytest.approx([0, 2, 2.06])
    assert got["recruited"] == pytest.approx([0, 10, 8.5])
    assert got["from_training"] == pytest.approx([0, 0, 4])
    assert got["other_joiners"] == pytest.approx([0, 5, 5])
    assert got["end"] == pytest.approx([100, 103, 108.14])


def test_a_stock_over_establishment_recruits_no_one() -> None:
    """Catches a negative recruitment flow (filling 'minus' vacancies) when staff in post exceed the posts."""
    f = flows(rates(fte0=130.0, fill=0.5), 2)
    assert f["recruited"][0, 1, 0] == 0.0


@settings(max_examples=60, deadline=None)
@given(fte0=arrays(float, (3, 4), elements=st.floats(0, 1e5)),
       leaver=arrays(float, (3, 4), elements=st.floats(0, 0.6)),
       retire=arrays(float, (3, 1), elements=st.floats(0, 0.4)),
       joiners=arrays(float, (3, 4), elements=st.floats(0, 1e3)),
       establishment=arrays(float, (3, 1), elements=st.floats(0, 2e5)),
       fill=arrays(float, (3, 1), elements=st.floats(0, 1)),
       arriving=arrays(float, (3, 7, 4), elements=st.floats(0, 1e3)))
def test_stock_is_conserved_every_year_and_draw(fte0, leaver, retire, joiners, establishment, fill,
                                                arriving) -> None:
    """end − start = inflows − outflows, and each year starts where the last ended, for every row, year and
    draw: catches a flow counted in the stock but not reported (or the reverse)."""
    r = Rates(fte0=fte0, leaver=leaver, retire=retire, joiners=joiners, establishment=establishment, fill=fill,
              arrivals=arriving)
    f = flows(r, 7)
    change = f["end"] - f["start"]
    net = sum(f[k] for k in INFLOWS) - sum(f[k] for k in OUTFLOWS)
    np.testing.assert_allclose(change, net, rtol=1e-9, atol=1e-6)
    np.testing.assert_array_equal(f["start"][:, 1:], f["end"][:, :-1])
    np.testing.assert_array_equal(project(r, 7), f["end"])


@settings(max_examples=60, deadline=None)
@given(fte0=arrays(float, (5, 3), elements=st.floats(0, 1e5)),
       leaver=arrays(float, (5, 3), elements=st.floats(0, 0.6)),
       retire=arrays(float, (5, 1), elements=st.floats(0, 0.4)),
       joiners=arrays(float, (5, 3), elements=st.floats(0, 1e3)), years=st.integers(1, 12))
def test_without_training_or_recruitment_the_recurrence_is_the_closed_form(fte0, leaver, retire, joiners,
                                                                           years) -> None:
    """Today's formula, S[t] = S0·a^t + J·(1 − a^t)/(1 − a), and the new engine agree for any inputs: catches
    the engine changing a workspace's results when it has no pipelines and no fill rate."""
    r = Rates(fte0=fte0, leaver=leaver, retire=retire, joiners=joiners, establishment=np.zeros((5, 1)),
              fill=np.zeros((5, 1)), arrivals=np.broadcast_to(np.zeros(1), (5, years, 3)))
    closed = stock(fte0, leaver, retire, joiners, years)  # [row, draw, year]
    # rtol 1e-6: the closed form's (1 − a^t) ÷ (1 − a) loses digits as a nears 1 (a retirement rate of 4e-9
    # leaves it 4e-9 out), the recurrence does not
    np.testing.assert_allclose(project(r, years), closed.transpose(0, 2, 1), rtol=1e-6, atol=1e-6)


def test_simulation_without_new_inputs_is_todays_formula_draw_by_draw() -> None:
    """The simulated supply, with draws, equals (closed-form stock + agency) × CYP share on the same drawn
    leaver rates and joiners: catches the engine or its draws changing today's results."""
    f = inputs(YEARS6, leaver_rate_low=0.05, leaver_rate_high=0.2, joiners_low=1.0, joiners_high=4.0)
    sim = simulate(f, 300, seed=5)
    r = sim.detail.rates
    w = f["workforce"]
    today = effective(stock(w["fte_in_post"].to_numpy()[:, None], r.leaver, r.retire, r.joiners, len(YEARS6)),
                      w["agency_fte"].to_numpy()[:, None], w["cyp_share"].to_numpy()[:, None])
    np.testing.assert_allclose(sim.census, today.transpose(0, 2, 1), rtol=1e-12)


# -- training pipelines ----------------------------------------------------------------------------------

def test_pipeline_joiners_arrive_after_the_course() -> None:
    """10 places a year from 2026, 3-year course, 80% complete, half take a post here: 4 FTE a year from 2029.
    Catches arrivals in the year places start, a year early or late, or without completion or share here."""
    f = inputs(YEARS6)
    base = simulate(f)
    f["training_pipelines"] = pipeline(start_year=2026)
    sim = simulate(f)
    added = sim.census[0, :, 0] - base.census[0, :, 0]  # role a, NHS, cyp 1
    # 2029: +4; 2030: 4 × 0.9 (10% leave) + 4 = 7.6
    assert added == pytest.approx([0, 0, 0, 0, 4, 7.6])
    table = pipeline_table(sim).filter(pl.col("role") == "a")
    assert table["places_starting"].to_list() == [0, 10, 10, 10, 10, 10]
    assert table["qualifying"].to_list() == pytest.approx([0, 0, 0, 0, 8, 8])
    assert table["joining_here"].to_list() == pytest.approx([0, 0, 0, 0, 4, 4])
    assert table["training_cost"].to_list() == [0, 10_000, 10_000, 10_000, 10_000, 10_000]


def test_an_intake_window_ends_at_end_year() -> None:
    """Intakes 2024 and 2025 only, 1-year course: joiners in 2025 (already in the census) and 2026, none after.
    Catches end_year ignored, or arrivals in the first year counted on top of the census."""
    f = inputs(YEARS6)
    f["training_pipelines"] = pipeline(start_year=2024, end_year=2025, course_years=1)
    come = simulate(f).detail.rates.arrivals[0, :, 0]
    assert come == pytest.approx([0, 4, 0, 0, 0, 0])


def test_a_scenario_adding_places_from_2026_shows_only_from_2026_plus_the_course() -> None:
    """Catches a training scenario that changes supply before its first trainees could qualify."""
    f = inputs(YEARS6)
    f["training_pipelines"] = pl.concat([pipeline(start_year=2020, end_year=2025), pipeline(start_year=2026)])
    f["scenarios"] = frame("scenarios", [{"scenario": "more", "input": "training_pipelines", "column": "places",
                                          "where": "role=a;start_year=2026", "operation": "add", "value": 5.0,
                                          "to_role": "", "description": "", "source": ""}])
    base, more = simulate(f), simulate(apply(f, f["scenarios"], "more"))
    diff = more.total_supply[0, :, 0, 0] - base.total_supply[0, :, 0, 0]
    assert diff[:4] == pytest.approx([0, 0, 0, 0])  # 2025–2028: nobody has finished a 3-year course
    assert diff[4] == pytest.approx(5 * 0.8 * 0.5)  # 2029: the first extra 2 qualify


def test_pipeline_ranges_give_joiners_an_interval() -> None:
    """Completion 0.6–0.9 and share here 0.4–0.6: joiners from training vary between 10 × 0.6 × 0.4 = 2.4 and
    10 × 0.9 × 0.6 = 5.4. Catches the pipeline's ranges being ignored."""
    f = inputs(YEARS6)
    f["training_pipelines"] = pipeline(completion_low=0.6, completion_high=0.9, share_here_low=0.4,
                                       share_here_high=0.6)
    come = simulate(f, 500, seed=2).detail.rates.arrivals[0, 3]
    assert come.min() >= 2.4 - 1e-9 and come.max() <= 5.4 + 1e-9 and come.max() - come.min() > 1.5


def test_the_extra_joiners_to_close_count_the_pipeline() -> None:
    """Adding joiners_to_close to the census's joiners closes the gap at the target year, with a pipeline
    running: catches joiners_to_close ignoring the trainees already on their way."""
    f = short(0.3)
    f["training_pipelines"] = pipeline(start_year=2022, places=0.5, course_years=2)
    sim = simulate(f)
    extra = sim.joiners_to_close(2030)[0, 0]
    assert extra > 0
    f["workforce"] = f["workforce"].with_columns(pl.col("joiners_per_year") + extra)
    closed = simulate(f)
    assert closed.total_supply[0, -1, 0, 0] == pytest.approx(closed.demand[0, -1, 0, 0])


def short(leaver: float) -> dict[str, pl.DataFrame]:
    """Role a alone, 1 FTE in post against a demand of 1.77 FTE, no joiners from elsewhere: a gap to close."""
    f = inputs(YEARS6, fte_in_post=1.0, agency_fte=0.0, vacant_fte=0.0, joiners_per_year=0.0, joiners_low=0.0,
               joiners_high=0.0, leaver_rate=leaver, leaver_rate_low=leaver, leaver_rate_high=leaver)
    f["workforce"] = f["workforce"].filter(pl.col("role") == "a")
    return f


def test_training_plan_on_paper() -> None:
    """Target 2030 with a 3-year course: intakes 2025–2027 (3 of them) must leave at 2030 what the extra
    joiners a year 2026–2030 would: places = J × Σ_{k<5} a^k / Σ_{k<3} a^k / (0.8 × 0.5), a = 0.9:
    Σ_{k<5} 0.9^k = 4.0951, Σ_{k<3} 0.9^k = 2.71. Catches the wrong number of intakes, a missing yield, or a
    commission-by year that lets the last intake qualify too late."""
    f = short(0.1)
    f["training_pipelines"] = pipeline(start_year=2020, places=0.1, cost_per_place=1000.0)
    sim = simulate(f)
    plan = training_plan(sim, 2030).filter(pl.col("role") == "a").row(0, named=True)
    j = plan["joiners_needed"]
    assert j > 0
    assert plan["course_years"] == 3 and plan["commission_by"] == 2027
    assert plan["places_a_year"] == pytest.approx(j * 4.0951 / 2.71 / 0.4)
    assert plan["places_cost"] == pytest.approx(plan["places_a_year"] * 3 * 1000)
    assert plan["by_training"].startswith("yes: 3 intakes, 2025–2027")
    f = inputs(YEARS6)
    f["training_pipelines"] = pipeline()
    b = training_plan(simulate(f), 2030).filter(pl.col("role") == "b").row(0, named=True)
    assert b["by_training"] == "no training pipeline" and b["places_a_year"] is None


def test_a_course_longer_than_the_time_left_cannot_reach_the_target() -> None:
    """An 8-year course and a 2030 target: the first intake (2025) qualifies in 2033. Catches a plan that
    promises places that would arrive after the target."""
    f = short(0.1)
    f["training_pipelines"] = pipeline(course_years=8)
    plan = training_plan(simulate(f), 2030).filter(pl.col("role") == "a").row(0, named=True)
    assert plan["places_a_year"] is None and plan["commission_by"] == 2022
    assert plan["by_training"] == "not by training alone: places started in 2025 qualify in 2033"


# -- establishment and vacancies ---------------------------------------------------------------------------

def test_establishment_vacancies_and_need_on_paper() -> None:
    """Role a: 10 in post + 2 vacant = 12 funded posts; in post 10 then 10 × 0.9 + 2 = 11, so 2 then 1 vacant.
    Role b at CYP share 0.5: (4 + 2) × 0.5 = 3 funded for this population. Catches vacant_fte or the CYP share
    left out of the establishment, or the vacancy gap taken against supply with agency."""
    sim = simulate(inputs())
    t = establishment_table(sim).sort("role", "year")
    a, b = t.filter(pl.col("role") == "a"), t.filter(pl.col("role") == "b")
    assert a["establishment_fte"].to_list()[:2] == pytest.approx([12, 12])
    assert a["in_post_fte"].to_list()[:2] == pytest.approx([10, 11])
    assert a["vacant_fte"].to_list()[:2] == pytest.approx([2, 1])
    assert b["establishment_fte"][0] == pytest.approx(3)
    demand = 1650 / 931.5  # test_supply's tiny area
    assert a["demand_fte"][0] == pytest.approx(demand)
    assert a["unfunded_fte"][0] == pytest.approx(demand - 12)
    assert a["gap_fte"][0] == pytest.approx(demand - 11)  # supply counts the 1 agency FTE


def test_a_fill_rate_recruits_into_vacancies() -> None:
    """Half the vacancies filled a year: role a's 2 vacancies give 1 more in post the next year."""
    base, filled = simulate(inputs()), simulate(inputs(vacancy_fill_rate=0.5))
    assert filled.census[0, 1, 0] - base.census[0, 1, 0] == pytest.approx(1.0)


def test_flows_add_up_in_the_table() -> None:
    """The flows view's start + inflows − outflows = end, by role and year, and its end + agency is the supply:
    catches a flow left out of the view or shown without the CYP share."""
    f = inputs(YEARS6, leaver_rate_low=0.05, leaver_rate_high=0.2, vacancy_fill_rate=0.3)
    f["training_pipelines"] = pipeline()
    sim = simulate(f, 200, seed=1)
    t = flows_table(sim)
    net = t["start_fte"] + t["from_training"] + t["other_joiners"] + t["recruited"] - t["leavers"] \
        - t["retirements"]
    assert (net - t["end_fte"]).abs().max() < 1e-9
    b = t.filter(pl.col("role") == "b", pl.col("year") == 2026).row(0, named=True)
    assert b["start_fte"] == pytest.approx(4 * 0.5)  # role b's CYP share is 0.5
    mean_supply = sim.total_supply.mean(axis=-1)[0, :, 0]
    a = t.filter(pl.col("role") == "a").sort("year")
    assert (a["end_fte"] + a["agency_fte"]).to_list() == pytest.approx(mean_supply.tolist())


# -- uncertainty on the census ---------------------------------------------------------------------------

def test_a_range_on_fte_in_post_gives_the_first_year_an_interval() -> None:
    """FTE in post 8–13 (central 10), agency 1: first-year supply lies in 9–14 and varies. Catches the first
    year still a single number."""
    sim = simulate(inputs(fte_in_post_low=8.0, fte_in_post_high=13.0), 500, seed=1)
    first = sim.total_supply[0, 0, 0]
    assert first.min() >= 9 - 1e-9 and first.max() <= 14 + 1e-9 and first.max() - first.min() > 2


def test_a_range_on_the_cyp_share_gives_the_first_year_an_interval() -> None:
    """Role b: 4 FTE at a CYP share of 0.3–0.7: 1.2 to 2.8 FTE for this population in the first year."""
    sim = simulate(inputs(cyp_share_low=0.3, cyp_share_high=0.7), 500, seed=1)
    first = sim.total_supply[0, 0, 1]
    assert first.min() >= 1.2 - 1e-9 and first.max() <= 2.8 + 1e-9 and first.max() - first.min() > 0.8


def test_wilson_interval_on_paper() -> None:
    """40 of 100 cases: share 0.4, 90% Wilson interval (0.3231, 0.4822), worked by hand with z = 1.6449:
    centre (0.4 + 0.013528) / 1.027055 = 0.402630, half-width 1.601565 × √(0.0024 + 0.0000676) = 0.079558.
    Catches a normal (Wald) interval (0.3194–0.4806) or a 95% one."""
    low, share, high = wilson(np.array([40.0]), np.array([100.0]))
    assert share[0] == 0.4
    assert low[0] == pytest.approx(0.32307, abs=2e-5) and high[0] == pytest.approx(0.48219, abs=2e-5)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 10_000), data=st.data())
def test_wilson_interval_holds_the_share_within_0_and_1(n: int, data: st.DataObject) -> None:
    """Catches an interval outside 0–1, or one that does not contain the share (a caseload all one group)."""
    x = data.draw(st.integers(0, n))
    low, share, high = wilson(np.array([float(x)]), np.array([float(n)]))
    assert 0 <= low[0] <= share[0] <= high[0] <= 1
    assert high[0] - low[0] > 0


def test_caseloads_set_the_cyp_share_with_an_interval() -> None:
    """Role b (4 FTE, census share 0.5) holds 40 cases of CYP and 60 of adults: 4 × 0.4 = 1.6 FTE in the first
    year, with draws within 4 × (0.3231–0.4822). Catches the census's share kept, or adults counted in."""
    f = inputs()
    f["caseloads"] = frame("caseloads", [
        {"area": "T1", "role": "b", "sector": "NHS", "client_group": "CYP", "cases": 40.0, "in_population": "yes"},
        {"area": "T1", "role": "b", "sector": "NHS", "client_group": "adults", "cases": 60.0, "in_population": "no"}])
    assert simulate(f).total_supply[0, 0, 1, 0] == pytest.approx(1.6)
    first = simulate(f, 500, seed=1).total_supply[0, 0, 1]
    assert first.min() >= 4 * 0.3230 and first.max() <= 4 * 0.4822 and first.max() - first.min() > 0.4
    assert simulate(f).total_supply[0, 0, 0, 0] == pytest.approx(11)  # role a has no caseload: unchanged


# -- through the command line -----------------------------------------------------------------------------

def test_gap_target_year_says_when_to_commission_and_what_it_costs(run_cli: Run, demo_workspace: Path) -> None:
    """The demo's psychiatrists (8-year training) cannot be reached by 2030 by training; clinical
    psychologists (3 years) must be commissioned by 2027. Catches the plan missing from the command."""
    code, out, err = run_cli(["gap", "-w", demo_workspace, "--year", "2030", "--target-year", "2030", "--draws",
                              "0", "--format", "csv"])
    assert code == 0, err
    rows = {r["role"]: r for r in csv.DictReader(out.splitlines())}
    assert rows["psychiatrist"]["by_training"] == "not by training alone: places started in 2025 qualify in 2033"
    assert rows["psychiatrist"]["places_a_year"] == ""
    psych = rows["clinical_psychologist"]
    assert psych["commission_by"] == "2027" and psych["course_years"] == "3"
    # 95% complete, half stay, intakes 2025–2027 for joiners 2026–2030 at a = 1 − 0.1 − 0.2 / 10 = 0.88
    a = 0.88
    factor = sum(a ** k for k in range(5)) / sum(a ** k for k in range(3)) / (0.95 * 0.5)
    assert float(psych["places_a_year"]) == pytest.approx(float(psych["joiners_needed"]) * factor, rel=1e-6)
    assert float(psych["places_cost"]) == pytest.approx(float(psych["places_a_year"]) * 3 * 200_000, rel=1e-6)


def test_the_demo_training_scenario_begins_after_the_course(run_cli: Run, demo_workspace: Path) -> None:
    """'more_training' adds mental health nursing places from 2026 (a 3-year course): supply is the
    baseline's up to 2028 and more from 2029. Catches the demo's scenario taking effect at once."""
    def supply(scenario: str) -> dict[int, float]:
        code, out, err = run_cli(["supply", "-w", demo_workspace, "--draws", "0", "--format", "csv",
                                  "--scenario", scenario])
        assert code == 0, err
        return {int(r["year"]): float(r["supply_fte"]) for r in csv.DictReader(out.splitlines())
                if r["role"] == "mh_practitioner"}
    base, more = supply("baseline"), supply("more_training")
    assert all(more[y] == pytest.approx(base[y]) for y in range(2025, 2029))
    assert more[2029] - base[2029] == pytest.approx(10 * 0.8 * 0.5)


@pytest.mark.parametrize("view, column", [("flows", "from_training"), ("establishment", "establishment_fte"),
                                          ("pipeline", "places_starting")])
def test_supply_views(run_cli: Run, demo_workspace: Path, view: str, column: str) -> None:
    """Each view of `cyplan supply --view` runs on the demo and carries its figures."""
    code, out, err = run_cli(["supply", "-w", demo_workspace, "--view", view, "--draws", "50", "--format", "csv"])
    assert code == 0, err
    assert column in out.splitlines()[0]


HEADER = ("area,role,sector,start_year,end_year,places,course_years,completion_rate,share_taking_post_here,"
          "cost_per_place\n")


@pytest.mark.parametrize("row, column, words", [
    ("E10999999,mh_practitioner,NHS,2026,,10,0,0.8,0.5,1000", "course_years", "below"),
    ("E10999999,mh_practitioner,NHS,2026,,10,3,1.2,0.5,1000", "completion_rate", "above"),
    ("E10999999,nurse,NHS,2026,,10,3,0.8,0.5,1000", "role", "not in the roles"),
])
def test_bad_pipeline_input_is_located_and_changes_nothing(run_cli: Run, demo_workspace: Path, tmp_path: Path,
                                                           row: str, column: str, words: str) -> None:
    """A course length of 0, a completion rate above 1, a role not in roles: each named by file, row and
    column, exit code 2, the workspace untouched."""
    bad = tmp_path / "pipes.csv"
    bad.write_text(HEADER + row + "\n")
    before = folder_bytes(demo_workspace)
    code, out, err = run_cli(["import", "training_pipelines", bad, "-w", demo_workspace])
    assert code == 2
    text = out + err
    assert "pipes.csv" in text and "row 2" in text and column in text and words in text, text
    assert folder_bytes(demo_workspace) == before


# -- the charts ------------------------------------------------------------------------------------------------

def test_the_flows_waterfall_steps_from_the_start_to_the_end() -> None:
    """100 at the start, +4 trained, +5 other, +10 recruited, −10 leavers, −2 retired: the last step of the
    waterfall ends at 107, the end bar's height. Catches an outflow drawn upwards or a flow left out."""
    from cyplan.reports.charts import flows_waterfall, to_spec

    flows = pl.DataFrame({"year": [2026], "start_fte": [100.0], "from_training": [4.0], "other_joiners": [5.0],
                          "recruited": [10.0], "leavers": [10.0], "retirements": [2.0], "end_fte": [107.0]})
    spec = to_spec(flows_waterfall(flows, 2026, "Tiny"))
    bars = {v["step"]: v for v in spec["data"]["values"]} if "data" in spec else \
        {v["step"]: v for d in spec["datasets"].values() for v in d}
    assert (bars["Trained"]["low"], bars["Trained"]["high"]) == (100, 104)
    assert (bars["Leavers"]["low"], bars["Leavers"]["high"]) == (109, 119)
    assert (bars["Retired"]["low"], bars["Retired"]["high"]) == (107, 109)
    assert bars["End"]["high"] == 107
    assert "start 100.0; trained 4.0" in spec["description"] and "leavers 10.0" in spec["description"]


def test_the_board_paper_shows_flows_establishment_and_pipeline(demo_workspace: Path) -> None:
    """The workforce section's flows sentence adds up (start + joiners − leavers − retirements = end, as
    rounded) and is followed by the waterfall, the establishment chart and table and the pipeline chart:
    catches the views missing from the paper or a sentence whose figures do not add up."""
    import re

    from cyplan.reports.paper import build_paper
    from cyplan.reports.paper.document import Figure, Paragraph, Table
    from cyplan.store.workspace import Workspace

    ws = Workspace.open(demo_workspace)
    try:
        paper = build_paper(ws, draws=50)
    finally:
        ws.close()
    blocks = paper.section("workforce").blocks
    titles = [b.title if isinstance(b, Figure) else b.caption for b in blocks if isinstance(b, Figure | Table)]
    assert "Who joins and who leaves, 2026" in titles and "Funded establishment, staff in post and need" in titles
    assert "Training pipeline" in titles
    assert any(t.startswith("Establishment, staff in post and need by role, 2035") for t in titles)
    text = next(b.text for b in blocks if isinstance(b, Paragraph) and b.text.startswith("In 2026 the workforce"))
    text = re.sub(r"\[\d+\]", "", text)  # the notes' numbers
    # "In 2026 … starts with S FTE; J join (T …, O … and R …) and L leave (… leavers, … retirements), … E FTE"
    start, joined, _, _, _, left, _, _, end = (int(x.replace(",", "")) for x in
                                               re.findall(r"\b\d[\d,]*\b", text)[1:])
    assert abs(start + joined - left - end) <= 1  # rounding only


@pytest.mark.parametrize("course", [1, 2, 3, 5])
def test_the_training_plan_closes_the_gap_when_commissioned(course: int) -> None:
    """Commissioning the plan's places a year, from the first year to its commission-by year, brings supply up
    to demand exactly at the target year: catches a wrong lag, intake count or yield in the plan."""
    f = short(0.1)
    f["training_pipelines"] = pipeline(start_year=2020, places=0.1, course_years=course)
    plan = training_plan(simulate(f), 2030).filter(pl.col("role") == "a").row(0, named=True)
    assert plan["places_a_year"] > 0 and plan["commission_by"] == 2030 - course
    f["training_pipelines"] = pl.concat([f["training_pipelines"], pipeline(
        start_year=2025, end_year=plan["commission_by"], places=plan["places_a_year"], course_years=course)])
    closed = simulate(f)
    assert closed.total_supply[0, -1, 0, 0] == pytest.approx(closed.demand[0, -1, 0, 0], rel=1e-9)


@pytest.mark.parametrize("cohorts", [False, True], ids=["today", "bands-and-moves"])
def test_flows_of_some_areas_are_those_of_every_area_bit_for_bit(cohorts: bool) -> None:
    """The flows view works out the flows of the areas asked for alone (not every census row's, then filtered):
    catches a transfer, pipeline, band or agency move taken from another area's row or the rows renumbered out of
    order — the table must be exactly the whole table's rows for those areas, by role and all roles together."""
    bench = load_benchmark("model_scale")
    f = bench.synthetic_inputs(4)
    if cohorts:
        f = bench.with_cohorts(f)
    sim = simulate(f, 20, seed=3)
    assert sim.detail.rates.moving == cohorts and sim.detail.pipelines.height > 0
    some = [sim.dims.areas[0], sim.dims.areas[3]]
    if cohorts:  # several transfers within the areas kept, so that one taken from the wrong row shows
        area = sim.census_cells[0]
        assert all(np.isin(area[dst], [0, 3]).sum() >= 2 for _, dst, _ in sim.detail.rates.transfers.groups)
    for together in (False, True):
        whole = flows_table(sim, together=together)
        assert flows_table(sim, some, together=together).equals(whole.filter(pl.col("area").is_in(some)))
        assert flows_table(sim, some[:1], [2027], together).equals(
            whole.filter(pl.col("area") == some[0], pl.col("year") == 2027))
    assert flows_table(sim, ["E99999999"]).is_empty()
