"""Referral returns promises, end to end through `cyplan returns` as a user would run it: a referral dated
today is not in the future and one dated tomorrow is; ages 0 and 30 are valid and −1 and 31 are not
(docs/returns.md: "outside 0–30: query (counted as unknown age)"); the published summary table keeps its
Received row, so a quarter with 40 accepted and 3 not accepted does not show 40 beside a single `*`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from cyplan.store.workspace import Workspace

HEADER = ("referral_id,service,received_date,accepted,age,gender,ethnicity,religion,referral_source,"
          "education_status,accommodation,trauma_category,advocate_assigned,care_plan,advice_consultation,concluded")


def record(i: int, date: str = "2023-04-10", accepted: str = "yes", age: str = "12") -> str:
    return f"R{i},Affinity,{date},{accepted},{age},Female,White British,Christian,Other,Other,Other,Other,yes,no,,"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    Workspace.create(tmp_path / "ws").close()
    return tmp_path / "ws"


def write_records(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def imported_queries(run_cli: Callable, workspace: Path, tmp_path: Path, lines: list[str],
                     today: str) -> list[tuple[str, str, str]]:
    """(row, column, message) of every query `cyplan returns import --queries` saves."""
    path = write_records(tmp_path / "records.csv", lines)
    code, _, err = run_cli(["returns", "import", path, "-w", workspace, "--today", today,
                            "--queries", tmp_path / "queries.csv"])
    assert code == 0, err
    if not (tmp_path / "queries.csv").exists():
        return []
    return [(r["row"], r["column"], r["message"]) for r in read_csv(tmp_path / "queries.csv")]


# -- today is not the future --------------------------------------------------------------------------------

def test_a_referral_dated_today_is_not_in_the_future_and_one_dated_tomorrow_is(
        run_cli: Callable, workspace: Path, tmp_path: Path) -> None:
    """Catches `date >= today` (today queried) and `date > today + 1` (tomorrow let through)."""
    lines = [record(1, "2023-04-30"), record(2, "2023-05-01"), record(3, "2023-05-02")]
    found = imported_queries(run_cli, workspace, tmp_path, lines, today="2023-05-01")
    assert found == [("4", "received_date", "received_date 2023-05-02 is in the future")]
    code, _, err = run_cli(["returns", "quality", "-w", workspace, "--today", "2023-05-02"])
    assert code == 0 and "No queries." in err  # the next day, tomorrow's referral is today's


# -- the age bounds: 0–30 -----------------------------------------------------------------------------------

AGES = ["-1", "0", "25", "30", "31", ""]  # rows 2–7 of the file


def test_ages_0_and_30_are_valid_and_minus_1_and_31_are_queried(run_cli: Callable, workspace: Path,
                                                                tmp_path: Path) -> None:
    """Catches the bounds made 0 < age or age < 30 (a valid edge queried) and 0–31 or −1–30 (an invalid
    edge let through)."""
    lines = [record(i, age=a) for i, a in enumerate(AGES)]
    found = imported_queries(run_cli, workspace, tmp_path, lines, today="2024-01-01")
    assert found == [("2", "age", "age -1 is outside 0 to 30"), ("6", "age", "age 31 is outside 0 to 30")]
    code, out, err = run_cli(["returns", "quality", "-w", workspace, "--today", "2024-01-01", "--format", "csv"])
    assert code == 0, err
    ages = next(r for r in csv.DictReader(out.splitlines()) if r["field"] == "age")
    assert (ages["blank"], ages["invalid"]) == ("1", "2")


def test_age_30_is_counted_in_25_plus_and_age_0_in_nursery_in_the_tables(run_cli: Callable, workspace: Path,
                                                                           tmp_path: Path) -> None:
    """By hand: 0 → Nursery; 25 and 30 → 25+; −1, 31 and blank → Unknown age (all Female). Catches age 30
    (or 0) treated as invalid in the tables though valid in the quality report."""
    write_records(tmp_path / "records.csv", [record(i, age=a) for i, a in enumerate(AGES)])
    assert run_cli(["returns", "import", tmp_path / "records.csv", "-w", workspace, "--today", "2024-01-01"])[0] == 0
    code, _, err = run_cli(["returns", "tables", "-w", workspace, "--out", tmp_path / "t"])
    assert code == 0, err
    rows = {r["age_group"]: r["Female"] for r in read_csv(tmp_path / "t" / "age_gender.csv")}
    assert (rows["Nursery"], rows["25+"], rows["Unknown age"], rows["Total"]) == ("1", "2", "3", "6")


# -- the published summary keeps its total row --------------------------------------------------------------

@pytest.mark.parametrize(("rule", "symbol", "received"), [("nhs-digital", "*", "45"), ("dfe", "c", "43")])
def test_published_summary_keeps_received_and_never_shows_a_single_hidden_count(
        run_cli: Callable, workspace: Path, tmp_path: Path, rule: str, symbol: str, received: str) -> None:
    """One quarter, 40 accepted and 3 not: Received 43 (45 rounded under NHS Digital's rule). With the
    Received row, the quarter's column is a line with a total, so '40' beside a lone '*' (43 − 40 = 3) must
    not be published: Accepted is hidden too."""
    lines = [record(i) for i in range(40)] + [record(100 + i, accepted="no") for i in range(3)]
    write_records(tmp_path / "records.csv", lines)
    assert run_cli(["returns", "import", tmp_path / "records.csv", "-w", workspace, "--today", "2024-01-01"])[0] == 0
    code, _, err = run_cli(["returns", "tables", "-w", workspace, "--out", tmp_path / "t", "--publish",
                            "--rule", rule])
    assert code == 0, err
    summary = read_csv(tmp_path / "t" / "summary.csv")
    assert [r["measure"] for r in summary] == ["Accepted", "Not accepted", "Received"]
    assert summary[2]["2023/24 Q1"] == summary[2]["Total"] == received
    quarter = [r["2023/24 Q1"] for r in summary]
    assert quarter.count(symbol) != 1, quarter
    assert quarter == [symbol, symbol, received]
    for r in summary:
        assert [r["2023/24 Q1"], r["Total"]].count(symbol) != 1
