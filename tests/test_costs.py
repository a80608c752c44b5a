"""What needs-based models and budgets count beyond direct clinical time (issue 12 part 4), on numbers worked
by hand: staff planned by ratio, non-pay costs and overheads, ranges on direct work share and sickness, care
profiles within a level; and a workspace without these inputs gives exactly what it gave before.

The tiny area (test_model.tiny): 220 cases at level t, one 10-hour step split 3:1 between roles a and b, so
1,650 and 550 direct hours; every role gives 931.5 productive hours a year (207 days × 7.5 h × 0.6) and costs
£56,700 a year in pay (£42,000 × 1.35).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CliResult, folder_bytes, write_text
from cyplan.model.gap import gap_table
from cyplan.model.plan import cost_table, demand_table, need_table, run
from cyplan.model.simulate import simulate
from test_model import frame, tiny

Run = Callable[[Sequence[str]], CliResult]
PRODUCTIVE = 931.5
PAY = 56_700.0
CLINICAL_FTE = 2200 / PRODUCTIVE  # 2.3618 FTE of roles a and b together


def role(name: str, **over: object) -> dict[str, object]:
    row: dict[str, object] = {"role": name, "label": name.upper(), "staff_group": "g",
                              "contracted_hours_per_week": 37.5, "working_days_per_week": 5.0,
                              "annual_leave_days": 29.0, "public_holiday_days": 8.0, "sickness_days": 11.0,
                              "training_days": 5.0, "direct_work_share": 0.6, "salary": 42_000.0, "on_cost_rate": 0.35}
    return {**row, **over}


def with_ratios(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """A team leader per 8 FTE of every clinical role, an administrator per 5 FTE of role a."""
    return {**frames,
            "roles": frame("roles", [role("a"), role("b"), role("lead", salary=58_000.0),
                                     role("admin", salary=25_000.0)]),
            "role_ratios": frame("role_ratios", [{"role": "lead", "per_role": "", "per_fte": 8.0},
                                                 {"role": "admin", "per_role": "a", "per_fte": 5.0}])}


# -- 1. staff planned by ratio ----------------------------------------------------------------------------------

def test_a_team_leader_per_8_clinical_fte_and_an_administrator_per_5_fte_of_one_role() -> None:
    """Catches ratio staff counted from the wrong base (from all staff, from each other, or inverted). By hand:
    clinical FTE 2,200 / 931.5 = 2.3618, so 0.29522 team leaders; role a 1,650 / 931.5 = 1.7713 FTE, so
    0.35427 administrators. Neither has direct hours; their cost is their FTE × their own pay."""
    table = demand_table(run(with_ratios(tiny())), ["role"]).sort("role")
    rows = {r["role"]: r for r in table.iter_rows(named=True)}
    assert rows["lead"]["fte"] == pytest.approx(0.295222, abs=1e-6)
    assert rows["admin"]["fte"] == pytest.approx(0.354267, abs=1e-6)
    assert rows["lead"]["hours"] == 0 and rows["admin"]["hours"] == 0
    assert rows["lead"]["cost"] == pytest.approx(0.295222 * 58_000 * 1.35, rel=1e-5)
    assert rows["admin"]["cost"] == pytest.approx(0.354267 * 25_000 * 1.35, rel=1e-5)
    assert rows["a"]["fte"] == pytest.approx(1650 / PRODUCTIVE)  # clinical FTE unchanged


def test_ratio_staff_are_in_the_monte_carlo_demand_and_the_gap() -> None:
    """Catches the ratio applied in the plan but not in the simulation (or to supply): the central simulation's
    demand for the team leader equals the plan's, and with no census its gap is all of it."""
    sim = simulate(with_ratios(tiny()))
    gap = gap_table(sim, ["role"]).sort("role")
    lead = gap.filter(role="lead").row(0, named=True)
    assert lead["demand_fte"] == pytest.approx(CLINICAL_FTE / 8)
    assert lead["gap_fte"] == pytest.approx(CLINICAL_FTE / 8)
    assert lead["cost_to_close"] == pytest.approx(CLINICAL_FTE / 8 * 58_000 * 1.35)


def test_ratio_staff_follow_every_draw_of_clinical_demand() -> None:
    """Catches ratio staff drawn apart from the clinical demand they are counted from: draw by draw, team
    leaders are exactly (a + b) / 8."""
    sim = simulate(with_ratios(tiny()), draws=50, seed=3)
    roles = sim.dims.roles
    clinical = sim.demand[0, 0, roles.index("a")] + sim.demand[0, 0, roles.index("b")]
    assert sim.demand[0, 0, roles.index("lead")] == pytest.approx(clinical / 8)
    assert np.ptp(clinical) > 0  # the draws do vary


# -- 2. non-pay costs and overheads ----------------------------------------------------------------------------

def costed(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Role a: non-pay 12% of pay plus £1,000 per FTE, overheads 20%; role b pay only; £50 a case at level t."""
    return {**frames,
            "roles": frame("roles", [role("a", non_pay_rate=0.12, non_pay_per_fte=1000.0, overhead_rate=0.2),
                                     role("b")]),
            "levels": frame("levels", [{"level": "t", "label": "Targeted", "coverage": 1.0, "non_pay_per_case": 50.0}])}


def test_cost_lines_add_up_to_a_budget_total() -> None:
    """Catches overheads taken on pay alone, non-pay compounding wrongly or per-case costs left out. By hand, for
    one FTE of role a: pay £56,700; non-pay 12% × 56,700 + 1,000 = £7,804; overheads 20% × (56,700 + 7,804) =
    £12,900.80; so £77,404.80. Role a has 1,650 / 931.5 FTE, role b 550 / 931.5 FTE at pay only; 220 cases ×
    £50 = £11,000."""
    plan = run(costed(tiny()))
    lines = cost_table(plan).row(0, named=True)
    fte_a, fte_b = 1650 / PRODUCTIVE, 550 / PRODUCTIVE
    assert lines["pay"] == pytest.approx((fte_a + fte_b) * PAY)
    assert lines["non_pay"] == pytest.approx(fte_a * 7_804)
    assert lines["overheads"] == pytest.approx(fte_a * 12_900.80)
    assert lines["case_costs"] == pytest.approx(11_000)
    assert lines["total"] == pytest.approx(fte_a * 77_404.80 + fte_b * PAY + 11_000)
    by_role = demand_table(plan, ["role"]).sort("role")
    assert by_role["cost"].to_list() == pytest.approx([fte_a * 77_404.80, fte_b * PAY])
    assert by_role["pay"].to_list() == pytest.approx([fte_a * PAY, fte_b * PAY])


def test_cost_to_close_counts_the_full_cost_of_an_fte() -> None:
    """Catches the gap still priced at pay alone: role a's cost to close is its gap × £77,404.80."""
    row = gap_table(simulate(costed(tiny())), ["role"]).filter(role="a").row(0, named=True)
    assert row["cost_to_close"] == pytest.approx(1650 / PRODUCTIVE * 77_404.80)


def test_per_case_costs_follow_coverage() -> None:
    """Catches per-case costs charged on every case rather than the cases services reach: coverage 0.5 halves
    them (110 cases × £50)."""
    frames = costed(tiny())
    frames["levels"] = frames["levels"].with_columns(pl.lit(0.5).alias("coverage"))
    assert cost_table(run(frames))["case_costs"].to_list() == pytest.approx([5_500])


def test_the_split_is_shown_only_when_there_is_one() -> None:
    """Catches extra columns in every workspace's demand table: with pay alone the table is as it was."""
    assert demand_table(run(tiny()), ["role"]).columns == ["area", "year", "role", "hours", "fte", "cost"]
    assert demand_table(run(costed(tiny())), ["role"]).columns == [
        "area", "year", "role", "hours", "fte", "pay", "non_pay", "overheads", "cost"]


# -- through the command line, on the demo ----------------------------------------------------------------------

def test_the_demo_plans_team_leaders_and_administrators_by_ratio(run_cli: Run, demo_workspace: Path) -> None:
    """Catches ratio roles missing from `cyplan demand` or from the budget lines: the demo's 1,609.1 clinical
    FTE in 2025 (population-average prevalence, issue 12 part 1) take 1,609.1 / 8 = 201.1 team leaders and
    1,609.1 / 5 = 321.8 administrators."""
    code, out, err = run_cli(["demand", "--year", "2025", "--format", "csv", "-w", demo_workspace])
    assert code == 0, err
    table = pl.read_csv(out.encode())
    fte = dict(zip(table["role"], table["fte"], strict=True))
    clinical = sum(v for k, v in fte.items() if k not in ("team_leader", "administrator"))
    assert clinical == pytest.approx(1609.1, abs=0.05)
    assert fte["team_leader"] == pytest.approx(clinical / 8)
    assert fte["administrator"] == pytest.approx(clinical / 5)
    code, out, err = run_cli(["costs", "--year", "2025", "--format", "csv", "-w", demo_workspace])
    assert code == 0, err
    lines = pl.read_csv(out.encode()).row(0, named=True)
    assert lines["pay"] + lines["non_pay"] + lines["overheads"] == pytest.approx(table["cost"].sum())
    assert lines["total"] == pytest.approx(table["cost"].sum() + lines["case_costs"])
    assert lines["non_pay"] == pytest.approx(0.12 * lines["pay"])  # the demo's 12% of pay, no £ per FTE


def refused(run: Run, ws: Path, args: Sequence[str]) -> str:
    before = folder_bytes(ws)
    code, out, err = run([*args, "-w", ws])
    assert code == 2, (out, err)
    assert folder_bytes(ws) == before, "the workspace changed"
    return err


@pytest.mark.parametrize(("kind", "text", "line"), [
    ("role_ratios", "role,per_role,per_fte\nteam_leader,team_leader,8\n",
     "row 2, column 'per_role': role 'team_leader' cannot be a ratio to itself"),
    ("role_ratios", "role,per_role,per_fte\nteam_leader,,8\nadministrator,team_leader,5\n",
     "row 3, column 'per_role': per_role 'team_leader' is itself planned by ratio in this file"),
    ("role_ratios", "role,per_role,per_fte\nteam_leader,,0\n",
     "row 2, column 'per_fte': per fte 0 is below 0.1"),
    ("role_ratios", "role,per_role,per_fte\nteam_leader,nurse,8\n",
     "row 2, column 'per_role': per_role 'nurse' is not in the roles"),
])
def test_bad_ratios_are_refused_where_they_are(run_cli: Run, demo_workspace: Path, tmp_path: Path, kind: str,
                                               text: str, line: str) -> None:
    """Catches a ratio to itself or to another ratio role (no base to count from), a zero ratio (infinite
    staff) and an unknown role, each reported with file, row and column, the workspace untouched."""
    path = write_text(tmp_path / f"{kind}.csv", text)
    err = refused(run_cli, demo_workspace, ["import", kind, path])
    assert line in err


# -- without the new inputs, the results of before -------------------------------------------------------------

NEW_ROLES = ("team_leader", "administrator")
NEW_COLUMNS = {"roles": ("non_pay_rate", "non_pay_per_fte", "overhead_rate", "direct_work_share_low",
                         "direct_work_share_high", "sickness_days_low", "sickness_days_high"),
               "levels": ("non_pay_per_case",)}
# the demo's figures before issue 12 part 4, as `cyplan demo` printed them: 2025 demand by role (FTE, cost) and
# the 2035 gap's median demand and supply FTE with 1,000 draws, seed 1
# main just before part 4 merged (after part 1's population averages and issue 13's supply engine), measured
BEFORE_2025 = {"clinical_psychologist": (333.3, 26_095_073), "family_support_worker": (276.7, 10_273_907),
               "mh_practitioner": (526.8, 29_871_021), "psychiatrist": (106.3, 16_935_689),
               "specialist_therapist": (251.1, 16_948_054), "wellbeing_practitioner": (114.9, 5_119_633)}
BEFORE_2035_DEMAND = {"clinical_psychologist": 362.1, "family_support_worker": 299.7, "mh_practitioner": 577.7,
                      "psychiatrist": 114.3, "specialist_therapist": 272.2, "wellbeing_practitioner": 131.0}
BEFORE_2035_SUPPLY = {"clinical_psychologist": 63.5, "family_support_worker": 129.5, "mh_practitioner": 188.3,
                      "psychiatrist": 18.5, "specialist_therapist": 33.6, "wellbeing_practitioner": 65.4}


def without_part_4(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The demo as it was before part 4: no ratios, no care profiles, no cost or range columns, no ratio roles,
    Segal's core clinical management as one step of 27 (20.25 to 33.75) hours in its place in the pathway."""
    out = dict(frames)
    for kind in ("role_ratios", "care_profiles", "coverage"):
        out[kind] = frames[kind].clear()
    for kind, columns in NEW_COLUMNS.items():
        out[kind] = frames[kind].with_columns(pl.lit(None, dtype=frames[kind][c].dtype).alias(c) for c in columns)
    out["roles"] = out["roles"].filter(~pl.col("role").is_in(NEW_ROLES))
    out["workforce"] = out["workforce"].filter(~pl.col("role").is_in(NEW_ROLES))
    # the demo's tertiary core clinical management, split into three care profiles, back as Segal's one step
    steps, mix = out["pathway_steps"], out["role_mix"]
    split = pl.col("step").str.starts_with("core clinical management (")
    core = steps.filter(split).head(1).with_columns(
        step=pl.lit("core clinical management"), low=pl.lit(20.25), central=pl.lit(27.0), high=pl.lit(33.75))
    steps = pl.concat([steps.filter(~split), core]).with_columns(
        order=pl.col("step").replace_strict(SEGAL_ORDER, default=pl.col("order"), return_dtype=pl.Int64))
    out["pathway_steps"] = steps.with_columns(pl.lit(None, dtype=pl.String).alias("profile"))
    out["role_mix"] = pl.concat([mix.filter(~split), mix.filter(pl.col("step") == "core clinical management (brief)")
                                 .with_columns(step=pl.lit("core clinical management"))])
    out["scenarios"] = out["scenarios"].filter(pl.col("scenario") != "skill_mix")
    return out


SEGAL_ORDER = {"reception, triage and follow-up": 1, "core clinical management": 2, "psychiatric oversight": 3,
               "specialised clinical role": 4, "socioeconomic support": 5}


def test_the_demo_without_the_new_inputs_gives_the_figures_of_before(demo_workspace: Path) -> None:
    """Catches any change the new inputs make when they are absent (a cost line not 0, a ratio of 0 counted,
    a range drawn that shifts every other input's random numbers): the demo without them reproduces its
    published 2025 demand (FTE to 0.1, cost to the pound) and 2035 Monte Carlo medians (to 0.1 FTE)."""
    from cyplan import results
    from cyplan.store.workspace import Workspace

    ws = Workspace.open(demo_workspace)
    try:
        frames = without_part_4(ws.read_all())
    finally:
        ws.close()
    plan = results.plan(frames)
    table = demand_table(plan, ["role"], years=[2025])
    assert need_table(plan, years=[2025])["cases"].sum() == pytest.approx(36_995.9, abs=0.05)
    for row in table.iter_rows(named=True):
        fte, cost = BEFORE_2025[row["role"]]
        assert round(row["fte"], 1) == fte
        assert round(row["cost"]) == cost
    gap = gap_table(results.simulation(frames), ["role"], years=[2035])
    for row in gap.iter_rows(named=True):
        assert round(row["demand_fte"], 1) == BEFORE_2035_DEMAND[row["role"]]
        assert round(row["supply_fte"], 1) == BEFORE_2035_SUPPLY[row["role"]]


# -- 3. a range on direct work share and sickness ---------------------------------------------------------------

def ranged(frames: dict[str, pl.DataFrame], share: tuple[float, float] = (0.5, 0.7),
           sickness: tuple[float, float] = (11.0, 11.0)) -> dict[str, pl.DataFrame]:
    """Tiny with fixed prevalence (10%), and role a's direct work share and sickness days given ranges."""
    prevalence = frames["prevalence"].with_columns(pl.lit(0.1).alias("low"), pl.lit(0.1).alias("high"))
    roles = frame("roles", [role("a", direct_work_share_low=share[0], direct_work_share_high=share[1],
                                 sickness_days_low=sickness[0], sickness_days_high=sickness[1]), role("b")])
    return {**frames, "prevalence": prevalence, "roles": roles}


def test_direct_work_share_is_drawn_between_its_low_and_high() -> None:
    """Catches a range that is ignored (every draw at 931.5 h) or drawn outside low–high. Role a's 1,650 hours
    over 1,552.5 h × share: each draw's share, worked back from its FTE, lies in 0.5–0.7, spreads over most of
    it, and its median is near 0.6 (a symmetric triangle; 2,000 draws put the median within ±0.01)."""
    sim = simulate(ranged(tiny()), draws=2000, seed=11)
    share = 1650 / (1552.5 * sim.demand[0, 0, sim.dims.roles.index("a")])
    assert share.min() >= 0.5 - 1e-12 and share.max() <= 0.7 + 1e-12
    assert share.min() < 0.52 and share.max() > 0.68
    assert abs(np.median(share) - 0.6) < 0.01
    assert np.ptp(sim.demand[0, 0, sim.dims.roles.index("b")]) == 0  # role b has no range


def test_sickness_days_are_drawn_between_their_low_and_high() -> None:
    """Catches sickness drawn but not taken off available working time: role a's productive hours are
    (260 − 29 − 8 − s − 5) × 7.5 × 0.6, so s worked back from each draw's FTE lies in 8–14."""
    sim = simulate(ranged(tiny(), share=(0.6, 0.6), sickness=(8.0, 14.0)), draws=500, seed=2)
    productive = 1650 / sim.demand[0, 0, sim.dims.roles.index("a")]
    sickness = 218 - productive / (7.5 * 0.6)
    assert sickness.min() >= 8 - 1e-9 and sickness.max() <= 14 + 1e-9
    assert np.ptp(sickness) > 4


def test_the_ranges_leave_every_other_inputs_draws_as_they_were() -> None:
    """Catches the new ranges drawn before other inputs, which would shift the random numbers of prevalence,
    hours, leavers and joiners (and so every published figure): with or without a range on role a, role b's
    demand and both roles' supply are the same draw for draw."""
    frames = tiny()
    frames["workforce"] = frame("workforce", [
        {"area": "T1", "role": r, "sector": "NHS", "headcount": 2.0, "fte_in_post": 2.0, "vacant_fte": 0.0,
         "agency_fte": 0.0, "leaver_rate": 0.1, "leaver_rate_low": 0.05, "leaver_rate_high": 0.2,
         "joiners_per_year": 1.0, "joiners_low": 0.5, "joiners_high": 2.0, "cyp_share": 1.0} for r in ("a", "b")])
    with_range = {**frames, "roles": frame("roles", [role("a", direct_work_share_low=0.5,
                                                          direct_work_share_high=0.7), role("b")])}
    before, after = simulate(frames, draws=200, seed=4), simulate(with_range, draws=200, seed=4)
    b = before.dims.roles.index("b")
    assert np.array_equal(before.demand[:, :, b], after.demand[:, :, b])
    assert np.array_equal(before.total_supply, after.total_supply)
    assert not np.array_equal(before.demand[:, :, 0], after.demand[:, :, 0])


def test_the_central_plan_uses_the_central_direct_work_share() -> None:
    """Catches the plan's low or high estimate taking the range (a lower share means more FTE, the other way
    from the need estimates): `cyplan demand` stays at 1,650 / 931.5 FTE whatever the range."""
    for estimate in ("low", "central", "high"):
        table = demand_table(run(ranged(tiny()), estimate), ["role"])
        assert table.filter(role="a")["fte"].item() == pytest.approx(1650 / PRODUCTIVE)


@pytest.mark.parametrize(("row", "line"), [
    ({"direct_work_share_low": "0.7"}, "row 2, column 'direct_work_share_low': direct_work_share_low 0.7 is above "
                                       "direct_work_share 0.6"),
    ({"sickness_days_high": "9"}, "row 2, column 'sickness_days_high': sickness_days_high 9 is below "
                                  "sickness_days 11"),
    ({"sickness_days_high": "300"}, "row 2, column 'annual_leave_days': leave, public holidays, sickness and "
                                    "training add up to 342 days"),
])
def test_bad_ranges_are_refused_where_they_are(run_cli: Run, demo_workspace: Path, tmp_path: Path,
                                               row: dict[str, str], line: str) -> None:
    """Catches a low above the value, a high below it, and a high sickness that leaves no working days (a draw
    would divide by 0 or less), each located, the workspace untouched."""
    base = {"role": "mh_practitioner", "label": "MHP", "staff_group": "g", "contracted_hours_per_week": "37.5",
            "annual_leave_days": "29", "public_holiday_days": "8", "sickness_days": "11", "training_days": "5",
            "direct_work_share": "0.6", "salary": "42000", "on_cost_rate": "0.35", **row}
    path = write_text(tmp_path / "roles.csv", ",".join(base) + "\n" + ",".join(base.values()) + "\n")
    err = refused(run_cli, demo_workspace, ["import", "roles", path, "--mode", "merge"])
    assert line in err


# -- 4. care profiles within a level ----------------------------------------------------------------------------

def profiled(frames: dict[str, pl.DataFrame], shares: tuple[float, float] = (0.7, 0.3),
             hours: tuple[float, float] = (4.0, 40.0)) -> dict[str, pl.DataFrame]:
    """Tiny's level t: every case takes 'see' (10 h, split 3:1); a share takes 'brief', the rest 'intensive',
    both by role a alone."""
    steps = frame("pathway_steps", [
        {"level": "t", "step": "see", "order": 1, "low": 10.0, "central": 10.0, "high": 10.0},
        {"level": "t", "step": "brief", "order": 2, "profile": "brief", "low": hours[0], "central": hours[0],
         "high": hours[0]},
        {"level": "t", "step": "intensive", "order": 3, "profile": "intensive", "low": hours[1], "central": hours[1],
         "high": hours[1]}])
    mix = frame("role_mix", [{"level": "t", "step": "see", "role": "a", "share": 0.75},
                             {"level": "t", "step": "see", "role": "b", "share": 0.25},
                             {"level": "t", "step": "brief", "role": "a", "share": 1.0},
                             {"level": "t", "step": "intensive", "role": "a", "share": 1.0}])
    profiles = frame("care_profiles", [{"level": "t", "profile": "brief", "share": shares[0]},
                                       {"level": "t", "profile": "intensive", "share": shares[1]}])
    return {**frames, "pathway_steps": steps, "role_mix": mix, "care_profiles": profiles}


def test_each_profile_serves_its_share_of_the_levels_cases() -> None:
    """Catches profile steps given to every case (220 × (10 + 4 + 40) h) or the shares applied to the shared
    step too. By hand: a case takes 10 + 0.7 × 4 + 0.3 × 40 = 24.8 h; role a 7.5 + 2.8 + 12 = 22.3 h, so 220 ×
    22.3 = 4,906 h; role b 220 × 2.5 = 550 h."""
    table = demand_table(run(profiled(tiny())), ["role"]).sort("role")
    assert table["hours"].to_list() == pytest.approx([4906, 550])
    assert table["fte"].to_list() == pytest.approx([4906 / PRODUCTIVE, 550 / PRODUCTIVE])


def test_the_simulation_weights_profiles_as_the_plan_does() -> None:
    """Catches profiles used by the plan but not the Monte Carlo run: at central values the simulation's
    demand is the plan's 4,906 / 931.5 FTE for role a."""
    sim = simulate(profiled(tiny()))
    assert sim.demand[0, 0, sim.dims.roles.index("a"), 0] == pytest.approx(4906 / PRODUCTIVE)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(0.0, 500.0), st.floats(0.0, 500.0))
def test_profiles_average_their_hours_by_their_shares(share: float, brief: float, intensive: float) -> None:
    """Whatever the shares (summing to 1) and hours, a level's hours per case are the shared steps' hours plus
    the share-weighted mean of its profiles' hours; and profiles with equal hours give the same as one step.
    Catches a weight left out, applied twice, or taken from the other profile."""
    frames = profiled(tiny(), (share, 1 - share), (brief, intensive))
    hours = demand_table(run(frames), [])["hours"].item()
    assert hours == pytest.approx(220 * (10 + share * brief + (1 - share) * intensive), rel=1e-9, abs=1e-6)
    same = demand_table(run(profiled(tiny(), (share, 1 - share), (brief, brief))), [])["hours"].item()
    assert same == pytest.approx(220 * (10 + brief), rel=1e-9, abs=1e-6)


def test_the_demos_profiles_keep_segals_mean_of_58_hours() -> None:
    """Catches the demo's split of core clinical management drifting from Segal's 27 h mean (seed 000): brief 12 h
    for 50%, standard 36 h for 35%, intensive 56 h for 15% make 6 + 12.6 + 8.4 = 27, so a tertiary case still
    takes 3 + 27 + 4 + 12 + 12 = 58 h."""
    from cyplan.model.demand import hours_per_case
    from test_docs import demo_arrays

    a = demo_arrays()
    assert a.step_share is not None
    per_case = hours_per_case(a.step_level, a.step_hours * a.step_share, a.mix, len(a.dims.levels))
    assert per_case[a.dims.levels.index("tertiary")].sum() == pytest.approx(58)


@pytest.mark.parametrize(("kind", "text", "line"), [
    ("care_profiles", "level,profile,share\ntertiary,brief,0.5\ntertiary,standard,0.35\ntertiary,intensive,0.05\n",
     "row 2, column 'share': care profile shares for level 'tertiary' sum to 0.90, not 1"),
    ("care_profiles", "level,profile,share\nsevere,brief,1\n",
     "row 2, column 'level': level 'severe' is not in the levels of need"),
])
def test_bad_care_profiles_are_refused_where_they_are(run_cli: Run, demo_workspace: Path, tmp_path: Path, kind: str,
                                                      text: str, line: str) -> None:
    """Catches shares that do not sum to 1 (cases lost or counted twice) and an unknown level, located."""
    path = write_text(tmp_path / f"{kind}.csv", text)
    assert line in refused(run_cli, demo_workspace, ["import", kind, path])


def test_a_step_naming_an_unknown_profile_is_refused(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    """Catches a step whose profile is not in the care profiles (its hours would go to every case, or none)."""
    path = write_text(tmp_path / "pathway_steps.csv", "level,step,order,profile,central\n"
                      "tertiary,core clinical management (brief),2,short,12\n")
    err = refused(run_cli, demo_workspace, ["import", "pathway_steps", path, "--mode", "merge"])
    assert "row 2, column 'profile': level 'tertiary', profile 'short' is not in the care profiles" in err


# -- 5. coverage by age band and group --------------------------------------------------------------------------

def every_age(frames: dict[str, pl.DataFrame], group_count: float = 0.0,
              basis: str = "outside_groups") -> dict[str, pl.DataFrame]:
    """Tiny with 10% need at every age: 100 cases aged 0–4 ('young'), 220 aged 5–15 ('school'), 200 aged 16–25;
    the rate is one outside the groups (their uplift added) unless `basis` says otherwise."""
    out = tiny(rr=3.0, group_count=group_count)
    out["prevalence"] = frame("prevalence", [{"level": "t", "age_from": 0, "age_to": 25, "sex": "all", "low": 0.1,
                                              "central": 0.1, "high": 0.1, "rate_basis": basis}])
    return out


def test_coverage_by_age_band_replaces_the_levels_where_given() -> None:
    """Catches the band's coverage applied to every age or the every-age row overriding the band's. By hand:
    0.8 for every age but 0.5 at school age: 100 × 0.8 + 220 × 0.5 + 200 × 0.8 = 350 cases reached × 10 h."""
    frames = every_age(tiny())
    frames["coverage"] = frame("coverage", [{"level": "t", "band": "", "group": "", "coverage": 0.8},
                                            {"level": "t", "band": "school", "group": "", "coverage": 0.5}])
    assert demand_table(run(frames), [])["hours"].item() == pytest.approx(3_500)
    assert need_table(run(frames), [])["cases"].item() == pytest.approx(520)  # coverage does not change need


def test_a_groups_coverage_applies_to_all_its_cases() -> None:
    """Catches a group's coverage applied to its uplift only (not its children's share of the base), or to
    the whole population. 110 looked-after children aged 5–15 at 10% × 3 have 33 cases, of which 22 are the
    uplift; school age has 220 + 22 = 242 cases. Reaching half of school age but every looked-after child:
    (242 − 33) × 0.5 + 33 × 1 = 137.5 school-age cases, plus 300 outside it at the level's 1."""
    frames = every_age(tiny(), group_count=110.0)
    frames["coverage"] = frame("coverage", [{"level": "t", "band": "school", "group": "", "coverage": 0.5},
                                            {"level": "t", "band": "", "group": "lac", "coverage": 1.0}])
    assert demand_table(run(frames), [])["hours"].item() == pytest.approx((137.5 + 300) * 10)
    sim = simulate(frames)
    assert sim.demand[0, 0, :, 0].sum() == pytest.approx((137.5 + 300) * 10 / PRODUCTIVE)


def test_a_groups_coverage_with_a_population_average_covers_its_children_at_the_published_rate() -> None:
    """Catches plan and simulation treating a group's coverage differently where the rate is a population average
    (docs/method.md, 'Coverage by age band and group'): there the groups' excess is already part of the cases and
    keeps its age's coverage; the group's own coverage applies to its children's cases at the published rate.
    By hand: school age has 220 cases (the rate is the average), reached at 0.5: 110; the 110 looked-after
    children's 11 cases at the published 10% are reached at 1, not 0.5: + 11 × 0.5 = 115.5; plus 300 outside."""
    frames = every_age(tiny(), group_count=110.0, basis="population_average")
    frames["coverage"] = frame("coverage", [{"level": "t", "band": "school", "group": "", "coverage": 0.5},
                                            {"level": "t", "band": "", "group": "lac", "coverage": 1.0}])
    assert demand_table(run(frames), [])["hours"].item() == pytest.approx((115.5 + 300) * 10)
    sim = simulate(frames)
    assert sim.demand[0, 0, :, 0].sum() == pytest.approx((115.5 + 300) * 10 / PRODUCTIVE)


def test_coverage_rows_equal_to_the_levels_change_nothing() -> None:
    """Catches the by-age path computing differently from the by-level one: rows restating the level's
    coverage (for every age, and for a group) give the same demand, plan and simulation, draw for draw."""
    frames = tiny(rr=3.0, group_count=110.0)
    restated = {**frames, "coverage": frame("coverage", [{"level": "t", "band": "", "group": "", "coverage": 1.0},
                                                         {"level": "t", "band": "", "group": "lac",
                                                          "coverage": 1.0}])}
    assert demand_table(run(restated), ["role"])["fte"].to_list() == pytest.approx(
        demand_table(run(frames), ["role"])["fte"].to_list(), rel=1e-12)
    a, b = simulate(frames, draws=30, seed=8), simulate(restated, draws=30, seed=8)
    assert np.allclose(a.demand, b.demand, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("text", "line"), [
    ("level,band,group,coverage\ntertiary,teens,,0.5\n", "row 2, column 'band': band 'teens' is not in the age bands"),
    ("level,band,group,coverage\ntertiary,,orphans,0.5\n",
     "row 2, column 'group': group 'orphans' is not in the vulnerable groups"),
    ("level,band,group,coverage\ntertiary,school_age,,1.5\n", "row 2, column 'coverage': coverage 1.5 is above 1"),
])
def test_bad_coverage_is_refused_where_it_is(run_cli: Run, demo_workspace: Path, tmp_path: Path, text: str,
                                             line: str) -> None:
    """Catches an unknown band or group (its coverage would be silently unused) and a share above 1."""
    path = write_text(tmp_path / "coverage.csv", text)
    assert line in refused(run_cli, demo_workspace, ["import", "coverage", path])


# -- the split where a user sees it: the web overview and the board paper ----------------------------------------

def test_the_overview_and_the_board_paper_show_the_budget_lines(demo_workspace: Path) -> None:
    """Catches the split computed but not shown: the web overview's budget-line table and the board paper's
    financial section give the same lines as `cyplan costs` (pay, non-pay, overheads, per case, total)."""
    import re

    from fastapi.testclient import TestClient

    from cyplan import results
    from cyplan.reports.paper import build_paper, render_html
    from cyplan.store.workspace import Workspace
    from cyplan.web.app import create_app

    ws = Workspace.open(demo_workspace)
    try:
        lines = cost_table(results.plan(ws.read_all()), years=[2025]).row(0, named=True)
        paper = build_paper(ws, draws=0)
    finally:
        ws.close()
    money = [f"£{lines[k]:,.0f}" for k in ("pay", "non_pay", "overheads", "case_costs", "total")]
    page = TestClient(create_app(demo_workspace), base_url="http://localhost").get("/").text
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.partition("by budget line")[2]))
    assert row.split("2025", 1)[1].split()[:5] == money
    financial = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", render_html(paper)))
    assert (f"As budget lines on the central plan (every input at its central value), that is {money[0]} pay, "
            f"{money[1]} non-pay costs of staff, {money[2]} overheads and "
            f"{money[3]} non-pay costs per case: {money[4]} a year in all") in financial


def test_two_groups_each_reached_at_its_own_coverage() -> None:
    """Catches a group's coverage divided by rather than multiplied by, and the groups' cases summed over the
    levels instead of the groups (two groups here: with one, either sum is the same). Tiny at 10% for every age, the
    rate one outside the groups; looked-after (110 children aged 5–15) and child in need (55), each at three times
    the rate. School age: 220 + 110 × 0.1 × 2 + 55 × 0.1 × 2 = 220 + 22 + 11 = 253 cases, of which the groups'
    children hold 33 and 16.5. Half of school age reached, 0.8 of looked-after children, every child in need:
    (253 − 33 − 16.5) × 0.5 + 33 × 0.8 + 16.5 × 1 = 101.75 + 26.4 + 16.5 = 144.65; plus 300 outside school age at the
    level's 1. Hours: 444.65 × 10 = 4,446.5."""
    frames = every_age(tiny(), group_count=110.0)
    frames["groups"] = frame("groups", [{"group": "lac", "label": "Looked after"}, {"group": "cin", "label": "CIN"}])
    frames["group_sizes"] = frame("group_sizes", [
        {"area": "T1", "group": g, "age_from": 5, "age_to": 15, "count": n}
        for g, n in (("lac", 110.0), ("cin", 55.0))])
    frames["group_risks"] = frame("group_risks", [
        {"group": g, "level": "t", "low": 3.0, "central": 3.0, "high": 3.0} for g in ("lac", "cin")])
    frames["coverage"] = frame("coverage", [{"level": "t", "band": "school", "group": "", "coverage": 0.5},
                                            {"level": "t", "band": "", "group": "lac", "coverage": 0.8},
                                            {"level": "t", "band": "", "group": "cin", "coverage": 1.0}])
    assert demand_table(run(frames), [])["hours"].item() == pytest.approx(4_446.5)
    assert simulate(frames).demand[0, 0, :, 0].sum() == pytest.approx(4_446.5 / PRODUCTIVE)


def test_coverage_rows_with_blank_cells_and_in_any_order() -> None:
    """Catches a band's row overridden by the every-age row listed after it, and blank band or group cells (as a
    workspace may store them: null) read as something else. 0.8 for every age, 0.5 at school age, as in
    test_coverage_by_age_band_replaces_the_levels_where_given, but the every-age row last and its blank cells
    null: 100 × 0.8 + 220 × 0.5 + 200 × 0.8 = 350 cases reached × 10 h."""
    frames = every_age(tiny())
    frames["coverage"] = pl.DataFrame({"level": ["t", "t"], "band": ["school", None], "group": [None, None],
                                       "coverage": [0.5, 0.8], "source": ["", ""]},
                                      schema_overrides={"band": pl.String, "group": pl.String})
    assert demand_table(run(frames), [])["hours"].item() == pytest.approx(3_500)
