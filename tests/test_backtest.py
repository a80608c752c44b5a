"""The back-test (issue 13, part 7): past census snapshots projected from the earliest with the supply engine and
compared with the later ones — checked on numbers worked by hand, through the command line, on the workforce page,
in the board paper, and for located errors on bad snapshots."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CliResult, folder_bytes, listed_problems
from cyplan import results
from cyplan.model.backtest import backtest, summary
from cyplan.model.supply import stock
from cyplan.reports.paper.builder import build_paper
from cyplan.reports.paper.document import Paragraph
from cyplan.schema import KINDS
from cyplan.store.workspace import Workspace
from cyplan.web.app import create_app

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples" / "inputs"
DEMO_HISTORY = ROOT / "src" / "cyplan" / "reference" / "demo" / "workforce_history.csv"
Run = Callable[[Sequence[str]], CliResult]
HEADER = ",".join(KINDS["workforce_history"].column_names) + "\n"


def snap(year: int, fte: float, role: str = "r", sector: str = "NHS", leaver: float = 0.1,
         retire: float | None = 0.02, share_55: float | None = None, joiners: float = 10.0, vacant: float = 0.0,
         fill: float | None = None) -> dict[str, object]:
    return dict(area="A", role=role, sector=sector, year=year, headcount=fte, fte_in_post=fte, vacant_fte=vacant,
                vacancy_fill_rate=fill, agency_fte=0.0, leaver_rate=leaver, share_aged_55_plus=share_55,
                retirement_rate=retire, joiners_per_year=joiners)


def frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides={c: pl.Float64 for c in ("vacancy_fill_rate", "share_aged_55_plus",
                                                                         "retirement_rate")})


# -- the model on paper numbers -------------------------------------------------------------------------------------


def test_one_role_projected_two_years_and_its_errors_by_hand() -> None:
    """100 FTE, 10% leaving, 2% retiring, 10 joining: 100 × 0.88 + 10 = 98 in 2023, 98 × 0.88 + 10 = 96.24 in 2024.
    Counted 95 and 100: errors +3 (+3.158%) and −3.76 (−3.76%); MAPE (3.158 + 3.76) ÷ 2 = 3.459%. Catches a
    projection a year out, an error of the wrong sign (actual − projected) or divided by the projection."""
    by_year = backtest(frame([snap(2022, 100), snap(2023, 95), snap(2024, 100)]))
    assert by_year["year"].to_list() == [2023, 2024]
    assert by_year["projected_fte"].to_list() == pytest.approx([98.0, 96.24])
    assert by_year["actual_fte"].to_list() == [95.0, 100.0]
    assert by_year["error_fte"].to_list() == pytest.approx([3.0, -3.76])
    assert by_year["error_pct"].to_list() == pytest.approx([300 / 95, -3.76])
    s = summary(by_year, 2022).row(0, named=True)
    assert s["from_year"] == 2022 and s["to_year"] == 2024 and s["years_compared"] == 2
    assert s["mape_pct"] == pytest.approx((300 / 95 + 3.76) / 2)


def test_the_earliest_snapshots_rates_drive_it_not_the_later_ones() -> None:
    """A later snapshot's leaver rate and joiners are not used: catches projecting each year from that year's
    own row (which would make every error the one-year error of a different census)."""
    by_year = backtest(frame([snap(2022, 100), snap(2023, 95, leaver=0.5, joiners=0),
                              snap(2024, 100, leaver=0.5, joiners=0)]))
    assert by_year["projected_fte"].to_list() == pytest.approx([98.0, 96.24])


def test_sectors_add_up_by_role_and_a_row_missing_from_a_year_is_left_out_of_it() -> None:
    """NHS 100 → 98 → 96.24 and voluntary 20 (20% leaving, 4 joining, no retiring) → 20 → 20. In 2023 both are
    counted: projected 118 against 93 + 21 = 114. In 2024 only the NHS row is: 96.24 against 99 — not 116.24
    against 99 (the voluntary row taken as nobody in post)."""
    rows = [snap(2022, 100), snap(2023, 93), snap(2024, 99),
            snap(2022, 20, sector="voluntary", leaver=0.2, retire=None, joiners=4),
            snap(2023, 21, sector="voluntary", leaver=0.2, retire=None, joiners=4)]
    by_year = backtest(frame(rows))
    assert by_year["projected_fte"].to_list() == pytest.approx([118.0, 96.24])
    assert by_year["actual_fte"].to_list() == pytest.approx([114.0, 99.0])
    assert by_year["error_fte"].to_list() == pytest.approx([4.0, -2.76])


def test_retirement_from_the_share_aged_55_and_recruitment_into_vacancies_as_the_engine_has_them() -> None:
    """100 FTE, 10% leaving, a fifth aged 55+ (2% retiring a year), no joiners, 10 vacant posts half filled a year:
    2023 = 100 − 10 − 2 + 0.5 × (110 − 100) = 93; 2024 = 93 − 9.3 − 1.86 + 0.5 × (110 − 93) = 90.34. Catches the
    retirement rule or the vacancy fill being left out of the back-test's projection."""
    rows = [snap(y, f, retire=None, share_55=0.2, joiners=0, vacant=10, fill=0.5)
            for y, f in ((2022, 100), (2023, 93), (2024, 90.34))]
    by_year = backtest(frame(rows))
    assert by_year["projected_fte"].to_list() == pytest.approx([93.0, 90.34])
    assert by_year["error_fte"].to_list() == pytest.approx([0.0, 0.0], abs=1e-9)


def test_nobody_in_post_in_a_later_year_has_no_percentage_error() -> None:
    """A role counted at 0 FTE: its FTE error is given, its % error is blank (not infinite), and the MAPE is over
    the years that have one."""
    by_year = backtest(frame([snap(2022, 100), snap(2023, 0), snap(2024, 100)]))
    assert by_year["error_fte"].to_list() == pytest.approx([98.0, -3.76])
    assert by_year["error_pct"].to_list()[0] is None
    s = summary(by_year, 2022).row(0, named=True)
    assert s["years_compared"] == 1 and s["mape_pct"] == pytest.approx(3.76)


# staff counts as a census holds them: none, or at least a thousandth of an FTE (a subnormal 5e-324 joiners a
# year makes a % error of rounding, not of the model)
FTE = st.just(0.0) | st.floats(0.001, 5000)


@given(fte=FTE, leaver=st.floats(0, 0.6), retire=st.floats(0, 0.3), joiners=st.just(0.0) | st.floats(0.001, 500),
       years=st.integers(2, 8))
@settings(max_examples=60, deadline=None)
def test_snapshots_equal_to_the_projection_give_no_error(fte: float, leaver: float, retire: float, joiners: float,
                                                         years: int) -> None:
    """Later snapshots that hold exactly what the stock formula (supply.stock, the closed form, worked apart from
    the year-by-year engine) gives: every error is 0 and the MAPE is 0."""
    expected = stock(np.array(fte), np.array(leaver), np.array(retire), np.array(joiners), years)
    rows = [snap(2020 + t, float(expected[t]), leaver=leaver, retire=retire, joiners=joiners) for t in range(years)]
    by_year = backtest(frame(rows))
    assert by_year.height == years - 1
    assert np.allclose(by_year["error_fte"].to_numpy(), 0.0, atol=1e-6 * max(1.0, fte, joiners))
    compared = by_year["error_pct"].drop_nulls()
    assert compared.is_empty() or float(compared.abs().max()) < 1e-6
    if not compared.is_empty():
        assert summary(by_year, 2020)["mape_pct"][0] == pytest.approx(0.0, abs=1e-6)


# -- the command line ---------------------------------------------------------------------------------------------


@pytest.fixture
def example(tmp_path: Path, run_cli: Run) -> Path:
    """A workspace holding examples/inputs/ (Smalltown)."""
    path = tmp_path / "ws"
    assert run_cli(["init", path])[0] == 0
    code, _, err = run_cli(["import", "all", EXAMPLES, "-w", path])
    assert code == 0, err
    return path


def test_cli_gives_the_examples_hand_worked_errors(example: Path, run_cli: Run) -> None:
    """examples/inputs/workforce_history.csv: practitioners 6 FTE in 2023 → 6 × 0.9 + 1 = 6.4 in 2024 (6.2 counted:
    +0.2, +3.23%) → 6.76 in 2025 (7 counted: −0.24, −3.43%); psychologists 2.5 × 0.88 + 0.5 = 2.7 in 2024 as
    counted (0), with no 2025 row. End to end as a user goes, in JSON and CSV."""
    code, out, err = run_cli(["supply", "backtest", "-w", example, "--format", "json"])
    assert code == 0, err
    rows = {(r["role"], r["year"]): r for r in json.loads(out)}
    assert set(rows) == {("practitioner", 2024), ("practitioner", 2025), ("psychologist", 2024)}
    assert rows["practitioner", 2024]["projected_fte"] == pytest.approx(6.4)
    assert rows["practitioner", 2024]["error_fte"] == pytest.approx(0.2)
    assert rows["practitioner", 2024]["error_pct"] == pytest.approx(20 / 6.2, abs=1e-5)
    assert rows["practitioner", 2025]["projected_fte"] == pytest.approx(6.76)
    assert rows["practitioner", 2025]["error_pct"] == pytest.approx(-24 / 7, abs=1e-5)
    assert rows["psychologist", 2024]["error_fte"] == pytest.approx(0.0, abs=1e-9)
    code, out, err = run_cli(["supply", "backtest", "-w", example, "--summary", "--format", "csv"])
    assert code == 0, err
    summary_rows = {r["role"]: r for r in pl.read_csv(out.encode()).to_dicts()}
    assert summary_rows["practitioner"]["mape_pct"] == pytest.approx((20 / 6.2 + 24 / 7) / 2, abs=1e-5)
    assert summary_rows["practitioner"]["years_compared"] == 2 and summary_rows["psychologist"]["years_compared"] == 1
    assert summary_rows["psychologist"]["mape_pct"] == pytest.approx(0.0, abs=1e-9)
    assert summary_rows["practitioner"]["from_year"] == 2023


def test_cli_table_names_the_years_and_signs_the_errors(example: Path, run_cli: Run) -> None:
    code, out, err = run_cli(["supply", "backtest", "-w", example, "--year", "2025"])
    assert code == 0, err
    assert "projected from the 2023 census" in out and "2025" in out and "-0.2" in out and "-3.4%" in out
    assert "2024" not in out.split("\n", 2)[-1]  # only the year asked for (the title names both)


def test_supply_itself_still_runs_beside_the_subcommand(example: Path, run_cli: Run) -> None:
    """`cyplan supply` became a group to hold `backtest`: catches its own table no longer being shown."""
    code, out, err = run_cli(["supply", "-w", example, "--draws", "0", "--format", "json"])
    assert code == 0, err
    assert {r["role"] for r in json.loads(out)} >= {"practitioner", "psychologist"}


def test_options_before_the_subcommand_name_are_used_or_refused_not_ignored(example: Path, run_cli: Run) -> None:
    """`cyplan supply -w FOLDER backtest` backs the folder given (not the current one); an option of supply's own
    before the name (--year) is refused with exit 2 rather than silently dropped."""
    code, out, err = run_cli(["supply", "-w", example, "backtest", "--format", "json"])
    assert code == 0, err
    assert {r["role"] for r in json.loads(out)} == {"practitioner", "psychologist"}
    code, _, err = run_cli(["supply", "--year", "2024", "backtest", "-w", example])
    assert code == 2 and "--year is an option of 'cyplan supply' itself" in err


def test_cli_refusals_say_why(example: Path, tmp_path: Path, run_cli: Run) -> None:
    """A year not compared and an area without snapshots exit 2 naming what there is; a workspace without
    snapshots exits 1 saying what to import. No traceback."""
    code, _, err = run_cli(["supply", "backtest", "-w", example, "--year", "2030"])
    assert code == 2 and "projects from 2023 and compares 2024, 2025" in err
    code, _, err = run_cli(["supply", "backtest", "-w", example, "--area", "NOWHERE"])
    assert code == 2 and "no past census snapshots for area NOWHERE" in err
    path = tmp_path / "empty"
    run_cli(["init", path])
    code, _, err = run_cli(["supply", "backtest", "-w", path])
    assert code == 1 and "cyplan import workforce_history" in err and "Traceback" not in err


# -- located errors -----------------------------------------------------------------------------------------------


def row(area: str = "SMALL1", role: str = "practitioner", sector: str = "NHS", year: str = "2023",
        fte: str = "6", leaver: str = "0.1") -> str:
    return f"{area},{role},{sector},{year},7,{fte},,,1,,0.5,{leaver},,,,0,1,,,1,,,\n"


def test_bad_snapshots_are_located_and_nothing_changes(example: Path, tmp_path: Path, run_cli: Run) -> None:
    """Each bad row is named by file, row and column with what is wrong; exit 2; the workspace byte for byte as it
    was. Catches a later row with no earliest-year row, a year out of range, a leaver rate over 1, leaving and
    retiring over everyone, and a role not in the roles getting through."""
    bad = tmp_path / "workforce_history.csv"
    bad.write_text(HEADER + row() + row(year="2024", fte="6.2")
                   + row(role="psychologist", year="2024")  # row 4: no 2023 row for psychologists
                   + row(year="1800")  # row 5: the year below 1990
                   + row(year="2025", leaver="1.2")  # row 6
                   + row(role="astronaut", year="2025"), encoding="utf-8")  # row 7
    before = folder_bytes(example)
    listed = tmp_path / "problems.csv"
    code, _, err = run_cli(["import", "workforce_history", bad, "-w", example, "--problems", listed])
    assert code == 2, err
    lines = listed_problems(listed)
    expected = {4: ("year", "has a snapshot in 2024 but none in the earliest year, 2023"),
                5: ("year", "below 1990"), 6: ("leaver_rate", "above 1"),
                7: ("role", "role 'astronaut' is not in the roles")}
    for n, (column, words) in expected.items():
        assert any(f"row {n}, column '{column}'" in line and words in line and str(bad) in line for line in lines), \
            (n, err)
    assert "Traceback" not in err
    assert sorted(folder_bytes(example)) == sorted(before) and folder_bytes(example) == before


def test_one_year_of_snapshots_is_refused_on_its_first_row(example: Path, tmp_path: Path, run_cli: Run) -> None:
    bad = tmp_path / "workforce_history.csv"
    bad.write_text(HEADER + row() + row(role="psychologist"), encoding="utf-8")
    before = folder_bytes(example)
    code, _, err = run_cli(["import", "workforce_history", bad, "-w", example])
    assert code == 2 and "row 2, column 'year'" in err and "give at least two years" in err
    assert folder_bytes(example) == before


def test_leaving_and_retiring_over_everyone_is_refused_as_in_the_census(example: Path, tmp_path: Path,
                                                                        run_cli: Run) -> None:
    bad = tmp_path / "workforce_history.csv"
    bad.write_text(HEADER + row(leaver="0.9").replace(",,0,1,", ",,0.2,1,") + row(year="2024"), encoding="utf-8")
    code, _, err = run_cli(["import", "workforce_history", bad, "-w", example])
    assert code == 2 and "row 2, column 'leaver_rate'" in err and "more than everyone in post" in err


def test_a_merge_may_add_one_later_year(example: Path, tmp_path: Path, run_cli: Run) -> None:
    """The checks look at the snapshots as they will be: one new year merged onto two is not 'only one year'."""
    more = tmp_path / "workforce_history.csv"
    more.write_text(HEADER + row(year="2026", fte="7.1"), encoding="utf-8")
    code, _, err = run_cli(["import", "workforce_history", more, "-w", example, "--mode", "merge"])
    assert code == 0, err
    code, out, _ = run_cli(["supply", "backtest", "-w", example, "--year", "2026", "--format", "json"])
    assert code == 0 and json.loads(out)[0]["projected_fte"] == pytest.approx(6.76 * 0.9 + 1)


# -- the demo, the workforce page and the board paper ---------------------------------------------------------------


def test_the_demo_carries_three_made_up_snapshots_labelled_as_such() -> None:
    demo = pl.read_csv(DEMO_HISTORY)
    assert sorted(demo["year"].unique().to_list()) == [2022, 2023, 2024]
    assert demo["source"].str.starts_with("Made up for the demo").all()
    assert demo["source"].str.contains("not real data").all()


def _demo_json(run_cli: Run, workspace: Path, *extra: str) -> list[dict]:
    code, out, err = run_cli(["supply", "backtest", "-w", workspace, "--format", "json", *extra])
    assert code == 0, err
    return json.loads(out)


def test_the_workforce_page_and_api_show_the_clis_back_test(demo_workspace: Path, run_cli: Run) -> None:
    """The page has the section, its sentence and the CLI's figures; /api/workforce gives the CLI's rows."""
    by_year = _demo_json(run_cli, demo_workspace)
    worst = max(by_year, key=lambda r: abs(r["error_pct"]))
    app = create_app(demo_workspace)
    with TestClient(app, base_url="http://localhost") as client:
        html = client.get("/workforce").text
        api = client.get("/api/workforce").json()
    app.state.workspace.close()
    part = html[html.index('id="backtest"'):]
    mean = sum(abs(r["error_pct"]) for r in by_year) / len(by_year)
    assert f"Projected from the 2022 census, the supply model came within {mean:.1f}%" in part
    assert f"{worst['projected_fte']:,.1f}" in part and f"{worst['error_pct']:+.1f}%" in part
    assert "Mean absolute error" in part
    assert len(api["backtest"]) == len(by_year)
    for mine, theirs in zip(api["backtest"], by_year, strict=True):
        assert mine["role"] == theirs["role"] and mine["year"] == theirs["year"]
        assert mine["error_fte"] == pytest.approx(theirs["error_fte"], abs=1e-6)


def test_the_board_paper_says_how_well_the_supply_model_reproduced_the_past(demo_workspace: Path,
                                                                           run_cli: Run) -> None:
    """The workforce section has the back-test sentence with the mean absolute percentage error worked out here
    from the CLI's rows, and the role it missed most."""
    by_year = _demo_json(run_cli, demo_workspace)
    mean = sum(abs(r["error_pct"]) for r in by_year) / len(by_year)
    worst = max(by_year, key=lambda r: abs(r["error_pct"]))
    ws = Workspace.open(demo_workspace)
    try:
        paper = build_paper(ws, draws=0)
    finally:
        ws.close()
    blocks = [b for s in paper.sections if s.key == "workforce" for b in s.blocks]
    text = next(b.text for b in blocks if isinstance(b, Paragraph) and "Projected from the 2022 census" in b.text)
    assert f"within {mean:.1f}%" in text and f"in {worst['year']}" in text
    assert f"{worst['actual_fte']:,.1f} counted" in text


def test_without_snapshots_the_page_and_paper_say_nothing_false(demo_workspace: Path) -> None:
    """No snapshots: the page says what to import; the paper leaves the sentence out rather than claim a fit."""
    ws = Workspace.open(demo_workspace)
    try:
        ws.write({"workforce_history": ws.read("workforce_history").clear()}, [])
        frames = ws.read_all()
        paper = build_paper(ws, draws=0)
    finally:
        ws.close()
    with pytest.raises(results.NotReady, match="cyplan import workforce_history"):
        results.backtest(frames)
    texts = [b.text for s in paper.sections if s.key == "workforce" for b in s.blocks if isinstance(b, Paragraph)]
    assert texts and not any("Projected from" in t for t in texts)
    app = create_app(demo_workspace)
    with TestClient(app, base_url="http://localhost") as client:
        html = client.get("/workforce").text
    app.state.workspace.close()
    part = html[html.index('id="backtest"'):]
    assert "No back-test can be shown" in part and "cyplan import workforce_history" in part


def test_the_method_pages_worked_example_is_what_the_code_computes() -> None:
    """docs/method.md, 'Back-test': catches the page and the model drifting apart."""
    method = " ".join((ROOT / "docs" / "method.md").read_text(encoding="utf-8").split())
    by_year = backtest(frame([snap(2022, 100), snap(2023, 95), snap(2024, 100)]))
    projected, pct = by_year["projected_fte"].to_list(), by_year["error_pct"].to_list()
    assert f"100 × (1 − 0.10 − 0.02) + 10 = **{projected[0]:g}**" in method
    assert f"98 × 0.88 + 10 = **{projected[1]:g}**" in method
    assert f"**+3 FTE ({pct[0]:+.2f}%)**" in method and f"**−3.76 FTE (−{abs(pct[1]):.2f}%)**" in method
    assert f"**{summary(by_year, 2022)['mape_pct'][0]:.2f}%**" in method
