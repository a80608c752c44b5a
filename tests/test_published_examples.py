"""Published workforce calculations that give their full inputs, reproduced number for number by `cyplan demand`.

Each example is a small set of input files in tests/fixtures/published/<source>/, whose `source` column says which
figure of the publication each value is. The tests build a workspace from them the way a user would (`cyplan init`,
`cyplan import all`, `cyplan demand --format csv`) and compare cyplan's figures with the published ones, to the
publication's own rounding. The mapping from each publication's terms to cyplan's inputs is in docs/method.md,
"Validation against published calculations".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import CliResult, load_benchmark
from cyplan.model.demand import RoleTime, demand

PUBLISHED = Path(__file__).parent / "fixtures" / "published"
RunCli = Callable[[Sequence[str]], CliResult]
METHOD = Path(__file__).resolve().parents[1] / "docs" / "method.md"


def demand_rows(run_cli: RunCli, tmp_path: Path, example: str) -> list[dict[str, str]]:
    """`cyplan demand --format csv` on a new workspace holding the example's inputs, one dict per row."""
    ws = tmp_path / example
    for args in (["init", ws], ["import", "all", PUBLISHED / example, "-w", ws]):
        code, _, err = run_cli(args)
        assert code == 0, err
    code, out, err = run_cli(["demand", "-w", ws, "--format", "csv"])
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(out)))


def role_inputs(example: str) -> dict[str, str]:
    """The example's one role, as its input file gives it."""
    with (PUBLISHED / example / "roles.csv").open(encoding="utf-8", newline="") as f:
        (role,) = list(csv.DictReader(f))
    return role


def test_burmen_2017_baseline_staff_requirement_is_17_46_clinicians(run_cli: RunCli, tmp_path: Path) -> None:
    """Burmen B, Owuor N, Mitei P (2017) "An assessment of staffing needs at a HIV clinic in a Western Kenya using
    the WHO workload indicators of staffing need WISN, 2011", Human Resources for Health 15:9, Table 3: 10,000
    patients × 10 appointments × 0.25 h = 25,000 h = 3,125 days of 8 h; 52 weeks × 4.5 consultation days = 234,
    less 10 public holidays (224), 30 days' annual leave (194) and 15 days' sick leave = 179 days; 3,125 ÷ 179 =
    17.46 staff. Catches working days a week being ignored (52 × 5 would give 205 days), hours a
    day not being contracted hours ÷ working days a week, a day off counted twice or not at all, and pathway hours
    not reaching FTE as cases × hours ÷ (working days × hours a day)."""
    (row,) = demand_rows(run_cli, tmp_path, "burmen2017")
    hours, fte = float(row["hours"]), float(row["fte"])
    assert row["role"] == "clinician"
    assert hours == 25_000  # the paper's annual workload, in hours
    assert hours / 8 == 3_125  # … in days of 8 hours
    assert round(hours / fte / 8) == 179  # the paper's available working days: cyplan's AWT is 179 days of 8 h
    assert round(fte, 2) == 17.46  # the paper's baseline staff requirement


def test_burmen_2017_team_meeting_entered_as_an_allowance_gives_16_94() -> None:
    """docs/method.md says that entering Burmen et al.'s half-day team meeting as a category allowance (5 days a
    week of 8 h, direct-work share 0.9) instead of a 4.5-day week gives 16.94 FTE: catches the doc's figure
    drifting from cyplan's arithmetic (25,000 ÷ ((260 − 55) × 8 × 0.9 = 1,476 h) = 16.94)."""
    five_days = RoleTime(**{k: np.array([v]) for k, v in dict(
        hours_per_week=40.0, days_per_week=5.0, annual_leave=30.0, public_holidays=10.0, sickness=15.0,
        training=0.0, direct_share=0.9, salary=0.0, on_cost=0.0).items()})
    assert five_days.productive_hours[0] == pytest.approx(1_476)
    fte = 25_000 / five_days.productive_hours[0]
    assert f"**{fte:.2f}** FTE" in " ".join(METHOD.read_text(encoding="utf-8").split())  # 16.94


def test_elkhuizen_2007_available_hours_are_1521_9_a_year(run_cli: RunCli, tmp_path: Path) -> None:
    """Elkhuizen SG, Bor G, Smeenk M, Klazinga NS, Bakker PJM (2007) "Capacity management of nursing staff as a
    vehicle for organizational improvement", BMC Health Services Research 7:196, Table 1: 1,872 contractual hours
    less holiday (9%, 168.5 h), extra holiday over 45 (0.2%, 3.7 h), official holidays (3.5%, 65.5 h), professional
    development (2%, 37.4 h) and sick leave (4%, 74.9 h) = 1,521.9 available hours per FTE. The days in the
    example's roles input are those shares of 260 days. Catches any day off left out of, or counted twice in,
    available working time, and FTE not being hours ÷ available hours when the direct-work share is 1."""
    role = role_inputs("elkhuizen2007")
    per_day = float(role["contracted_hours_per_week"]) / float(role["working_days_per_week"])  # 7.2 h
    assert 52 * float(role["contracted_hours_per_week"]) == 1_872
    # the inputs are the paper's hours: each day off × 7.2 h, to the table's one decimal place
    assert round(float(role["annual_leave_days"]) * per_day, 1) == round(168.5 + 3.7, 1)  # holiday + extra holiday
    assert round(float(role["public_holiday_days"]) * per_day, 1) == 65.5
    assert round(float(role["training_days"]) * per_day, 1) == 37.4
    assert round(float(role["sickness_days"]) * per_day, 1) == 74.9

    (row,) = demand_rows(run_cli, tmp_path, "elkhuizen2007")
    hours, fte = float(row["hours"]), float(row["fte"])
    assert hours == 10_000
    assert round(hours / fte, 1) == 1_521.9  # the paper's available annual working hours per FTE


@pytest.mark.parametrize("source", ["Burmen", "Elkhuizen"])
def test_method_names_each_published_example_and_its_figure(source: str) -> None:
    """docs/method.md's validation section names each source and the figure reproduced, as the tests check it."""
    method = METHOD.read_text(encoding="utf-8")
    section = method.split("## Validation against published calculations", 1)[1].split("\n## ", 1)[0]
    assert source in section
    assert {"Burmen": "**17.46**", "Elkhuizen": "**1,521.9 h**"}[source] in section


@given(days_a_week=st.sampled_from([4.0, 4.5, 5.0, 6.0]), hours_a_day=st.floats(4, 12),
       days_off=st.lists(st.floats(0, 40), min_size=4, max_size=4), volume=st.floats(1, 1e6),
       activity_standard=st.floats(0.05, 20), total_cas=st.floats(0, 0.8))
def test_wisn_staff_requirement_equals_cyplan_fte(days_a_week: float, hours_a_day: float, days_off: list[float],
                                                  volume: float, activity_standard: float,
                                                  total_cas: float) -> None:
    """WISN's steps worked independently (user's manual, 2010): AWT = (A − (B + C + D + E)) × F, standard workload
    = AWT ÷ activity standard, staff = volume ÷ standard workload × CAF with CAF = 1 ÷ (1 − total CAS), against
    cyplan's demand() on the mapping method.md gives (cases = volume, pathway hours = activity standard,
    direct-work share = 1 − total CAS): catches the direct-work share being applied the wrong way (multiplied
    instead of divided), or the mapping table's claim that FTE = hours ÷ AWT is WISN's staff requirement."""
    holidays, leave, sick, other = days_off
    a = 52 * days_a_week
    awt = (a - (holidays + leave + sick + other)) * hours_a_day
    wisn = volume / (awt / activity_standard) * (1 / (1 - total_cas))
    role = RoleTime(**{k: np.array([v]) for k, v in dict(
        hours_per_week=hours_a_day * days_a_week, days_per_week=days_a_week, annual_leave=leave,
        public_holidays=holidays, sickness=sick, training=other, direct_share=1 - total_cas, salary=0.0,
        on_cost=0.0).items()})
    fte = demand(np.array([volume]), np.ones(1), np.array([[activity_standard]]), role).fte.item()
    assert fte == pytest.approx(wisn, rel=1e-9)


# -- Segal et al. 2018 (seed 000): the range the stated parameters imply, not a reproduction ----------------------


def method_text() -> str:
    return METHOD.read_text(encoding="utf-8")


def test_segal_range_table_in_method_is_the_one_cyplan_prints() -> None:
    """The table of FTE per 100,000 children in docs/method.md is, line for line, what scripts/segal_range.py
    prints from cyplan's need → demand model: catches the doc and the model drifting apart."""
    script = load_benchmark("segal_range", folder="scripts")
    shown = method_text().split("<!-- segal-range:start -->\n", 1)[1].split("<!-- segal-range:end -->", 1)[0]
    assert shown.strip().splitlines() == script.table()


def test_segal_range_corners_match_hand_worked_figures() -> None:
    """The lowest and highest cells, worked by hand from the abstract's figures (5% or 8% in childhood, 16% in
    mid-adolescence, 58 h a case) and the demo practitioner's 207 days × 7.5 h, without cyplan: catches the
    script or the model getting prevalence by age, the pathway total or productive hours wrong."""
    script = load_benchmark("segal_range", folder="scripts")
    awt = 207 * 7.5
    low_cases = (16 * 0.05 + 2 * 0.16) / 18 * 100_000  # mid-adolescence read as ages 14–15
    high_cases = (12 * 0.08 + 6 * 0.16) / 18 * 100_000  # … as ages 12–17
    low = script.per_100k(0.05, (14, 15), 0.7)
    high = script.per_100k(0.08, (12, 17), 0.5)
    assert low == pytest.approx((low_cases, low_cases * 58, low_cases * 58 / (awt * 0.7)))
    assert high == pytest.approx((high_cases, high_cases * 58, high_cases * 58 / (awt * 0.5)))
    assert round(low[2], 1) == 332.1 and round(high[2], 1) == 797.0
    assert "**332.1 FTE**" in method_text() and "**797.0 FTE**" in method_text()
    assert "**332 to 797 FTE per 100,000 children aged 0 to 17**" in " ".join(method_text().split())


def test_method_says_which_segal_parameters_the_seed_does_not_give() -> None:
    """The promise of issue 12 part 5, as worded: say plainly which parameters are missing, and no back-calculation
    that reads like a check (patients served by 947 FTE, or the hours per FTE that 947 would need)."""
    text = " ".join(method_text().split())
    for missing in ("**South Australia's population**", "**The ages**", "**The hours of direct work one clinical "
                    "FTE gives**", "**mean over every patient**", "**AU\\$126 million**"):
        assert missing in text, missing
    assert "cannot reproduce the 947" in text
    for back_calculation in ("947 × H ÷ 58", "58 × N ÷ 947", "patients served"):
        assert back_calculation not in text
