"""What probing the evidence library as a new user and as a careless one turned up (issue 15): the library's list
written to Excel, the day a rating was read checked as a day, an EEF rating named with the right article, and a
brief holding an invisible control character refused, each through the CLI with the workspace left as it was."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import CliResult, folder_bytes
from cyplan.io.write import sheet_name, write_xlsx

Run = Callable[[Sequence[str]], CliResult]


@pytest.fixture
def library_ws(run_cli: Run, tmp_path: Path) -> Path:
    """A new workspace with the Smalltown examples' roles and the evidence library's example files."""
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    examples = Path(__file__).parents[1] / "examples" / "inputs"
    for kind in ("roles", "practice_guides", "interventions", "intervention_cells", "intervention_delivery",
                 "evidence_ratings"):
        code, _out, err = run_cli(["import", kind, examples / f"{kind}.csv", "-w", ws])
        assert code == 0, err
    return ws


def refused(run: Run, ws: Path, args: Sequence[str]) -> str:
    before = folder_bytes(ws)
    code, out, err = run([*args, "-w", ws])
    assert code == 2, (out, err)
    assert folder_bytes(ws) == before
    assert "Traceback" not in err
    return err


def test_the_library_list_is_written_to_excel(run_cli: Run, library_ws: Path, tmp_path: Path) -> None:
    """Catches `cyplan evidence list --format xlsx` failing with a traceback: its title, 'Evidence library:
    interventions', held a colon, which Excel does not allow in a sheet's name. The workbook holds what the CSV
    holds."""
    out = tmp_path / "library.xlsx"
    code, _out, err = run_cli(["evidence", "list", "-w", library_ws, "--format", "xlsx", "--out", out])
    assert code == 0, err
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["Evidence library interventions"]
    rows = list(book.active.iter_rows(values_only=True))
    code, csv, err = run_cli(["evidence", "list", "-w", library_ws, "--format", "csv"])
    assert code == 0, err
    assert [r[0] for r in rows] == ["intervention", *pl.read_csv(csv.encode())["intervention"].to_list()]
    assert [r[0] for r in rows] == ["intervention", "school_counselling", "parents_group"]


@given(st.text(max_size=60))
def test_any_title_makes_a_sheet_name_excel_takes(title: str) -> None:
    """Catches a title that Excel would refuse as a sheet's name (a forbidden character, more than 31 characters,
    an apostrophe at either end, nothing left) reaching openpyxl, which raises."""
    name = sheet_name(title)
    assert 0 < len(name) <= 31
    assert not set(name) & set("[]:*?/\\")
    assert not name.startswith("'") and not name.endswith("'")


def test_a_sheet_name_keeps_a_plain_title_as_it_is(tmp_path: Path) -> None:
    """Catches a sheet name changed where nothing needed changing (an export's sheets are read back by name)."""
    write_xlsx({"evidence_ratings": pl.DataFrame({"a": [1]}), "Need, by level": pl.DataFrame({"a": [1]})},
               tmp_path / "x.xlsx")
    assert openpyxl.load_workbook(tmp_path / "x.xlsx").sheetnames == ["evidence_ratings", "Need, by level"]


def test_a_retrieved_day_that_is_not_a_day_is_refused(run_cli: Run, library_ws: Path, tmp_path: Path) -> None:
    """Catches the day a rating or a guide was read stored as any text ('last week', a day still to come), although
    data-formats.md says it is a date, YYYY-MM-DD or dd/mm/yyyy: the evidence page and the paper print it as one."""
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("intervention,scheme,measure,rating,retrieved\n"
                       "parents_group,local,evidence,promising,last week\n"
                       "parents_group,foundations,cost,2,2999-01-01\n"
                       "school_counselling,eef,padlocks,3,30/11/2026\n", encoding="utf-8")
    err = refused(run_cli, library_ws, ["import", "evidence_ratings", ratings])
    assert (f"{ratings}, row 2, column 'retrieved': 'last week' is not a date: give the day it was read as "
            "YYYY-MM-DD (or dd/mm/yyyy), e.g. 2026-11-30") in err
    assert f"{ratings}, row 3, column 'retrieved': 2999-01-01 is after today: give the day it was read" in err
    assert "row 4" not in err  # a UK date is a date
    guides = tmp_path / "guides.csv"
    guides.write_text("topic,title,retrieved\nparenting,Supporting parents,Nov 2026\n", encoding="utf-8")
    err = refused(run_cli, library_ws, ["import", "practice_guides", guides])
    assert f"{guides}, row 2, column 'retrieved': 'Nov 2026' is not a date" in err


def test_a_uk_retrieved_day_is_kept_as_a_day(run_cli: Run, library_ws: Path, tmp_path: Path) -> None:
    """Catches the new check refusing what the docs allow: 30/11/2026 is read as 30 November 2026."""
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("intervention,scheme,measure,rating,retrieved\n"
                       "parents_group,local,evidence,promising,30/11/2025\n", encoding="utf-8")
    code, _out, err = run_cli(["import", "evidence_ratings", ratings, "-w", library_ws])
    assert code == 0, err
    code, _out, err = run_cli(["export", "evidence_ratings", tmp_path / "back.csv", "-w", library_ws])
    assert code == 0, err
    assert pl.read_csv(tmp_path / "back.csv")["retrieved"].to_list() == ["2025-11-30"]


def test_an_eef_rating_is_named_with_its_article(run_cli: Run, library_ws: Path, tmp_path: Path) -> None:
    """Catches "is not a EEF months rating": the message a commissioner reads is worded as English."""
    bad = tmp_path / "ratings.csv"
    bad.write_text("intervention,scheme,measure,rating\nschool_counselling,eef,months,+99\n", encoding="utf-8")
    err = refused(run_cli, library_ws, ["import", "evidence_ratings", bad])
    assert f"{bad}, row 2, column 'rating': '+99' is not an EEF months rating" in err


@pytest.mark.parametrize(("text", "line"), [
    ("# Evidence brief: \u202eparenting\n\nKey messages\n", 1),  # a right-to-left override reverses the title
    ("# Evidence brief\n\n1. Groups help [1].\n\nbell \x07 and escape \x1b[31m\n", 5),
])
def test_a_brief_with_a_control_character_is_refused(run_cli: Run, library_ws: Path, tmp_path: Path, text: str,
                                                     line: int) -> None:
    """Catches a brief stored with an invisible control character, which every input's cells refuse: a bidi override
    in its title disguises what the search and the audit trail show; an escape recolours the terminal."""
    brief = tmp_path / "brief.md"
    brief.write_text(text, encoding="utf-8")
    err = refused(run_cli, library_ws, ["evidence", "brief", "parenting", brief])
    assert f"{brief}, row {line}: contains a control character" in err


# -- ONS population files -------------------------------------------------------------------------------------------


ONS_FILE = Path(__file__).parents[1] / "examples" / "ons" / "2018 SNPP Population made-up.csv"


@pytest.fixture
def ons_ws(run_cli: Run, tmp_path: Path) -> Path:
    """A new workspace holding the made-up ONS file's two areas, as the user guide's steps make it."""
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    code, _out, err = run_cli(["ons", "areas", ONS_FILE, "--out", tmp_path / "areas.csv"])
    assert code == 0, err
    code, _out, err = run_cli(["import", "areas", tmp_path / "areas.csv", "-w", ws])
    assert code == 0, err
    return ws


def _ons_copy(tmp_path: Path, edit: Callable[[list[str]], None]) -> Path:
    lines = ONS_FILE.read_text(encoding="utf-8").splitlines()
    edit(lines)
    path = tmp_path / "2018 SNPP Population edited.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_ons_row_given_twice_names_the_first_row(run_cli: Run, ons_ws: Path, tmp_path: Path) -> None:
    """Catches the duplicate's message naming the later row as its own first ('row 554 … first on row 554'): the
    first row was looked for after the later ones alone were kept."""
    path = _ons_copy(tmp_path, lambda lines: lines.append(lines[1]))
    last = len(ONS_FILE.read_text(encoding="utf-8").splitlines()) + 1
    err = refused(run_cli, ons_ws, ["import", "population", path])
    assert (f"{path}, row {last}, column 'age_group': area E06009991's row for this sex and age is given twice "
            "(first on row 2)") in err


@pytest.mark.parametrize("text", ["NaN", "inf", "-inf"])
def test_an_ons_count_that_is_no_number_says_so(run_cli: Run, ons_ws: Path, tmp_path: Path, text: str) -> None:
    """Catches 'count NaN is above 100,000,000' (NaN is above nothing; -inf is not 'negative' either): a count
    that is no number is called one."""
    def edit(lines: list[str]) -> None:
        cells = lines[1].split(",")
        lines[1] = ",".join([*cells[:5], text, *cells[6:]])
    path = _ons_copy(tmp_path, edit)
    err = refused(run_cli, ons_ws, ["import", "population", path])
    assert f"{path}, row 2, column '2018': '{text}' is not a number" in err


# -- what an intervention would take --------------------------------------------------------------------------------


def test_an_intervention_with_no_delivery_is_not_said_to_take_nothing(run_cli: Run, cyplan_demo: Path) -> None:
    """Catches 'closed with SEAL: no more staff, £0 a year' in the demo's action list: SEAL has no rows in
    intervention_delivery and no cost per case, so what it takes is unknown, not nothing. One with hours (the
    parenting programmes: 3 hours × 12 sessions ÷ 8) still gets its staff and cost."""
    ws = cyplan_demo  # `cyplan demo`'s workspace, copied for this test (tests/shared_demo.py)
    code, out, err = run_cli(["services", "actions", "--evidence", "-w", ws, "--format", "csv"])
    assert code == 0, err
    words = dict(pl.read_csv(out.encode()).filter(pl.col("intervention").is_not_null())
                 .select("intervention", "in_words").unique("intervention").iter_rows())
    assert words["seal"] == ("The school age social emotional skills gap, closed with Social and Emotional Aspects of "
                             "Learning (SEAL): not known, as the library does not say what delivering it takes (no "
                             "hours in intervention_delivery, no cost per case).")
    assert "£0 a year" not in out
    assert re.search(r"closed with Parenting support programmes: [\d.]+ more family support workers", out)
    table = pl.read_csv(out.encode()).filter(pl.col("intervention").is_not_null())
    seal, parenting = (table.filter(pl.col("intervention") == i).row(0, named=True)
                       for i in ("seal", "parenting_programmes"))
    assert seal["fte"] is None and seal["cost"] is None and seal["fte_p95"] is None  # blank in the file, not 0
    assert parenting["fte"] > 0 and parenting["cost"] > 0


def test_the_services_page_and_a_commission_say_an_undelivered_intervention_is_not_known(
        run_cli: Run, cyplan_demo: Path, tmp_path: Path) -> None:
    """Catches the Services page showing 'none 0.0 (0.0 – 0.0) £0' for SEAL, which has no delivery hours, and a
    `commission` scenario of it silently adding 0 FTE: the page says it is not known, the scenario is refused."""
    from fastapi.testclient import TestClient

    from cyplan.web.app import create_app

    ws = cyplan_demo  # `cyplan demo`'s workspace, copied for this test (tests/shared_demo.py)
    with TestClient(create_app(ws), base_url="http://localhost") as client:
        page = client.get("/services")
        api = client.get("/api/services")
    assert api.status_code == 200
    seal = next(e for e in api.json()["evidence"] if e["intervention"] == "seal")
    assert seal["fte"] is None and seal["cost"] is None and seal["fte_by_role"] == {}
    assert page.status_code == 200
    row = re.search(r'data-intervention="seal">(.*?)</tr>', page.text, flags=re.S)
    assert row and "Not known: the library does not say what delivering it takes" in row.group(1)
    assert "£0" not in row.group(1)
    scenarios = tmp_path / "scenarios.csv"
    scenarios.write_text("scenario,input,column,where,operation,value,to_role,description,source\n"
                         "seal,interventions,from_year,intervention=seal; gap=school_age / universal / "
                         "social_emotional_skills,commission,2026,,SEAL,\n", encoding="utf-8")
    assert run_cli(["import", "scenarios", scenarios, "-w", ws])[0] == 0
    _code, out, err = run_cli(["scenario", "compare", "-w", ws])
    assert "commission of 'seal': the library does not say what delivering it takes" in out + err


def test_the_action_list_file_keeps_the_cost_rating_apart_from_the_pounds(run_cli: Run, cyplan_demo: Path,
                                                                          tmp_path: Path) -> None:
    """Catches the action list's file giving the pounds a year under 'cost', the evidence list's heading for the
    cost rating (1 to 5), and dropping the rating; and an unrated intervention's evidence left blank, not 'not
    rated'."""
    ws = cyplan_demo  # `cyplan demo`'s workspace, copied for this test (tests/shared_demo.py)
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("intervention,scheme,measure,rating\nparenting_programmes,foundations,cost,2\n",
                       encoding="utf-8")
    code, _out, err = run_cli(["import", "evidence_ratings", ratings, "--mode", "merge", "-w", ws])
    assert code == 0, err
    code, out, err = run_cli(["services", "actions", "--evidence", "-w", ws, "--format", "csv"])
    assert code == 0, err
    table = pl.read_csv(out.encode())
    parenting = table.filter(pl.col("intervention") == "parenting_programmes")
    assert parenting["cost_rating"].unique().to_list() == [2]
    assert (parenting["cost"] > 1000).all()  # pounds a year: thousands of pounds, not a rating of 1 to 5
    nurses = table.filter(pl.col("intervention") == "family_nurse_partnership")
    assert nurses["ratings_text"].unique().to_list() == ["not rated"]


@pytest.mark.parametrize("words", [[""], [" "], ["*", '"'], ["()"]])
def test_a_search_with_no_word_is_refused(run_cli: Run, library_ws: Path, words: list[str]) -> None:
    """Catches a search for nothing (an empty argument, punctuation alone) answered 'Nothing in the library holds
    all of: .' with success, as if the library had been searched for something."""
    err = refused(run_cli, library_ws, ["evidence", "search", *words])
    assert "no word to search for in" in err


def test_commissioning_an_intervention_the_library_lacks_says_so(run_cli: Run, cyplan_demo: Path,
                                                                 tmp_path: Path) -> None:
    """Catches a commission scenario naming an intervention that is not in the library (a typo) told 'the
    intervention does not fit that gap (it fits family_nurse_partnership, …)', as if it existed and fitted
    elsewhere; the workspace is left as it was."""
    ws = cyplan_demo  # `cyplan demo`'s workspace, copied for this test (tests/shared_demo.py)
    scen = tmp_path / "scen.csv"
    scen.write_text("scenario,input,column,where,operation,value\n"
                    "typo,interventions,from_year,intervention=parenting_programme; "
                    "gap=early_years / targeted / parenting_support,commission,2026\n", encoding="utf-8")
    code, _out, err = run_cli(["import", "scenarios", scen, "--mode", "merge", "-w", ws])
    assert code == 0, err
    err = refused(run_cli, ws, ["scenario", "compare", "typo", "--year", "2026", "--draws", "0"])
    assert ("scenario 'typo', commission of 'parenting_programme': there is no intervention 'parenting_programme' "
            "in the library; its interventions are: connexions,") in err


def test_the_list_says_when_nothing_matches_and_heads_its_columns_as_other_tables(run_cli: Run,
                                                                                    library_ws: Path) -> None:
    """Catches an empty table of headings alone when no intervention matches (the user cannot tell a fault from
    no match), and headings in lower case beside 'Level' ('strength (0–4)')."""
    code, out, err = run_cli(["evidence", "list", "-w", library_ws, "--age", "16"])
    assert code == 0, err
    assert "No intervention in the library matches these choices." in out + err
    code, out, err = run_cli(["evidence", "list", "-w", library_ws])
    assert code == 0, err
    assert all(h in out for h in ("Intervention", "Name", "Level", "Ages", "Strength (0–4)", "Cost (1–5)",
                                  "Ratings as given"))


def test_a_group_programme_of_two_and_a_half_sessions_is_refused(run_cli: Run, library_ws: Path,
                                                                tmp_path: Path) -> None:
    """Catches fractional sessions or group sizes taken as given (2.5 sessions, groups of 3.5 families): both
    are whole numbers, and each is named with its row and column."""
    bad = tmp_path / "delivery.csv"
    bad.write_text("intervention,role,hours_per_case,hours_per_session,sessions,group_size,source\n"
                   "parents_group,practitioner,,3,2.5,10,\n"
                   "school_counselling,practitioner,,1,8,3.5,\n", encoding="utf-8")
    err = refused(run_cli, library_ws, ["import", "intervention_delivery", bad])
    assert re.search(r"row 2.*sessions", err) and re.search(r"row 3.*group_size", err), err
    assert "whole number" in err, err
