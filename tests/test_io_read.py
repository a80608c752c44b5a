"""Reading CSV files and Excel sheets into text cells, with the row numbers the user sees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import save_formula_values, write_workbook
from cyplan.io.problems import InputError, Problem
from cyplan.io.read import ROW, RawTable, normalise_header, read_table
from cyplan.io.validate import validate
from cyplan.schema import KINDS

Write = Callable[[str, "str | bytes"], Path]

AREAS_HEADER = "code,name,kind\n"


def problems_of(path: Path, sheet: str | None = None, default_sheet: str | None = None) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        read_table(path, sheet, default_sheet)
    return caught.value.problems


def only_problem(path: Path, sheet: str | None = None, default_sheet: str | None = None) -> Problem:
    problems = problems_of(path, sheet, default_sheet)
    assert len(problems) == 1, problems
    return problems[0]


def records(raw: RawTable) -> list[dict[str, object]]:
    return raw.frame.to_dicts()


# -- CSV ------------------------------------------------------------------------------------------


def test_plain_csv(write_csv_text: Write) -> None:
    raw = read_table(write_csv_text("areas.csv", AREAS_HEADER + "E10000001,Kent,council\n"))
    assert raw.columns == ("code", "name", "kind")
    assert raw.header_row == 1
    assert raw.sheet is None
    assert records(raw) == [{"code": "E10000001", "name": "Kent", "kind": "council", ROW: 2}]


def test_byte_order_mark_is_not_part_of_the_first_column(write_csv_text: Write) -> None:
    path = write_csv_text("areas.csv", b"\xef\xbb\xbf" + (AREAS_HEADER + "E10000001,Kent,council\n").encode())
    raw = read_table(path)
    assert raw.columns == ("code", "name", "kind")
    assert records(raw)[0]["code"] == "E10000001"


def test_blank_rows_keep_the_spreadsheet_row_numbers(write_csv_text: Write) -> None:
    # line 3 is blank, so the next record is row 4; a row of empty cells counts too
    text = AREAS_HEADER + "E10000001,Kent,council\n\nE10000002,Surrey,council\n,,\nE10000003,Essex,council\n"
    raw = read_table(write_csv_text("areas.csv", text))
    assert raw.frame[ROW].to_list() == [2, 4, 6]
    assert raw.frame["code"].to_list() == ["E10000001", "E10000002", "E10000003"]


def test_blank_rows_before_the_header_count(write_csv_text: Write) -> None:
    raw = read_table(write_csv_text("areas.csv", "\n\n" + AREAS_HEADER + "E10000001,Kent,council\n"))
    assert raw.header_row == 3
    assert raw.frame[ROW].to_list() == [4]


def test_windows_line_endings(write_csv_text: Write) -> None:
    text = "code,name,kind\r\nE10000001,Kent,council\r\n\r\nE10000002,Surrey,council\r\n"
    raw = read_table(write_csv_text("areas.csv", text))
    assert raw.frame[ROW].to_list() == [2, 4]
    assert raw.frame["kind"].to_list() == ["council", "council"]


def test_a_problem_after_a_blank_row_names_the_spreadsheet_row(write_csv_text: Write) -> None:
    raw = read_table(write_csv_text("areas.csv", AREAS_HEADER + "E10000001,Kent,council\n\nE10000002,Surrey,shire\n"))
    _, problems = validate(raw, KINDS["areas"])
    assert [(p.row, p.column) for p in problems] == [(4, "kind")]


@pytest.mark.parametrize(("written", "name"), [
    ("Age From", "age_from"), ("  age-to ", "age_to"), ("BAND", "band"), ("Age  From", "age_from"),
    ("age\tfrom", "age_from"), ("age_from", "age_from"), (None, ""),
])
def test_header_normalisation(written: str | None, name: str) -> None:
    assert normalise_header(written) == name


def test_headers_are_normalised_when_read(write_csv_text: Write) -> None:
    raw = read_table(write_csv_text("age_bands.csv", "Band, Label ,Age From,AGE-TO\nx,X,0,25\n"))
    assert raw.columns == ("band", "label", "age_from", "age_to")
    _, problems = validate(raw, KINDS["age_bands"])
    assert problems == []


def test_duplicate_header(write_csv_text: Write) -> None:
    """Catches a column given twice named by its normalised name ('code', which the user may not see twice) rather
    than the cells as the file writes them."""
    path = write_csv_text("areas.csv", "code,name,Code,kind\nE10000001,Kent,E10000002,council\n")
    assert only_problem(path) == Problem(str(path), 1, "Code", "this column appears twice in the header (header "
                                         "cells 1 and 3: 'code' and 'Code')")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_unknown_header_is_named_as_the_file_writes_it(tmp_path: Path, suffix: str) -> None:
    """Catches a header message naming the column as cyplan normalises it ('shoe_size_(uk)'), a name the user cannot
    find in their file, from a CSV or a workbook."""
    rows = [["Code", "Name", "Kind", " Shoe Size (UK) "], ["E10000001", "Kent", "council", "9"]]
    path = tmp_path / f"areas{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    else:
        write_workbook(path, {"areas": rows})
    _, problems = validate(read_table(path), KINDS["areas"])
    assert [(p.row, p.column) for p in problems] == [(1, "Shoe Size (UK)")]
    assert problems[0].message.startswith("unknown column for areas")


HEADER_TEXT = st.text(st.sampled_from("abcXYZ019 -_()%"), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(HEADER_TEXT)
def test_any_unknown_header_cell_is_named_as_written(tmp_path_factory: pytest.TempPathFactory, cell: str) -> None:
    """Catches any header cell (spaces, hyphens, brackets, capitals) named in its message other than as the file
    writes it, trimmed: the name the user finds in the spreadsheet."""
    name = normalise_header(cell)
    if not name or name in KINDS["areas"].column_names:
        return  # blank, or a real column: no unknown-column message to check
    path = tmp_path_factory.mktemp("h") / "areas.csv"
    path.write_text(f'code,name,kind,"{cell}"\nE10000001,Kent,council,1\n', encoding="utf-8")
    _, problems = validate(read_table(path), KINDS["areas"])
    assert [p.column for p in problems if p.row == 1] == [cell.strip()]


def test_blank_header_cell(write_csv_text: Write) -> None:
    path = write_csv_text("areas.csv", "code,,kind\nE10000001,Kent,council\n")
    assert only_problem(path) == Problem(str(path), 1, None, "header cell 2 is blank: every column needs a name")


def test_blank_cells_at_the_end_of_the_header_are_ignored(write_csv_text: Write) -> None:
    raw = read_table(write_csv_text("areas.csv", "code,name,kind,,\nE10000001,Kent,council,,\n"))
    assert raw.columns == ("code", "name", "kind")


def test_extra_values_beyond_the_header(write_csv_text: Write) -> None:
    path = write_csv_text("areas.csv", AREAS_HEADER + "E10000001,Kent,council\nE10000002,Surrey,council,oops\n")
    assert only_problem(path) == Problem(str(path), 3, None, "this row has 4 values but the header has 3 columns")


def test_empty_values_beyond_the_header_are_ignored(write_csv_text: Write) -> None:
    raw = read_table(write_csv_text("areas.csv", AREAS_HEADER + "E10000001,Kent,council,,\n"))
    assert records(raw) == [{"code": "E10000001", "name": "Kent", "kind": "council", ROW: 2}]


def test_short_rows_are_padded_with_blanks(write_csv_text: Write) -> None:
    raw = read_table(write_csv_text("areas.csv", AREAS_HEADER + "E10000001,Kent\n"))
    assert records(raw) == [{"code": "E10000001", "name": "Kent", "kind": "", ROW: 2}]


def test_header_problems_are_reported_together(write_csv_text: Write) -> None:
    path = write_csv_text("areas.csv", "code,,code\nE10000001,Kent,council,x\n")
    assert [(p.row, p.message) for p in problems_of(path)] == [
        (1, "header cell 2 is blank: every column needs a name"),
        (1, "this column appears twice in the header (header cells 1 and 3)"),
        (2, "this row has 4 values but the header has 3 columns"),
    ]


def test_quoted_multi_line_cell(write_csv_text: Write) -> None:
    # a quoted cell may hold line breaks and commas; a spreadsheet shows the record as one row,
    # so the record after it is row 3, not line 4
    text = AREAS_HEADER + 'E10000001,"Kent,\nthe Garden of England",council\nE10000002,Surrey,shire\n'
    raw = read_table(write_csv_text("areas.csv", text))
    assert raw.frame["name"].to_list() == ["Kent,\nthe Garden of England", "Surrey"]
    assert raw.frame[ROW].to_list() == [2, 3]
    _, problems = validate(raw, KINDS["areas"])
    assert [(p.row, p.column) for p in problems] == [(3, "kind")]


def test_quoted_quotes(write_csv_text: Write) -> None:
    raw = read_table(write_csv_text("areas.csv", AREAS_HEADER + 'E10000001,"The ""Garden"" county",council\n'))
    assert raw.frame["name"].to_list() == ['The "Garden" county']


def test_non_utf8_text_names_every_line(write_csv_text: Write) -> None:
    text = AREAS_HEADER + "E10000001,Café,council\nE10000002,Surrey,council\nE10000003,Sévres,council\n"
    path = write_csv_text("areas.csv", text.encode("cp1252"))
    problems = problems_of(path)
    assert [p.row for p in problems] == [2, 4]
    assert problems[0] == Problem(str(path), 2, None, "not UTF-8 text (byte 0xE9 at character 14); save the file "
                                  "as 'CSV UTF-8 (Comma delimited)'")
    assert "byte 0xE9 at character 12" in problems[1].message


def test_utf8_text_is_read(write_csv_text: Write) -> None:
    raw = read_table(write_csv_text("areas.csv", AREAS_HEADER + "E10000001,Café – Ynys Môn,council\n"))
    assert raw.frame["name"].to_list() == ["Café – Ynys Môn"]


@pytest.mark.parametrize("text", ["", "\n", "\n\n  \n", ",,\n,,\n"], ids=["no bytes", "newline", "blank lines",
                                                                       "empty cells"])
def test_empty_file(write_csv_text: Write, text: str) -> None:
    path = write_csv_text("areas.csv", text)
    assert only_problem(path) == Problem(str(path), None, None, "the file is empty")


def test_header_only(write_csv_text: Write) -> None:
    path = write_csv_text("areas.csv", AREAS_HEADER + "\n,,\n")
    assert only_problem(path) == Problem(str(path), None, None, "the file has a header but no rows of data")


def test_txt_is_read_as_csv(write_csv_text: Write) -> None:
    assert read_table(write_csv_text("areas.txt", AREAS_HEADER + "E10000001,Kent,council\n")).frame.height == 1


def test_a_csv_has_no_sheets(write_csv_text: Write) -> None:
    path = write_csv_text("areas.csv", AREAS_HEADER + "E10000001,Kent,council\n")
    assert only_problem(path, sheet="areas").message == "a sheet was named but a CSV file has no sheets"


def test_old_xls_is_refused(write_csv_text: Write) -> None:
    path = write_csv_text("areas.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert only_problem(path) == Problem(str(path), None, None, "old .xls workbooks are not read: save it as "
                                         ".xlsx (Excel Workbook) or as CSV UTF-8")


@pytest.mark.parametrize(("name", "shown"), [("areas.ods", "'.ods'"), ("areas.json", "'.json'"),
                                             ("areas", "'no extension'")])
def test_unknown_extensions_are_refused(write_csv_text: Write, name: str, shown: str) -> None:
    path = write_csv_text(name, AREAS_HEADER)
    assert only_problem(path).message == f"cannot read {shown} files: give a .csv, .xlsx or .yaml file"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert only_problem(tmp_path / "nowhere.csv").message == "no such file"
    assert only_problem(tmp_path).message == "this is a folder, not a file"


# -- Excel ----------------------------------------------------------------------------------------

POPULATION = [["area", "year", "age", "sex", "count"],
              ["E10000001", 2025, 7, "female", 9412],
              ["E10000001", 2025, 7, "male", 9600]]


def test_excel_sheet(tmp_path: Path) -> None:
    raw = read_table(write_workbook(tmp_path / "p.xlsx", {"population": POPULATION}))
    assert raw.sheet == "population"
    assert raw.columns == ("area", "year", "age", "sex", "count")
    assert records(raw)[0] == {"area": "E10000001", "year": "2025", "age": "7", "sex": "female", "count": "9412",
                               ROW: 2}


def test_excel_header_not_on_row_1_keeps_the_sheets_row_numbers(tmp_path: Path) -> None:
    rows = [*POPULATION[:2], [None] * 5, ["E10000001", 2025, 8, "female", -1]]
    path = write_workbook(tmp_path / "p.xlsx", {"population": rows}, first_row=3)
    raw = read_table(path)
    assert raw.header_row == 3
    assert raw.frame[ROW].to_list() == [4, 6]
    _, problems = validate(raw, KINDS["population"])
    assert problems == [Problem(str(path), 6, "count", "count -1 is negative; it must be 0 or more", "population")]


def test_excel_sheet_chosen_by_name(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", {"notes": [["read me"]], "my population": POPULATION})
    raw = read_table(path, sheet="my population")
    assert raw.sheet == "my population"
    assert raw.frame.height == 2


def test_excel_sheet_named_after_the_input_is_the_default(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", {"notes": [["read me"]], "population": POPULATION})
    assert read_table(path, default_sheet="population").sheet == "population"


def test_excel_single_sheet_needs_no_name(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", {"Sheet1": POPULATION})
    assert read_table(path, default_sheet="population").sheet == "Sheet1"


def test_excel_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", {"notes": [["x"]], "population": POPULATION})
    assert only_problem(path, sheet="pop") == Problem(str(path), None, None,
                                                      "no sheet named 'pop'; the sheets are 'notes', 'population'")


def test_excel_several_sheets_without_a_name(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", {"notes": [["x"]], "data": POPULATION})
    assert only_problem(path, default_sheet="population").message == (
        "the workbook has several sheets: name one with --sheet ('notes', 'data')")


def test_excel_empty_sheet(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", {"population": []})
    assert only_problem(path) == Problem(str(path), None, None, "the file is empty", "population")


def test_excel_problems_name_the_sheet(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", {"population": [POPULATION[0], ["E10000001", 2025, 7, "fem", 1]]})
    _, problems = validate(read_table(path), KINDS["population"])
    words = "'fem' is not one of: female, male (also read: f, m, 2, 1, females, males)"
    assert problems == [Problem(str(path), 2, "sex", words, "population")]
    assert str(problems[0]) == f"{path}, sheet 'population', row 2, column 'sex': {words}"


def test_excel_formula_is_read_as_its_saved_value(tmp_path: Path) -> None:
    rows = [*POPULATION, ["E10000001", 2025, 8, "female", "=E2*2"]]
    path = save_formula_values(write_workbook(tmp_path / "book.xlsx", {"population": rows}), {"E4": "18824"})
    raw = read_table(path)
    assert raw.frame["count"].to_list() == ["9412", "9600", "18824"]
    frame, problems = validate(raw, KINDS["population"])
    assert problems == []
    assert frame["count"].to_list() == [9412.0, 9600.0, 18824.0]


def test_excel_formula_with_a_fractional_value(tmp_path: Path) -> None:
    rows = [["level", "label", "coverage"], ["tertiary", "Tertiary", "=1/3"]]
    path = save_formula_values(write_workbook(tmp_path / "book.xlsx", {"levels": rows}),
                               {"C2": "0.33333333333333331"})
    frame, problems = validate(read_table(path), KINDS["levels"])
    assert problems == []
    assert frame["coverage"].to_list() == [1 / 3]


def test_excel_formula_with_an_error_value(tmp_path: Path) -> None:
    rows = [*POPULATION, ["E10000001", 2025, 8, "female", "=E2/0"]]
    path = save_formula_values(write_workbook(tmp_path / "book.xlsx", {"population": rows}), {"E4": "#DIV/0!"})
    _, problems = validate(read_table(path), KINDS["population"])
    assert problems == [Problem(str(path), 4, "count", "'#DIV/0!' is not a number", "population")]


def test_excel_formula_without_a_saved_value_is_not_read_as_a_value(tmp_path: Path) -> None:
    # A program (not Excel) wrote the formula and nothing calculated it: there is no value to read.
    # It is reported with the file's other problems, and only where a value is required.
    rows = [*POPULATION, ["E10000001", 2025, -8, "female", "=E2*2", "=A2"]]
    path = write_workbook(tmp_path / "book.xlsx", {"population": [[*POPULATION[0], "source"],
                                                                  *[[*r, ""] for r in POPULATION[1:]], rows[-1]]})
    _, problems = validate(read_table(path), KINDS["population"])
    assert [(p.file, p.sheet, p.row, p.column) for p in problems] == [
        (str(path), "population", 4, "age"), (str(path), "population", 4, "count")]
    assert "=E2*2" in problems[1].message
    assert "no saved value" in problems[1].message


def test_an_empty_formula_result_in_an_optional_column_is_fine(tmp_path: Path) -> None:
    # Excel saves =IF(…, "", …) with an empty result; that is a blank, and 'source' may be blank
    rows = [[*POPULATION[0], "source"], *[[*r, '=IF(1=1,"","x")'] for r in POPULATION[1:]]]
    _, problems = validate(read_table(write_workbook(tmp_path / "book.xlsx", {"population": rows})),
                           KINDS["population"])
    assert problems == []


def test_excel_dates_booleans_and_numbers_as_text(tmp_path: Path) -> None:
    rows = [["a", "b", "c", "d", "e", "f"],
            [dt.date(2025, 1, 2), dt.datetime(2025, 1, 2, 3, 4), True, False, 2025.0, 0.16]]
    raw = read_table(write_workbook(tmp_path / "book.xlsx", {"s": rows}))
    assert records(raw) == [{"a": "2025-01-02", "b": "2025-01-02T03:04:00", "c": "yes", "d": "no", "e": "2025",
                             "f": "0.16", ROW: 2}]


def test_excel_date_where_a_year_is_wanted(tmp_path: Path) -> None:
    rows = [POPULATION[0], ["E10000001", dt.date(2025, 1, 1), 7, "female", 1]]
    path = write_workbook(tmp_path / "book.xlsx", {"population": rows})
    _, problems = validate(read_table(path), KINDS["population"])
    assert problems == [Problem(str(path), 2, "year", "'2025-01-01' is not a whole number", "population")]


def test_excel_text_that_looks_like_a_number_stays_text(tmp_path: Path) -> None:
    rows = [["level", "label", "coverage"], ["007", "Level 007", "16%"]]
    frame, problems = validate(read_table(write_workbook(tmp_path / "b.xlsx", {"levels": rows})), KINDS["levels"])
    assert problems == []
    assert frame.row(0, named=True) == {ROW: 2, "level": "007", "label": "Level 007", "coverage": 0.16,
                                        "non_pay_per_case": 0.0, "source": ""}  # an optional column's default


def test_not_a_workbook(write_csv_text: Write) -> None:
    path = write_csv_text("book.xlsx", "code,name\n")
    assert only_problem(path).message.startswith("not a readable Excel workbook")


@settings(max_examples=30, deadline=None)
@given(content=st.binary(max_size=5000))
def test_the_import_logs_fingerprint_is_the_files_sha256(tmp_path_factory: pytest.TempPathFactory,
                                                          content: bytes) -> None:
    """What `sha256sum` prints, for any file (an empty one included): the log lets a user check a file."""
    import hashlib

    from cyplan.io.files import sha256

    path = tmp_path_factory.mktemp("fingerprint") / "file.csv"
    path.write_bytes(content)
    assert sha256(path) == hashlib.sha256(content).hexdigest()


# -- messages that say what is wrong (issue 11, part 6) ------------------------------------------------


@pytest.mark.parametrize(("sep", "said"), [(";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars ('|')")])
def test_a_file_separated_by_something_else_is_one_problem_saying_so(write_csv_text: Write, sep: str,
                                                                     said: str) -> None:
    """Catches 'required column ... is missing' lines standing in for the real problem: the separator."""
    text = sep.join(["area", "year", "age", "sex", "count"]) + "\n" + sep.join(["E1", "2025", "1", "female", "3"])
    path = write_csv_text("population.csv", text + "\n")
    assert only_problem(path) == Problem(str(path), None, None, f"the file is separated by {said}; cyplan reads "
                                         "comma-separated files: save it as CSV (comma delimited), e.g. in Excel "
                                         "with Save As → 'CSV UTF-8 (Comma delimited)'")


def test_a_semicolon_in_a_comma_separated_header_is_not_taken_for_the_separator(write_csv_text: Write) -> None:
    raw = read_table(write_csv_text("areas.csv", "code,name;label,kind\nE10000001,Kent,council\n"))
    assert raw.columns == ("code", "name;label", "kind")


def test_a_quote_never_closed_is_reported_on_the_row_it_opens(write_csv_text: Write) -> None:
    """Catches "column 'kind': blank" for the cells a stray quote swallowed."""
    path = write_csv_text("areas.csv", AREAS_HEADER + 'E10000001,Kent,council\nE10000002,"Surrey,council\n'
                          "E10000003,Essex,council\n")
    assert only_problem(path) == Problem(str(path), 3, None, 'a quote (") opens in cell 2 of this row and is never '
                                         "closed, so the rest of the file reads as that one cell: close the quote "
                                         "or remove it")


def test_a_quote_inside_a_cell_is_text(write_csv_text: Write) -> None:
    raw = read_table(write_csv_text("areas.csv", AREAS_HEADER + 'E10000001,Kent 5" wide,council\n'))
    assert records(raw) == [{"code": "E10000001", "name": 'Kent 5" wide', "kind": "council", ROW: 2}]


def test_a_stray_value_in_column_xfd_is_one_problem(tmp_path: Path) -> None:
    """Catches 16,380 'header cell N is blank' problems for one stray cell in the last column."""
    book = write_workbook(tmp_path / "areas.xlsx", {"areas": [["code", "name", "kind"],
                                                              ["E10000001", "Kent", "council"]]})
    import openpyxl

    wb = openpyxl.load_workbook(book)
    wb["areas"]["XFD1"] = "x"
    wb.save(book)
    assert only_problem(book) == Problem(str(book), 1, None, "header cells 4 to 16,383 are blank: every column "
                                         "needs a name; a value far to the right of the table makes every cell up "
                                         "to it a column: delete those columns", "areas")


def test_two_blank_header_cells_together_are_one_problem(write_csv_text: Write) -> None:
    path = write_csv_text("areas.csv", "code,,,kind\nE10000001,,Kent,council\n")
    assert only_problem(path) == Problem(str(path), 1, None, "header cells 2 to 3 are blank: every column needs a "
                                         "name")


CELL = st.text(st.sampled_from('ab ,"\n\r;é'), max_size=5)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=6), st.sampled_from(["\n", "\r\n"]))
def test_every_csv_reads_back_its_cells_and_rows(tmp_path_factory: pytest.TempPathFactory,
                                                rows: list[list[str]], newline: str) -> None:
    """Catches the quick columnar reader and the cell-by-cell one disagreeing: whatever the cells hold (quotes,
    commas, line breaks), each record comes back with its cells and its row, numbered by record."""
    import csv
    import io

    if newline == "\n":  # a writer ending lines with \n leaves a cell's \r unquoted: no reader could tell
        rows = [[c.replace("\r", "") for c in r] for r in rows]
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows([["a", "b", "c"], *rows])
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_bytes(out.getvalue().encode())
    expected = [{"a": r[0], "b": r[1], "c": r[2], ROW: i} for i, r in enumerate(rows, start=2)
                if any(c.strip() for c in r)]
    if not expected:
        return
    assert records(read_table(path)) == expected


def test_a_bad_byte_first_on_its_line_is_in_the_first_column(tmp_path: Path) -> None:
    """Catches the column of a non-UTF-8 byte at the very start of a line named as the header's last column (an
    empty prefix read as no cells, so index -1)."""
    from cyplan.io.read import first_bad_byte

    path = tmp_path / "f.csv"
    path.write_bytes(b"area,year,count\n\xe9x,2025,3\n")
    problem = first_bad_byte(path, "f.csv")
    assert (problem.row, problem.column) == (2, "area")


@pytest.mark.parametrize("bad", [b"\xc3", b"\xe2\x82", b"\xff\xfe", b"ok\xc3(more"])
def test_bytes_that_are_not_utf8_after_the_first_line_are_a_located_problem(tmp_path: Path, bad: bytes) -> None:
    """Catches Polars' fast Categorical reader taking bytes that are not UTF-8 past a clean first line (its text then
    panicked when shown, killing the import with a Rust panic found by the fuzzing): the file is read cell by cell
    and the first bad byte is named by row."""
    path = tmp_path / "areas.csv"
    path.write_bytes(b"code,name\nE1,North\nE2," + bad + b"\nE3,South\n")
    with pytest.raises(InputError) as e:
        read_table(path)
    [problem] = e.value.problems
    assert problem.row == 3 and "not UTF-8" in problem.message


@pytest.mark.parametrize("content", [b'""\xef\xbb\xbf', b'code,name\nE1,""\xef\xbb\xbf\n'])
def test_text_polars_cuts_in_two_after_a_quote_is_read_cell_by_cell(tmp_path: Path, content: bytes) -> None:
    """Catches a Rust panic that killed the import (found by the fuzzing): Polars' Categorical reader cut the
    byte-order mark after `""` in two and the broken text panicked when shown. The file is read cell by cell, as
    Python's csv reads it: the cell is the byte-order mark's character."""
    path = tmp_path / "areas.csv"
    path.write_bytes(content)
    try:
        table = read_table(path)
    except InputError as e:  # one row only: a header and no data, reported as such
        assert all(p.message for p in e.problems)
        return
    assert table.frame["name"].to_list() == ["\ufeff"]
