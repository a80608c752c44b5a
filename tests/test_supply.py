"""Supply, gap, scenarios and Monte Carlo uncertainty."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cyplan.model.gap import gap_table
from cyplan.model.plan import demand_table, run
from cyplan.model.scenarios import ScenarioError, apply
from cyplan.model.simulate import simulate
from cyplan.model.supply import joiners_needed, retirement_rate, stock
from cyplan.model.uncertainty import draw, summarise
from test_model import frame, tiny

YEARS = (2025, 2026, 2027)


def test_constant_rates_give_the_geometric_path() -> None:
    # 100 FTE, 10% leave, 5 join: 100 → 95 → 90.5 → 86.45 (= 100 × 0.9^t + 5 × (1 − 0.9^t) / 0.1)
    path = stock(np.array([100.0]), np.array([0.1]), np.array([0.0]), np.array([5.0]), 4)
    assert path[0] == pytest.approx([100, 95, 90.5, 86.45])
    t = np.arange(4)
    assert path[0] == pytest.approx(100 * 0.9 ** t + 5 * (1 - 0.9 ** t) / 0.1)


def test_nobody_leaving_adds_joiners_each_year() -> None:
    path = stock(np.array([10.0]), np.array([0.0]), np.array([0.0]), np.array([2.0]), 3)
    assert path[0] == pytest.approx([10, 12, 14])


def test_retirement_from_the_share_aged_55_plus() -> None:
    # 20% aged 55+ retire over ten years: 2% a year; a given rate wins; blank is none
    assert retirement_rate(np.array([0.2, 0.2, np.nan]), np.array([np.nan, 0.05, np.nan])) == pytest.approx(
        [0.02, 0.05, 0.0])


def test_joiners_needed_reach_the_target() -> None:
    j = joiners_needed(np.array([100.0]), np.array([0.1]), np.array([0.02]), np.array([150.0]), 5)
    assert stock(np.array([100.0]), np.array([0.1]), np.array([0.02]), j, 6)[0, 5] == pytest.approx(150)


def test_draws_stay_in_range_and_repeat_with_the_seed() -> None:
    low, central, high = np.array([1.0, 5.0]), np.array([2.0, 5.0]), np.array([4.0, 5.0])
    a = draw(np.random.default_rng(7), low, central, high, 2000)
    b = draw(np.random.default_rng(7), low, central, high, 2000)
    np.testing.assert_array_equal(a, b)
    assert a[:, 0].min() >= 1 and a[:, 0].max() <= 4
    assert np.all(a[:, 1] == 5)  # no range: constant
    # triangular(1, 2, 4) has mean (1 + 2 + 4) / 3
    assert a[:, 0].mean() == pytest.approx(7 / 3, rel=0.03)
    pert = draw(np.random.default_rng(7), low, central, high, 4000, "pert")
    assert pert[:, 0].min() >= 1 and pert[:, 0].max() <= 4
    assert pert[:, 0].mean() == pytest.approx((1 + 4 * 2 + 4) / 6, rel=0.03)  # PERT mean (a + 4c + b) / 6


# -- the whole run on a tiny area ---------------------------------------------------------------------

def census(**over: object) -> pl.DataFrame:
    row = {"area": "T1", "role": "a", "sector": "NHS", "headcount": 12.0, "fte_in_post": 10.0, "vacant_fte": 2.0,
           "agency_fte": 1.0, "leaver_rate": 0.1, "leaver_rate_low": 0.1, "leaver_rate_high": 0.1,
           "share_aged_55_plus": 0.0, "retirement_rate": None, "joiners_per_year": 2.0, "joiners_low": 2.0,
           "joiners_high": 2.0, "cyp_share": 1.0}
    return frame("workforce", [row | over, row | {"role": "b", "fte_in_post": 4.0, "agency_fte": 0.0,
                                                  "cyp_share": 0.5} | over])


def inputs(years: tuple[int, ...] = YEARS, **over: object) -> dict[str, pl.DataFrame]:
    f = tiny()
    f["population"] = pl.concat([f["population"].with_columns(pl.lit(y, pl.Int64).alias("year")) for y in years])
    f["workforce"] = census(**over)
    return f


def test_central_simulation_equals_the_deterministic_plan() -> None:
    f = inputs()
    sim = simulate(f)
    table = demand_table(run(f), ["role"]).sort("year", "role")
    assert sim.demand[0, :, :, 0].ravel() == pytest.approx(table["fte"].to_list(), rel=1e-12)


def test_supply_gap_and_cost_on_paper() -> None:
    sim = simulate(inputs())
    # role a: 10 in post + 1 agency; next year 10 × 0.9 + 2 = 11 in post, + 1 agency = 12
    # role b: (4 + 0) × 0.5 = 2; next year (4 × 0.9 + 2) × 0.5 = 2.8
    assert sim.total_supply[0, :2, 0, 0] == pytest.approx([11, 12])
    assert sim.total_supply[0, :2, 1, 0] == pytest.approx([2, 2.8])
    table = gap_table(sim, ["role"], years=[2025]).sort("role")
    demand = [1650 / 931.5, 550 / 931.5]  # test_model's tiny area: 2,200 hours split 3:1
    assert table["demand_fte"].to_list() == pytest.approx(demand)
    assert table["gap_fte"].to_list() == pytest.approx([demand[0] - 11, demand[1] - 2])
    assert table["share_met"].to_list() == pytest.approx([1.0, 1.0])  # both are over-supplied
    assert table["cost_to_close"].to_list() == pytest.approx([0, 0])


def test_by_sector_shares_demand_by_todays_supply() -> None:
    f = inputs()
    f["workforce"] = pl.concat([census(), census(sector="voluntary", fte_in_post=30.0, agency_fte=0.0)])
    sim = simulate(f)
    table = gap_table(sim, ["role", "sector"], years=[2025]).filter(pl.col("role") == "a")
    nhs, vol = (table.filter(pl.col("sector") == s) for s in ("NHS", "voluntary"))
    assert nhs["supply_fte"][0] == pytest.approx(11) and vol["supply_fte"][0] == pytest.approx(30)
    assert nhs["demand_fte"][0] / vol["demand_fte"][0] == pytest.approx(11 / 30)


def test_the_same_seed_gives_the_same_numbers() -> None:
    f = inputs(leaver_rate_low=0.05, leaver_rate_high=0.2)
    a, b, c = simulate(f, 200, seed=3), simulate(f, 200, seed=3), simulate(f, 200, seed=4)
    np.testing.assert_array_equal(a.total_supply, b.total_supply)
    assert not np.array_equal(a.total_supply, c.total_supply)


def test_symmetric_inputs_give_a_median_near_the_central_result() -> None:
    f = inputs(leaver_rate_low=0.05, leaver_rate_high=0.15, joiners_low=1.0, joiners_high=3.0)
    f["prevalence"] = f["prevalence"].with_columns(pl.lit(0.08).alias("low"), pl.lit(0.12).alias("high"))
    central, sim = simulate(f), simulate(f, 4000, seed=1)
    _, median, _ = summarise(sim.total_supply[0, -1, 0])
    assert median == pytest.approx(central.total_supply[0, -1, 0, 0], rel=0.01)
    _, median, _ = summarise(sim.demand[0, 0, 0])
    assert median == pytest.approx(central.demand[0, 0, 0, 0], rel=0.01)


def test_totals_are_summed_draw_by_draw() -> None:
    sim = simulate(inputs(leaver_rate_low=0.0, leaver_rate_high=0.3), 500, seed=2)
    total = gap_table(sim, [], years=[2027])
    _, median, _ = summarise(sim.total_supply[0, 2].sum(axis=0))
    assert total["supply_fte"][0] == pytest.approx(median)


# -- scenarios -------------------------------------------------------------------------------------------

def scenario(*changes: dict[str, object]) -> pl.DataFrame:
    base = {"scenario": "s", "where": "", "to_role": "", "description": "", "source": ""}
    return frame("scenarios", [base | c for c in changes])


def test_an_override_touches_only_what_it_names() -> None:
    f = inputs()
    changed = apply(f, scenario({"input": "workforce", "column": "leaver_rate", "where": "role=a",
                                 "operation": "add", "value": -0.03}), "s")
    for kind in f:
        if kind != "workforce":
            assert changed[kind].equals(f[kind]), kind
    before, after = f["workforce"], changed["workforce"]
    assert after.filter(pl.col("role") == "b").equals(before.filter(pl.col("role") == "b"))
    a = after.filter(pl.col("role") == "a").row(0, named=True)
    assert (a["leaver_rate"], a["leaver_rate_low"], a["leaver_rate_high"]) == pytest.approx((0.07, 0.07, 0.07))
    assert a["joiners_per_year"] == 2.0


def test_multiply_and_set_move_the_range_with_the_value() -> None:
    f = inputs(joiners_low=1.0, joiners_high=4.0)
    doubled = apply(f, scenario({"input": "workforce", "column": "joiners_per_year", "operation": "multiply",
                                 "value": 2}), "s")["workforce"].row(0, named=True)
    assert (doubled["joiners_low"], doubled["joiners_per_year"], doubled["joiners_high"]) == (2.0, 4.0, 8.0)
    moved = apply(f, scenario({"input": "workforce", "column": "joiners_per_year", "operation": "set",
                               "value": 5}), "s")["workforce"].row(0, named=True)
    assert (moved["joiners_low"], moved["joiners_per_year"], moved["joiners_high"]) == (4.0, 5.0, 7.0)


def test_skill_mix_moves_a_share_between_roles() -> None:
    f = inputs()
    mixed = apply(f, scenario({"input": "role_mix", "column": "share", "where": "level=t;step=see;role=a",
                               "operation": "move", "value": 0.25, "to_role": "b"}), "s")["role_mix"]
    shares = dict(zip(mixed["role"], mixed["share"], strict=True))
    assert shares == pytest.approx({"a": 0.5, "b": 0.5})
    # the hours move with it, and the total is unchanged
    before, after = simulate(f).demand[0, 0, :, 0], simulate(mixed_frames := {**f, "role_mix": mixed}).demand
    assert after[0, 0, :, 0] == pytest.approx([before.sum() / 2] * 2)
    assert mixed_frames["role_mix"]["share"].sum() == pytest.approx(1)


@pytest.mark.parametrize(("change", "message"), [
    ({"input": "workforce", "column": "leaver_rate", "where": "role=zz", "operation": "add", "value": 1},
     "no row of workforce matches 'role=zz'"),
    ({"input": "workforce", "column": "leaver_rate", "operation": "add", "value": -0.5},
     "makes leaver_rate -0.4, below 0"),
    ({"input": "workforce", "column": "sector", "operation": "set", "value": 1}, "'sector' is not a numeric column"),
    ({"input": "workforce", "column": "leaver_rate", "where": "colour=red", "operation": "add", "value": 1},
     "workforce has no column colour"),
    ({"input": "role_mix", "column": "share", "where": "role=b", "operation": "move", "value": 0.5,
      "to_role": "a"}, "role 'b' has only 0.25 of step 'see' to move, not 0.5"),
    ({"input": "role_mix", "column": "share", "where": "role=a", "operation": "move", "value": 0.1,
      "to_role": "nobody"}, "'nobody' is not one"),
])
def test_a_change_that_cannot_apply_is_an_error(change: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")):
        apply(inputs(), scenario(change), "s")


def test_an_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError, match="no scenario named 'x'; the scenarios are: s"):
        apply(inputs(), scenario({"input": "workforce", "column": "leaver_rate", "operation": "add",
                                  "value": 0}), "x")


def test_a_prevalence_trend_raises_need_year_on_year() -> None:
    f = inputs()
    f["prevalence_trends"] = frame("prevalence_trends", [{"level": "t", "low": 0.1, "central": 0.1, "high": 0.1}])
    cases = demand_table(run(f), [])["hours"].to_list()
    assert cases == pytest.approx([2200, 2420, 2662])  # 10% more each year
    sim = simulate(f)
    assert sim.demand[0, :, :, 0].sum(axis=1) == pytest.approx(np.array(cases) / 931.5)


# -- through the command line, on the demo ----------------------------------------------------------------

def test_gap_on_the_demo_for_every_role_and_year(run_cli, demo_workspace) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(["gap", "-w", demo_workspace, "--draws", "200", "--format", "csv"])
    assert code == 0, err
    import io

    table = pl.read_csv(io.StringIO(out))
    assert sorted(set(table["year"])) == list(range(2025, 2036))
    assert table.height == 11 * 8  # six clinical roles, and team leaders and administrators planned by ratio
    for m in ("demand_fte", "supply_fte", "gap_fte", "share_met", "cost_to_close"):
        assert (table[f"{m}_p5"] <= table[m]).all() and (table[m] <= table[f"{m}_p95"]).all(), m
    again = run_cli(["gap", "-w", demo_workspace, "--draws", "200", "--format", "csv"])[1]
    assert again == out  # the same seed, the same numbers


def test_scenario_compare_on_the_demo(run_cli, demo_workspace) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(["scenario", "compare", "-w", demo_workspace, "--draws", "100", "--format", "json"])
    assert code == 0, err
    import json

    rows = {r["scenario"]: r for r in json.loads(out)}
    assert set(rows) >= {"baseline", "retention", "training", "skill_mix", "rising_need"}
    assert rows["retention"]["supply_fte"] > rows["baseline"]["supply_fte"]
    assert rows["training"]["supply_fte"] > rows["baseline"]["supply_fte"]
    assert rows["rising_need"]["demand_fte"] > rows["baseline"]["demand_fte"]
    # the two roles give the same productive hours at central values, so moving hours between them leaves the
    # total; in the draws it does not, as each role's direct work share is drawn on its own (issue 12 part 4)
    central = {r["scenario"]: r for r in json.loads(run_cli(["scenario", "compare", "-w", demo_workspace, "--draws",
                                                             "0", "--format", "json"])[1])}
    assert central["skill_mix"]["demand_fte"] == pytest.approx(central["baseline"]["demand_fte"])


def test_scenarios_from_yaml(run_cli, demo_workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "s.yaml"
    good.write_text("faster:\n  description: More joiners\n  changes:\n"
                    "    - {input: workforce, column: joiners_per_year, where: role=psychiatrist, operation: add,"
                    " value: 2}\n")
    code, _, err = run_cli(["import", "scenarios", str(good), "-w", demo_workspace])
    assert code == 0, err
    code, out, err = run_cli(["scenario", "list", "-w", demo_workspace, "--format", "csv"])
    assert "faster,More joiners,workforce,joiners_per_year,role=psychiatrist,add,2" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("x:\n  changes:\n    - {input: workforce, column: leaver_rate, operation: grow, value: 1}\n")
    code, _, err = run_cli(["import", "scenarios", str(bad), "-w", demo_workspace])
    assert code == 2
    assert f"{bad}, row 3, column 'operation': 'grow' is not one of: set, add, multiply, move" in err


def test_an_unknown_scenario_is_explained(run_cli, demo_workspace) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli(["gap", "-w", demo_workspace, "--scenario", "nope", "--draws", "0"])
    assert code == 2 and "no scenario named 'nope'" in err


def test_a_scenario_that_breaks_a_rule_between_columns_is_refused(run_cli, demo_workspace,  # type: ignore[no-untyped-def]
                                                                   tmp_path) -> None:
    """Catches a scenario checked only value by value: multiplying the psychologists' direct-work share by 1e-300
    keeps it (and its low and high) between 0 and 1, but one FTE then gives 7.65e-298 direct hours, and the gap
    came out as 3.5 × 10^299 FTE. The import's rule between columns (at least 1 direct hour a year) is made again
    on the changed roles, so `gap` and `scenario compare tiny` refuse it, naming the scenario, and exit 2; and
    `scenario compare` (all of them) leaves it out with that reason and still compares the others — one bad
    scenario used to stop the comparison of every other option."""
    scenarios = tmp_path / "scenarios.csv"
    scenarios.write_text("scenario,input,column,where,operation,value,to_role,description,source\n"
                         "tiny,roles,direct_work_share,role=clinical_psychologist,multiply,1e-300,,tiny,test\n"
                         "fine,workforce,leaver_rate,,add,-0.01,,fine,test\n")
    assert run_cli(["import", "scenarios", scenarios, "-w", demo_workspace])[0] == 0
    for command in (["gap", "--scenario", "tiny"], ["scenario", "compare", "tiny"]):
        code, out, err = run_cli([*command, "-w", demo_workspace, "--draws", "20"])
        assert code == 2, (out, err)
        assert "scenario 'tiny', roles" in err and "hours of direct work a year" in err and "at least 1" in err
    code, out, err = run_cli(["scenario", "compare", "-w", demo_workspace, "--draws", "20", "--format", "csv"])
    assert code == 0, err
    assert "left out: the scenario 'tiny': scenario 'tiny', roles" in err and "at least 1" in err
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == ["baseline", "fine"]


def test_a_scenario_that_cannot_run_is_left_out_of_the_page_and_the_paper(run_cli, demo_workspace,  # type: ignore[no-untyped-def]
                                                                            tmp_path) -> None:
    """Catches one bad scenario hiding every option: the workforce page and the board paper still compare the
    baseline with the scenario that runs, and say which one was left out and why."""
    import html
    import re

    from fastapi.testclient import TestClient

    from cyplan.reports.paper import build_paper, render_html
    from cyplan.store.workspace import Workspace
    from cyplan.web.app import create_app

    scenarios = tmp_path / "scenarios.csv"
    scenarios.write_text("scenario,input,column,where,operation,value,to_role,description,source\n"
                         "tiny,roles,direct_work_share,role=clinical_psychologist,multiply,1e-300,,tiny,test\n"
                         "fine,workforce,leaver_rate,,add,-0.01,,fine,test\n")
    assert run_cli(["import", "scenarios", scenarios, "-w", demo_workspace])[0] == 0
    api = TestClient(create_app(demo_workspace), base_url="http://localhost").get("/api/workforce").json()
    assert [r["scenario"] for r in api["scenarios_compared"]] == ["baseline", "fine"]
    assert any("the scenario 'tiny': scenario 'tiny', roles" in w for w in api["warnings"])
    ws = Workspace.open(demo_workspace)
    try:
        paper = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", render_html(build_paper(ws, draws=20)))))
    finally:
        ws.close()
    assert "Left out of the options below, as they cannot be run: the scenario 'tiny'" in paper
    assert "‘fine’ (fine)" in paper and "The scenarios cannot be run" not in paper


def test_the_smalltown_example_supply_and_gap_by_hand(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # examples/README.md section 7, worked on paper
    from pathlib import Path

    from cyplan.store.workspace import Workspace
    from cyplan.transfer import Source, import_inputs

    inputs = Path(__file__).parents[1] / "examples" / "inputs"
    ws = Workspace.create(tmp_path / "st")
    try:
        import_inputs(ws, [Source(p.stem, p) for p in sorted(inputs.glob("*.csv"))])
        sim = simulate(ws.read_all())
    finally:
        ws.close()
    table = gap_table(sim, ["role"], years=[2025, 2026]).sort("year", "role")
    # the team leader (one per 10 clinical FTE, section 6a) has no census row: no supply, its gap is its demand;
    # the psychologists by age band: 2.5 − 0.2625 leave − 0.1 retire + 0.5 join = 2.6375, × 0.8 = 2.11
    assert table["supply_fte"].to_list() == pytest.approx([6.5, 2.0, 0.0, 6.9, 2.11, 0.0])
    assert table.filter(pl.col("year") == 2025)["gap_fte"].to_list() == pytest.approx(
        [2.0892, 1.845333, 1.243453], abs=1e-6)
    assert table.filter(pl.col("year") == 2025)["cost_to_close"].to_list() == pytest.approx(
        [104_460, 138_400, 1.2434533 * 62_500])


CENSUS_HEADER = ("area,role,sector,headcount,fte_in_post,vacant_fte,agency_fte,leaver_rate,leaver_rate_low,"
                 "leaver_rate_high,share_aged_55_plus,retirement_rate,joiners_per_year,joiners_low,joiners_high\n")


@pytest.mark.parametrize(("row", "problem"), [
    ("E1,a,NHS,1,1,0,0,20,,,,,1,,\n", (2, "leaver_rate", "leaver rate 20 is above 1 (a share is from 0 to 1: "
                                                          "write 16% or 0.16)")),
    ("E1,a,NHS,1,1,0,0,0.1,0.25,0.15,,,1,,\n", (2, "leaver_rate_low", "leaver_rate_low 0.25 is above "
                                                                      "leaver_rate 0.1")),
    ("E1,a,NHS,1,1,0,0,0.1,,,,,5,6,,\n", (2, "joiners_low", "joiners_low 6 is above joiners_per_year 5")),
    ("E1,a,NHS,1,1,0,0,0.6,,0.9,,0.2,1,,\n", (2, "leaver_rate", "leaving (0.9 at most) and retiring (0.2) add up "
                                                               "to more than everyone in post")),
])
def test_the_census_is_checked(tmp_path, row, problem) -> None:  # type: ignore[no-untyped-def]
    from cyplan.io.read import read_table
    from cyplan.io.validate import validate
    from cyplan.schema import KINDS

    path = tmp_path / "workforce.csv"
    path.write_text(CENSUS_HEADER + row)
    _, problems = validate(read_table(path), KINDS["workforce"])
    assert problem in [(p.row, p.column, p.message) for p in problems]


def test_a_target_year_must_come_after_the_first(run_cli, demo_workspace) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli(["gap", "-w", demo_workspace, "--draws", "0", "--target-year", "2025"])
    assert code == 2 and "--target-year must be after the first year" in err
