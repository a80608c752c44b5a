"""Skills (issue 13, part 6): the Common Core's six areas, the skills census and the staff to train to reach its
targets, checked on numbers worked by hand, through the command line, on the workforce page and in the paper."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from conftest import CliResult, folder_bytes
from cyplan import results
from cyplan.model.skills import census_staff, reach_per_year, training_path
from cyplan.reference.skills import COMMON_CORE, SKILL_AREAS
from cyplan.reports.paper.builder import build_paper
from cyplan.reports.paper.document import Paragraph, Table
from cyplan.store.workspace import Workspace
from cyplan.web.app import create_app

ROOT = Path(__file__).parents[1]
SEEDS = Path(os.environ.get("CYPLAN_SEEDS") or ROOT.parent / "shared" / "seeds")
EXAMPLES = ROOT / "examples" / "inputs"
HEADER = "area,role,skill_area,share_trained,target_share,target_year,cost_per_person,joiners_trained,source\n"


def one(staff: float, now: float, target: float, years: int, leave: float, joiners_trained: float = 0.0,
        horizon: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The training path of one row: (staff to train, share after) for each year."""
    x, share = training_path(np.array([staff]), np.array([now]), np.array([target]), np.array([joiners_trained]),
                             np.array([leave]), np.array([years]), horizon or years)
    return x[0], share[0]


# -- the reference data -----------------------------------------------------------------------------------------


def test_the_six_areas_are_para_5_21s_in_its_order_and_wording() -> None:
    """Catches an area missing, renamed or reordered against the seed's own list (para 5.21), read from the seed."""
    text = next(SEEDS.glob("001_*.txt")).read_text(encoding="utf-8")
    listed = text[text.index("for working with children. The six areas are:"):text.index("5.22 ")]
    assert [a.wording_5_21 for a in COMMON_CORE] == re.findall(r"^- \*(.+)\*$", listed, flags=re.MULTILINE)
    assert len(SKILL_AREAS) == 6
    assert all("para 5.21" in a.source and "Seed 001" in a.source for a in COMMON_CORE)


# -- the model on paper numbers ---------------------------------------------------------------------------------


def test_forty_staff_half_trained_to_ninety_percent_in_four_years_with_a_tenth_leaving() -> None:
    """Worked by hand (docs/method.md, 'Skills'): a = 0.9, a⁴ = 0.6561; x = 40 × (0.9 − 0.5 × 0.6561) × 0.1 ÷
    (1 − 0.6561) = 40 × 0.057195 ÷ 0.3439 = 6.6525 a year. Catches leavers ignored (4 a year), trained leavers
    not lost, or the rate worked over the wrong number of years."""
    x, share = one(40, 0.5, 0.9, 4, 0.1)
    assert x == pytest.approx([6.6525] * 4, abs=5e-5)
    # the trained staff year by year, by hand: 20 → 18 + 6.6525 = 24.6525 → 22.1873 + 6.6525 = 28.8398 → …
    trained = 20.0
    for t in range(4):
        trained = trained * 0.9 + 6.652515
        assert share[t] * 40 == pytest.approx(trained, abs=1e-4)
    assert share[-1] == pytest.approx(0.9)


def test_nobody_leaving_spreads_the_shortfall_evenly() -> None:
    """40 × (0.9 − 0.5) ÷ 4 = 4 a year: catches the geometric formula's 0 ÷ 0 when nobody leaves."""
    x, share = one(40, 0.5, 0.9, 4, 0.0)
    assert x == pytest.approx([4.0] * 4)
    assert share == pytest.approx([0.6, 0.7, 0.8, 0.9])


def test_trained_joiners_lower_the_training_by_their_share_of_leavers() -> None:
    """Every joiner trained: 6.6525 − 40 × 0.1 = 2.6525 a year. Catches the joiners' rule ignored."""
    x, _ = one(40, 0.5, 0.9, 4, 0.1, joiners_trained=1.0)
    assert x == pytest.approx([2.6525] * 4, abs=5e-5)


def test_after_the_target_year_training_holds_the_share() -> None:
    """Held at 90% with a tenth leaving and joiners untrained: 40 × 0.1 × 0.9 = 3.6 a year. Catches training that
    stops at the target year (the share would fall back) or goes on at the reach rate."""
    x, share = one(40, 0.5, 0.9, 4, 0.1, horizon=6)
    assert x[4:] == pytest.approx([3.6, 3.6])
    assert share[4:] == pytest.approx([0.9, 0.9])


def test_a_share_already_above_target_needs_no_training() -> None:
    """95% trained, target 90%: nothing to train, never a negative number of people."""
    x, _ = one(40, 0.95, 0.9, 2, 0.01, horizon=3)
    assert (x == 0).all()


def test_one_year_to_the_target() -> None:
    """n = 1: x = N × (p* − p0 × (1 − L)) = 7 × (0.9 − 0.45) = 3.15 (examples/inputs/skills.csv, by hand)."""
    assert reach_per_year(np.array([7.0]), np.array([0.5]), np.array([0.9]), np.array([0.0]), np.array([0.1]),
                          np.array([1]))[0] == pytest.approx(3.15)


@given(staff=st.floats(1, 5000), now=st.floats(0, 1), target=st.floats(0, 1), years=st.integers(1, 15),
       leave=st.floats(0, 0.6), joiners=st.floats(0, 1))
def test_the_target_is_reached_exactly_when_training_is_needed(staff: float, now: float, target: float, years: int,
                                                               leave: float, joiners: float) -> None:
    """Whatever the inputs: never a negative number to train, the share stays within 0–1, and at the target year
    the share is the target (when training is needed) or above it (when leavers and trained joiners get there
    anyway). Catches a formula that misses the target or overshoots 100%."""
    x, share = one(staff, now, target, years, leave, joiners)
    assert (x >= 0).all()
    assert ((share >= -1e-9) & (share <= 1 + 1e-9)).all()
    if x[0] > 1e-9:
        assert share[years - 1] == pytest.approx(target, abs=1e-7)
    else:
        assert share[years - 1] >= target - 1e-7


def test_census_staff_sums_sectors_rounds_blank_headcount_up_and_weights_leaving_by_staff() -> None:
    """30 NHS staff at 10% leaving; 9.2 FTE with headcount blank = 10 people, leaving 20% and retiring 0.5 ÷ 10 =
    5%: staff 40, leaver rate (30 × 0.1 + 10 × 0.25) ÷ 40 = 0.1375. Catches FTE counted as people, sectors kept
    apart, retirement left out or an unweighted mean (0.175)."""
    census = pl.DataFrame({"area": ["A", "A"], "role": ["r", "r"], "headcount": [30.0, None],
                           "fte_in_post": [25.0, 9.2], "leaver_rate": [0.1, 0.2],
                           "share_aged_55_plus": [None, 0.5], "retirement_rate": [None, None]},
                          schema_overrides={"retirement_rate": pl.Float64})
    row = census_staff(census).row(0, named=True)
    assert row["staff"] == 40
    assert row["leaver_rate"] == pytest.approx(0.1375)


# -- the command line -----------------------------------------------------------------------------------------


@pytest.fixture
def example(tmp_path: Path, run_cli: Callable[[Sequence[str]], CliResult]) -> Path:
    """A workspace holding examples/inputs/ (Smalltown)."""
    path = tmp_path / "ws"
    assert run_cli(["init", path])[0] == 0
    code, _, err = run_cli(["import", "all", EXAMPLES, "-w", path])
    assert code == 0, err
    return path


def test_cli_gives_the_examples_hand_worked_training_needs(example: Path,
                                                            run_cli: Callable[[Sequence[str]], CliResult]) -> None:
    """examples/inputs/skills.csv: 7 practitioners, half trained, 10% leaving, 90% by 2026 → 3.15 to train at
    £200 = £630; psychologists already at target with every joiner trained → 0. End to end as a user goes."""
    code, out, err = run_cli(["skills", "-w", example, "--format", "json"])
    assert code == 0, err
    rows = {r["role"]: r for r in json.loads(out)}
    assert rows["practitioner"]["staff"] == 7
    assert rows["practitioner"]["a_year"] == pytest.approx(3.15)
    assert rows["practitioner"]["cost_to_target"] == pytest.approx(630)
    assert rows["psychologist"]["a_year"] == 0
    code, out, _ = run_cli(["skills", "-w", example])
    assert code == 0 and "Safeguarding and promoting the welfare of the child" in out and "£630" in out


def test_cli_by_year_on_the_demo(demo_workspace: Path, run_cli: Callable[[Sequence[str]], CliResult]) -> None:
    """Every demo row gets a year from 2026 to 2035, costs are staff × cost per person, and the share trained
    reaches its target in its year (the demo's 36 rows: 6 roles × 6 areas)."""
    code, out, err = run_cli(["skills", "-w", demo_workspace, "--by-year", "--format", "json"])
    assert code == 0, err
    frame = pl.DataFrame(json.loads(out))
    assert frame.height == 36 * 10
    assert frame["year"].min() == 2026 and frame["year"].max() == 2035
    skills = pl.read_csv(ROOT / "src" / "cyplan" / "reference" / "demo" / "skills.csv")
    joined = frame.join(skills, on=["role", "skill_area"])
    assert (joined["cost"] - joined["to_train"] * joined["cost_per_person"]).abs().max() < 1e-3
    at_target = joined.filter(pl.col("year") == pl.col("target_year"))
    trained = at_target.filter(pl.col("to_train") > 0)
    assert trained.height > 0 and ((trained["share_after"] - trained["target_share"]).abs() < 1e-5).all()
    assert (at_target["share_after"] >= at_target["target_share"] - 1e-5).all()


BAD_ROWS = {
    2: ("share_trained", "E10999999,mh_practitioner,safeguarding,1.2,0.9,2029,200,,\n", "above 1"),
    3: ("skill_area", "E10999999,mh_practitioner,juggling,0.5,0.9,2029,200,,\n", "'juggling' is not one of"),
    4: ("role", "E10999999,astronaut,communication,0.5,0.9,2029,200,,\n", "role 'astronaut' is not in the roles"),
    5: ("target_year", "E10999999,mh_practitioner,transitions,0.5,0.9,2040,200,,\n",
        "target year 2040 is not in the plan"),
    6: ("target_year", "E10999999,mh_practitioner,development,0.5,0.9,2025,200,,\n",
        "target year 2025 is not after the census year"),
    7: ("target_share", "E10999999,mh_practitioner,communication,0.5,-0.1,2029,200,,\n", "is negative"),
}


def test_bad_skills_rows_are_located_and_nothing_changes(demo_workspace: Path, tmp_path: Path,
                                                         run_cli: Callable[[Sequence[str]], CliResult]) -> None:
    """Each bad row is named by file, row and column with what is wrong; exit 2; the workspace byte for byte as
    it was. Catches a share over 1, an unknown skill area, a role not in roles and a target year outside the plan
    (or on the census year, which leaves no year to train in) getting through."""
    bad = tmp_path / "skills.csv"
    bad.write_text(HEADER + "".join(text for _, text, _ in BAD_ROWS.values()), encoding="utf-8")
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["import", "skills", bad, "-w", demo_workspace])
    assert code == 2
    lines = err.replace("\n  ", "\n").splitlines()
    for row, (column, _, words) in BAD_ROWS.items():
        assert any(f"row {row}, column '{column}'" in line and words in line and str(bad) in line
                   for line in lines), (row, err)
    assert "Traceback" not in err
    assert folder_bytes(demo_workspace) == before


def test_a_role_outside_the_workforce_census_is_refused(example: Path, tmp_path: Path,
                                                        run_cli: Callable[[Sequence[str]], CliResult]) -> None:
    """A role in roles but with no census rows in the area has no staff to count: refused, located."""
    bad = tmp_path / "skills.csv"
    bad.write_text(HEADER + "OTHER9,practitioner,safeguarding,0.5,0.9,2026,200,,\n", encoding="utf-8")
    before = folder_bytes(example)
    code, _, err = run_cli(["import", "skills", bad, "-w", example])
    assert code == 2 and "row 2" in err and "not in the workforce census" in err
    assert folder_bytes(example) == before


def test_without_a_skills_census_the_command_says_what_to_import(tmp_path: Path,
                                                                 run_cli: Callable[[Sequence[str]], CliResult]
                                                                 ) -> None:
    path = tmp_path / "ws"
    run_cli(["init", path])
    code, _, err = run_cli(["skills", "-w", path])
    assert code == 1 and "cyplan import skills" in err and "Traceback" not in err


# -- the workforce page and the board paper ---------------------------------------------------------------------


def test_the_workforce_page_shows_the_training_needs_table(demo_workspace: Path,
                                                           run_cli: Callable[[Sequence[str]], CliResult]) -> None:
    """The table is there with its caption, its rows labelled, and the CLI's figure for mental health
    practitioners' safeguarding."""
    code, out, _ = run_cli(["skills", "-w", demo_workspace, "--format", "json"])
    assert code == 0
    row = next(r for r in json.loads(out) if r["role"] == "mh_practitioner" and r["skill_area"] == "safeguarding")
    app = create_app(demo_workspace)
    with TestClient(app, base_url="http://localhost") as client:
        html = client.get("/workforce").text
    app.state.workspace.close()
    part = html[html.index('id="skills"'):]
    assert "<caption" in part and "Training needs in the Common Core" in part
    assert "Safeguarding and promoting the welfare of the child" in part
    assert f"{row['a_year']:,.2f}" in part and f"£{row['cost_to_target']:,.0f}" in part


def test_the_board_paper_has_the_paragraph_and_table(demo_workspace: Path,
                                                     run_cli: Callable[[Sequence[str]], CliResult]) -> None:
    """The workforce section carries the skills paragraph and a table by skill area whose total cost is the
    CLI's, summed; the least-trained area is named (supporting transitions in the demo)."""
    code, out, _ = run_cli(["skills", "-w", demo_workspace, "--format", "json"])
    assert code == 0
    total = sum(r["cost_to_target"] for r in json.loads(out))
    ws = Workspace.open(demo_workspace)
    try:
        paper = build_paper(ws, draws=0)
    finally:
        ws.close()
    blocks = [b for s in paper.sections if s.key == "workforce" for b in s.blocks]
    text = next(b.text for b in blocks if isinstance(b, Paragraph) and b.text.startswith("Skills."))
    assert "supporting transitions" in text and f"£{total:,.0f}" in text
    table = next(b for b in blocks if isinstance(b, Table) and "Common Core" in b.caption)
    assert [r[0] for r in table.rows[:-1]] == [a.label for a in COMMON_CORE]
    assert table.rows[-1][0] == "Total" and table.rows[-1][6] == f"£{total:,.0f}"
    assert math.isclose(sum(float(r[6].strip("£").replace(",", "")) for r in table.rows[:-1]), total, abs_tol=6)


def test_the_method_pages_worked_example_is_what_the_code_computes() -> None:
    """docs/method.md, 'Skills': catches the page and the model drifting apart."""
    method = " ".join((ROOT / "docs" / "method.md").read_text(encoding="utf-8").split())
    x, _ = one(40, 0.5, 0.9, 4, 0.1, horizon=5)
    assert f"**{x[0]:.2f} a year**" in method
    assert f"**{x[4]:.1f} a year**" in method
    assert f"£{x[:4].sum() * 200:,.0f}" in method and f"£{x[4] * 200:,.0f} a year" in method
    assert "40 × 0.4 ÷ 4 = 4 a year" in method


def test_a_population_that_no_longer_reaches_a_target_year_is_said_not_hidden(demo_workspace: Path) -> None:
    """The population is the plan's: a new one ending in 2027 is not refused for the skills census, but the
    training needs then name the target years outside the plan instead of spreading training over wrong years."""
    ws = Workspace.open(demo_workspace)
    try:
        frames = ws.read_all()
    finally:
        ws.close()
    frames["population"] = frames["population"].filter(pl.col("year") <= 2027)
    with pytest.raises(results.NotReady, match=r"target year\(s\) 2028, 2029, 2030, outside the plan's years after "
                                               r"the first \(2026 to 2027\)"):
        results.skills(frames)


def test_the_workforce_api_gives_the_clis_training_needs(demo_workspace: Path,
                                                         run_cli: Callable[[Sequence[str]], CliResult]) -> None:
    """/api/workforce carries the same training needs as `cyplan skills --format json`."""
    code, out, _ = run_cli(["skills", "-w", demo_workspace, "--format", "json"])
    assert code == 0
    app = create_app(demo_workspace)
    with TestClient(app, base_url="http://localhost") as client:
        api = client.get("/api/workforce").json()["skills"]
    app.state.workspace.close()
    cli = json.loads(out)
    assert [(r["role"], r["skill_area"]) for r in api] == [(r["role"], r["skill_area"]) for r in cli]
    assert [r["cost_to_target"] for r in api] == pytest.approx([r["cost_to_target"] for r in cli], abs=1e-5)
