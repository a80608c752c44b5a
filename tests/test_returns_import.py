"""Referral returns: a hand-made file whose tables are known, errors that block, queries that do not,
identifying columns refused, and replacing the same service and quarter."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_workbook
from cyplan.io.problems import InputError
from cyplan.model.activity import BLANK, INVALID
from cyplan.returns import service
from cyplan.store.workspace import Workspace

SMALL = Path(__file__).parents[1] / "examples" / "returns" / "small_records.csv"
TODAY = dt.date(2024, 1, 1)
HEADER = SMALL.read_text().splitlines()[0]


@pytest.fixture
def ws(tmp_path: Path):
    w = Workspace.create(tmp_path / "ws")
    yield w
    w.close()


def _row(table: pl.DataFrame, label: str) -> dict[str, int]:
    row = table.filter(pl.col(table.columns[0]) == label).row(0, named=True)
    return {k: v for k, v in row.items() if k != table.columns[0]}


def test_the_small_file_gives_the_tables_worked_out_by_hand(ws: Workspace) -> None:
    result = service.import_returns(ws, SMALL, today=TODAY)
    assert (result.records, result.accepted, result.replaced) == (8, 6, 0)
    t = service.tables(ws)
    quarters = ["2022/23 Q1", "2022/23 Q2", "2022/23 Q3", "2022/23 Q4", "2023/24 Q1"]
    assert t["service"].columns == ["category", *quarters, "Total"]
    # R001 1 Apr and R002 30 Jun are Q1, R003 1 Jul Q2, R004 31 Dec Q3, R006 31 Mar Q4, R007 1 Apr Q1 of 2023/24
    assert _row(t["service"], "Affinity") == dict(zip([*quarters, "Total"], [2, 1, 0, 0, 1, 4], strict=True))
    assert _row(t["service"], "Surrey") == dict(zip([*quarters, "Total"], [0, 0, 1, 1, 0, 2], strict=True))
    assert _row(t["service"], "Total")["Total"] == 6  # R005 and R008 were not accepted
    assert _row(t["ethnicity"], "White British")["2022/23 Q1"] == 2  # 'white british ' matches
    assert _row(t["ethnicity"], INVALID)["Total"] == 1  # Martian
    assert _row(t["ethnicity"], "Not known or recorded/stated")["Total"] == 1  # 'Not stated' is an alias
    assert _row(t["trauma_category"], BLANK)["2022/23 Q1"] == 1
    assert t["ethnicity"]["category"].to_list()[-3:] == [INVALID, BLANK, "Total"]
    assert _row(t["age_gender"], "Nursery") == {"Female": 1, "Male": 0, "Other or unknown gender": 0, "Total": 1}
    # R004 blank age (Female); R006 age 40 (queried) and Non-binary
    assert _row(t["age_gender"], "Unknown age") == {"Female": 1, "Male": 0, "Other or unknown gender": 1, "Total": 2}
    m = _row(t["milestones"], "Advocate assigned")
    assert m == {"yes": 3, "no": 1, BLANK: 2, "Total": 6, "% yes": 50.0, "% blank": 33.3}
    assert _row(t["summary"], "Received")["Total"] == 8
    assert _row(t["summary"], "Not accepted")["2022/23 Q4"] == 1


def test_queries_are_listed_with_row_and_column_and_the_records_kept(ws: Workspace) -> None:
    result = service.import_returns(ws, SMALL, today=dt.date(2023, 3, 1))
    found = {(r["row"], r["column"], r["message"]) for r in result.queries.iter_rows(named=True)}
    assert found == {
        (5, "ethnicity", "'Martian' is not on the ethnicity code list"),
        (5, "religion", "'Jedi' is not on the religion code list"),
        (6, "advocate_assigned", "yes on a referral that was not accepted"),
        (7, "advocate_assigned", "'maybe' is not yes, no or blank"),
        (7, "age", "age 40 is outside 0 to 30"),
        (7, "gender", "'Non-binary' is not on the gender code list"),
        (7, "received_date", "received_date 2023-03-31 is in the future"),
        (8, "received_date", "received_date 2023-04-01 is in the future"),
        (9, "received_date", "received_date 2023-05-15 is in the future"),
    }
    counts = {r["field"]: (r["blank"], r["invalid"]) for r in result.counts.iter_rows(named=True)}
    assert counts["age"] == (1, 1) and counts["ethnicity"] == (0, 1) and counts["trauma_category"] == (3, 0)
    again, _ = service.quality_report(ws, dt.date(2023, 3, 1))
    assert again.equals(result.queries)


def _write(tmp_path: Path, lines: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "records.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


GOOD = "R1,Affinity,2022-05-01,yes,12,Female,White British,Christian,Other,Other,Other,Other,yes,no,,"


def test_errors_block_the_import_and_name_row_and_column(ws: Workspace, tmp_path: Path,
                                                         snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    before = snapshot(ws.path)
    path = _write(tmp_path, [GOOD, GOOD.replace("2022-05-01", "2022-13-01"), GOOD.replace(",yes,12", ",maybe,12"),
                             GOOD.replace("R1,", ",")])
    with pytest.raises(InputError) as e:
        service.import_returns(ws, path, today=TODAY)
    assert [str(p).removeprefix(f"{path}, ") for p in e.value.problems] == [
        "row 3, column 'received_date': '2022-13-01' is not a date written as YYYY-MM-DD or dd/mm/yyyy",
        "row 3, column 'referral_id': referral_id 'R1' is also on row 2",
        "row 4, column 'accepted': 'maybe' is not yes or no",
        "row 4, column 'referral_id': referral_id 'R1' is also on row 2",
        "row 5, column 'referral_id': referral_id is blank",
    ]
    assert snapshot(ws.path) == before


def test_missing_and_identifying_columns_are_refused(ws: Workspace, tmp_path: Path) -> None:
    header = HEADER.replace("gender,", "").replace("referral_id,", "referral_id,NHS Number,First Name,Postcode,")
    path = _write(tmp_path, [], header)
    with pytest.raises(InputError) as e:
        service.import_returns(ws, path, today=TODAY)
    messages = {(p.column, p.message.split(":")[0]) for p in e.value.problems}
    assert messages == {("NHS Number", "this column looks like an NHS number"),
                        ("First Name", "this column looks like a name"),
                        ("Postcode", "this column looks like an address"),
                        ("gender", "this column is missing")}
    assert not (ws.path / "returns.duckdb").exists()


def test_a_new_return_replaces_the_same_service_and_quarter_only(ws: Workspace, tmp_path: Path) -> None:
    service.import_returns(ws, SMALL, today=TODAY)  # Affinity: Q1 ×2, Q2, 2023/24 Q1 ×2; Surrey: Q3, Q4 ×2
    path = _write(tmp_path, [GOOD, GOOD.replace("R1,", "R9,").replace("2022-05-01", "2022-06-01")])
    result = service.import_returns(ws, path, today=TODAY)
    assert result.replaced == 2 and result.periods == [("Affinity", "2022/23 Q1")]
    t = service.tables(ws)
    assert _row(t["service"], "Affinity")["Total"] == 4  # 2 new in Q1, Q2's and 2023/24's kept
    assert _row(t["service"], "Surrey")["Total"] == 2
    log = ws.engine.connect().exec_driver_sql("SELECT records, accepted, replaced FROM returns_imports").all()
    assert [tuple(r) for r in log] == [(8, 6, 0), (2, 2, 2)]


def test_an_excel_return_keeps_the_sheet_row_numbers(ws: Workspace, tmp_path: Path) -> None:
    rows = [next(csv.reader([line])) for line in [HEADER, GOOD, GOOD.replace("2022-05-01", "not a date")]]
    book = write_workbook(tmp_path / "records.xlsx", {"Referrals": rows}, first_row=3)
    with pytest.raises(InputError) as e:
        service.import_returns(ws, book, today=TODAY)
    assert [(p.sheet, p.row, p.column) for p in e.value.problems] == [
        ("Referrals", 5, "received_date"), ("Referrals", 5, "referral_id")]


def test_cli_import_tables_and_publish(demo_workspace: Path, run_cli: Callable, tmp_path: Path) -> None:
    code, _, err = run_cli(["returns", "import", SMALL, "-w", demo_workspace, "--today", "2024-01-01"])
    assert code == 0 and "Imported 8 referrals (6 accepted)" in err and "row 7, column 'age'" in err
    code, _, err = run_cli(["returns", "tables", "-w", demo_workspace, "--out", tmp_path / "t", "--publish"])
    assert code == 0
    names = sorted(p.name for p in (tmp_path / "t").iterdir())
    assert names == sorted(f"{n}.csv" for n in ("summary", "service", "ethnicity", "religion", "referral_source",
                                                 "education_status", "accommodation", "trauma_category",
                                                 "age_gender", "milestones"))
    lines = (tmp_path / "t" / "age_gender.csv").read_text().splitlines()
    assert lines[0] == "age_group,Female,Male,Other or unknown gender,Total"
    assert lines[1] == "Nursery,*,0,0,*"
    code, _, err = run_cli(["returns", "tables", "-w", demo_workspace, "--out", tmp_path / "x", "--format", "xlsx"])
    assert code == 0 and (tmp_path / "x" / "returns_tables.xlsx").exists()


def test_cli_bad_file_exits_2_and_changes_nothing(demo_workspace: Path, run_cli: Callable, tmp_path: Path,
                                                  snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    before = snapshot(demo_workspace)
    path = _write(tmp_path, [GOOD.replace("2022-05-01", "01/05/22")])
    code, _, err = run_cli(["returns", "import", path, "-w", demo_workspace])
    assert code == 2
    assert (f"{path}, row 2, column 'received_date': '01/05/22' is not a date written as YYYY-MM-DD or dd/mm/yyyy"
            in err)
    assert snapshot(demo_workspace) == before


def test_equality_rates_and_ratios_against_the_population(demo_workspace: Path) -> None:
    ws = Workspace.open(demo_workspace)
    try:
        service.import_returns(ws, SMALL, today=TODAY)
        by_sex = service.equality(ws, "gender")
        pop = ws.read("population")
    finally:
        ws.close()
    first = pop.filter((pl.col("area") == pop["area"].min()) & (pl.col("year") == pop["year"].min()))
    female = first.filter(pl.col("sex") == "female")["count"].sum()
    row = by_sex.row(0, named=True)
    assert row["category"] == "Female" and row["referrals"] == 2  # R001 and R004 (R006 is Non-binary)
    assert row["rate_per_10000"] == round(2 / female * 10_000 * 12 / 15, 3)  # 5 quarters of records: a year's
    assert row["rate_low"] < row["rate_per_10000"] < row["rate_high"]
    assert row["ratio_low"] < row["rate_ratio"] < row["ratio_high"]
    total = by_sex.filter(pl.col("category") == "Total").row(0, named=True)
    assert total["referrals"] == 5 and total["rate_ratio"] == 1.0


def test_padded_and_differently_cased_values_are_read_as_the_code_list_names(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD.replace("R1,Affinity,", "R1, affinity ,").replace("White British", "  Martian  "),
                             GOOD.replace("R1,", "R2,").replace(",Other,yes,no", ",   ,yes,no")])
    result = service.import_returns(ws, path, today=TODAY)
    assert result.periods == [("Affinity", "2022/23 Q1")]
    assert [(r["row"], r["column"], r["message"]) for r in result.queries.iter_rows(named=True)] == [
        (2, "ethnicity", "'Martian' is not on the ethnicity code list")]
    counts = {r["field"]: (r["blank"], r["invalid"]) for r in result.counts.iter_rows(named=True)}
    assert counts["trauma_category"] == (1, 0) and counts["ethnicity"] == (0, 1)
    assert _row(service.tables(ws)["service"], "Affinity")["Total"] == 2
    again = service.import_returns(ws, _write(tmp_path, [GOOD.replace("R1,Affinity,", "R3,AFFINITY,")]), today=TODAY)
    assert again.replaced == 2 and _row(service.tables(ws)["service"], "Affinity")["Total"] == 1
    found, counts_again = service.quality_report(ws, TODAY)
    assert found.is_empty() and counts_again.filter(pl.col("field") == "trauma_category")["blank"].item() == 0


# -- messages that say what is wrong (issue 11, part 6) ------------------------------------------------


def _refused(ws: Workspace, path: Path) -> list[str]:
    with pytest.raises(InputError) as e:
        service.import_returns(ws, path, today=TODAY)
    return [str(p).removeprefix(f"{path}") for p in e.value.problems]


def test_latin1_text_names_the_row_column_and_byte_and_how_to_save_as_utf8(ws: Workspace, tmp_path: Path) -> None:
    """Catches a codec message with no row: 'é' saved as Latin-1 is the byte 0xE9 in the ethnicity cell of row 3."""
    path = tmp_path / "records.csv"
    path.write_bytes("\n".join([HEADER, GOOD, GOOD.replace("R1,", "R2,").replace("White British", "Wéte")])
                     .encode("latin-1") + b"\n")
    start = len("R2,Affinity,2022-05-01,yes,12,Female,W") + 1  # the character where é is
    assert _refused(ws, path) == [f", row 3, column 'ethnicity': the file is not UTF-8 text (byte 0xE9 at character "
                                  f"{start} of this line): save it as UTF-8: in Excel, Save As → 'CSV UTF-8 (Comma "
                                  "delimited)'; in other programs, choose the encoding UTF-8 when saving"]


def test_latin1_text_beside_a_stray_carriage_return_is_still_one_problem(ws: Workspace, tmp_path: Path) -> None:
    """Catches a traceback (csv.Error 'new-line character seen in unquoted field', found by the fuzzing): a line
    with a carriage return inside it is not CSV, so the message names the row but no column."""
    path = tmp_path / "records.csv"
    path.write_bytes("\n".join([HEADER, GOOD, GOOD.replace("R1,", "R2,").replace("Female", "Fe\rmale")
                                 .replace("White British", "Wéte")]).encode("latin-1") + b"\n")
    [problem] = _refused(ws, path)
    assert problem.startswith(", row 3: the file is not UTF-8 text (byte 0xE9 at character ")


def test_a_row_with_too_many_cells_says_which_and_how_many(ws: Workspace, tmp_path: Path) -> None:
    """Catches Polars' "found more fields than defined in 'Schema'", which names no row."""
    path = _write(tmp_path, [GOOD, GOOD.replace("R1,", "R2,") + ",x,y", GOOD.replace("R1,", "R3,")])
    assert _refused(ws, path) == [", row 3: this row has 18 cells but the header has 16 columns"]


@pytest.mark.parametrize("content", ["", "\n", "\n\n"])
def test_an_empty_returns_file_is_one_problem(ws: Workspace, tmp_path: Path, content: str) -> None:
    """Catches 16 'this column is missing' problems for a file with nothing in it."""
    path = tmp_path / "records.csv"
    path.write_text(content)
    assert _refused(ws, path) == [": the file is empty"]


def test_a_returns_file_separated_by_semicolons_is_one_problem(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD.replace(",", ";")], HEADER.replace(",", ";"))
    assert _refused(ws, path) == [": the file is separated by semicolons; cyplan reads comma-separated files: save "
                                  "it as CSV (comma delimited), e.g. in Excel with Save As → 'CSV UTF-8 (Comma "
                                  "delimited)'"]


@pytest.mark.parametrize(("state", "advice"), [
    ("hidden", "unhide it in Excel (right-click a sheet tab → Unhide) and save, then import again"),
    ("veryHidden", "is 'very hidden' (Excel's Unhide does not list it), so it may not be meant for import: copy its "
                   "table into a visible sheet and save, then import again")])
def test_a_hidden_first_sheet_is_refused_unless_named(demo_workspace: Path, run_cli: Callable, tmp_path: Path,
                                                      snapshot: Callable[[Path], dict[str, bytes]], state: str,
                                                      advice: str) -> None:
    """Catches a workbook whose first sheet is hidden (an old copy) being imported silently in place of the visible
    sheet, replacing the stored records; and Unhide advice for a 'very hidden' sheet, which Unhide does not list."""
    import openpyxl

    header = next(csv.reader([HEADER]))
    old = [header] + [next(csv.reader([GOOD.replace("R1,", f"OLD{i},")])) for i in range(3)]
    book = write_workbook(tmp_path / "returns.xlsx", {"old": old, "referrals": [header, next(csv.reader([GOOD]))]})
    wb = openpyxl.load_workbook(book)
    wb["old"].sheet_state = state
    wb.active = 1
    wb.save(book)
    before = snapshot(demo_workspace)
    code, _, err = run_cli(["returns", "import", book, "-w", demo_workspace, "--today", "2024-01-01"])
    assert code == 2, err
    assert f"{book}, sheet 'old': the sheet 'old' " in err and advice in " ".join(err.split())
    assert "or name the sheet to import with --sheet: 'referrals'" in " ".join(err.split())
    assert snapshot(demo_workspace) == before
    code, _, err = run_cli(["returns", "import", book, "--sheet", "old", "-w", demo_workspace, "--today", "2024-01-01"])
    assert code == 0 and "Imported 3 referrals" in err, err


def test_a_quote_never_closed_names_the_row_it_opens_on(ws: Workspace, tmp_path: Path) -> None:
    """Catches Polars' 'CSV malformed: expected 0 rows, actual 1 rows, in chunk starting at row_offset 2…', which
    names no row: the quote opens in cell 6 (gender) of row 4, as it does for input files."""
    path = _write(tmp_path, [GOOD, GOOD.replace("R1,", "R2,"), GOOD.replace("R1,", "R3,").replace("Female", '"Female'),
                             GOOD.replace("R1,", "R4,"), GOOD.replace("R1,", "R5,")])
    assert _refused(ws, path) == [", row 4: a quote (\") opens in cell 6 of this row and is never closed, so the rest "
                                  "of the file reads as that one cell: close the quote or remove it"]


ESCAPE = "x\x1b]0;PWN\x07\x1b[2Jy"  # sets the terminal's title and clears its screen
CONTROL = ("contains a control character (an invisible character such as a vertical tab or a right-to-left override): "
           "retype the cell")


def test_terminal_escapes_in_a_return_are_refused_by_row_and_column_never_echoed(
        demo_workspace: Path, run_cli: Callable, tmp_path: Path, snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    """Catches an escape sequence in a value being accepted, stored, and written raw to the analyst's terminal in
    a query ("'x^[]0;PWN^[[2Jy' is not on the ethnicity code list"): refused like an input file's cell."""
    before = snapshot(demo_workspace)
    path = _write(tmp_path, [GOOD, GOOD.replace("R1,", "R2,").replace("White British", ESCAPE),
                             GOOD.replace("R1,", "R3,").replace("2022-05-01", ESCAPE),
                             GOOD.replace("R1,", "R4,").replace("White British", ESCAPE),
                             GOOD.replace("R1,", f"R{ESCAPE},")])
    code, out, err = run_cli(["returns", "import", path, "-w", demo_workspace, "--today", "2024-01-01"])
    assert code == 2, err
    assert "\x1b" not in out + err and "\x07" not in out + err
    lines = [line.strip() for line in err.splitlines() if line.startswith("  ")]
    assert lines == [f"{path}, column 'ethnicity': 2 rows: {CONTROL}", "rows 3, 5",
                     f"{path}, row 4, column 'received_date': {CONTROL}",
                     f"{path}, row 6, column 'referral_id': {CONTROL}",
                     "Add --problems FILE to save every problem, one a line (file, sheet, row, column and message)."]
    assert snapshot(demo_workspace) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(column=st.integers(0, 15), char=st.sampled_from([*map(chr, [*range(0, 9), 11, 12, *range(14, 32), 127])]),
       at=st.integers(0, 3))
def test_a_control_character_in_any_column_is_refused_there(ws: Workspace, tmp_path: Path, column: int, char: str,
                                                            at: int) -> None:
    """Any control character (not tab, line feed or carriage return) anywhere in any cell of row 3 is one problem
    naming row 3 and that column, and no message holds it."""
    header = HEADER.split(",")
    cells = GOOD.replace("R1,", "R2,").split(",")
    cells[column] = cells[column][:at] + char + cells[column][at:]
    path = _write(tmp_path, [GOOD, ",".join(cells)])
    with pytest.raises(InputError) as e:
        service.import_returns(ws, path, today=TODAY)
    assert [(p.row, p.column, p.message) for p in e.value.problems] == [(3, header[column], CONTROL)]


def test_uk_dates_are_read_day_first_and_y_n_as_yes_and_no(tmp_path: Path) -> None:
    """Catches 03/04/2025 read month first (4 March), 13/07/2025 refused, a two-digit year read as the year 1
    (DuckDB's own cast reads '01/03/25' as 0001-03-25) and Y/N, 1/0, TRUE/FALSE refused or read the wrong way
    round. Written out by hand: each cell → the day and the answer it must be read as."""
    from cyplan.reference import codelists
    from cyplan.returns.stage import stage

    cells = [("03/04/2025", "Y", dt.date(2025, 4, 3), True), ("13/07/2025", "n", dt.date(2025, 7, 13), False),
             ("1.2.2025", "TRUE", dt.date(2025, 2, 1), True), ("2025-04-03", "0", dt.date(2025, 4, 3), False),
             (" 30-09-2025 ", "1", dt.date(2025, 9, 30), True), ("01/03/25", "false", None, False)]
    lines = [GOOD.replace("R1,", f"R{i},").replace("2022-05-01", day).replace(",yes,12", f",{answer},12")
             for i, (day, answer, _, _) in enumerate(cells)]
    s = stage(_write(tmp_path, lines), codelists.load())
    records = s.as_records()
    for i, (_, _, day, accepted) in enumerate(cells):
        if day is None:
            assert s.date_raw[s.date_ids[i]] == "01/03/25"
        else:
            assert s.date_raw[s.date_ids[i]] is None
            assert dt.date(1970, 1, 1) + dt.timedelta(days=int(records.date[i])) == day
        assert bool(records.accepted[i]) is accepted
    assert s.notes == ["column 'received_date': dates such as 03/04/2025 were read as day/month/year (UK), so "
                       "03/04/2025 is 3 April 2025"]
