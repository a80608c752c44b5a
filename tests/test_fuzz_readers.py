"""Fuzzing every reader (issue 11, standing check): malformed CSV and Excel files for every input kind and for
referral returns end in success or in located problems (InputError; exit 2 from the CLI), never in a
traceback or any other exception, and a refused file leaves the workspace as it was.

The files are made from the valid example of each kind (examples/inputs/, examples/returns/) with mutations a
user's or an attacker's file may carry: random bytes, other encodings (UTF-16, Latin-1, a BOM in the wrong
place), other delimiters, stray and unbalanced quotes, odd and huge numbers, header cells dropped, doubled,
renamed or blank, rows too long or too short, control characters, long cells, and for workbooks odd cell
types, several sheets and damaged zips. Examples are bounded so that the module runs in well under a minute.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import shutil
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CliResult, folder_bytes
from cyplan.io.problems import InputError
from cyplan.schema import KINDS
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs

ROOT = Path(__file__).parents[1]
INPUTS = ROOT / "examples" / "inputs"
RECORDS = ROOT / "examples" / "returns" / "small_records.csv"
TODAY = dt.date(2024, 1, 1)
# new examples each run on a developer's machine (more ground covered over time); the same ones in CI (the
# `ci` profile in conftest.py), so that a submission is judged on what was tried before it, and what a
# developer's run finds is added as a test of its own
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

Rows = list[list[str]]
# each example writes a file of its own, so that no import reads a file the next example is rewriting
SERIAL = itertools.count()

ODD_NUMBERS = ["99999999999999999999", "1e20", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
               "1e308", "-1e308", "1e309", "1.7976931348623157e308", "5e-324", "1e-400", "inf", "-inf", "nan", "NaN",
               "Infinity", "0x1F", "1_000", "1,000", "1,00,000", "12,34", "１２３", "٣", "½", "-0", "+5", "5%", "%",
               "1e308%", "100000000000000000000%", "1.2.3", "1e", "e5", ".", "-", "∞", "7.0", "7.5", " 7 ", "",
               "0" * 400 + "1", "9" * 400, "2025-01-01", "TRUE", "None", "null"]
ODD_TEXT = ["=1+1", "+1", "-1-1", "@SUM(A1)", "'", "''=x", '"', '""', "a\nb", "a\r\nb", "\x00", "\x0b", "\x1f",
            "\u200b", "\ufeff", "\ud7ff", "x" * 5000, "é", "\U0001f600", ";", "\t", " ", "NUL\x00byte"]
CELL = st.sampled_from(ODD_NUMBERS) | st.sampled_from(ODD_TEXT) | st.text(max_size=12)


def example_rows(path: Path) -> Rows:
    with path.open(encoding="utf-8", newline="") as f:
        return [list(r) for r in csv.reader(f)]


EXAMPLES = {kind: example_rows(next(p for p in (INPUTS / f"{kind}.csv", INPUTS.parent / "neighbours" / f"{kind}.csv")
                                    if p.exists())) for kind in KINDS}


# -- mutations -------------------------------------------------------------------------------------


@st.composite
def mutated_rows(draw: st.DrawFn, rows: Rows, numeric: Sequence[int] = ()) -> Rows:
    """The rows with a few mutations of the header, the cells and the rows' lengths (and of the cells of the
    `numeric` columns, by position, with odd and huge numbers)."""
    rows = [list(r) for r in rows]
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["cell", "cell", "number", "number", "header", "drop_column", "double_column",
                                     "add_column", "long_row", "short_row", "blank_row", "header_again", "far_cell",
                                     "no_rows"]))
        width = max(len(r) for r in rows) if rows else 1
        i = draw(st.integers(0, max(len(rows) - 1, 0)))
        j = draw(st.integers(0, max(width - 1, 0)))
        if not rows:
            rows = [[draw(CELL)]]
        elif what == "number" and numeric and len(rows) > 1:
            row = rows[draw(st.integers(1, len(rows) - 1))]
            at = draw(st.sampled_from(numeric))
            if at < len(row):
                row[at] = draw(st.sampled_from(ODD_NUMBERS) | st.integers().map(str)
                               | st.floats().map(repr) | st.decimals().map(str))
        elif what == "cell" and len(rows) > 1:
            row = rows[draw(st.integers(1, len(rows) - 1))]
            if row:
                row[min(j, len(row) - 1)] = draw(CELL)
        elif what == "header" and rows[0]:
            name = rows[0][min(j, len(rows[0]) - 1)]
            rows[0][min(j, len(rows[0]) - 1)] = draw(st.sampled_from(
                [name.upper(), f" {name} ", name.replace("_", "-"), name.replace("_", " "), "", "=1+1", name * 2,
                 "\ufeff" + name, name + "\x00"]) | CELL)
        elif what == "drop_column":
            rows = [r[:j] + r[j + 1:] for r in rows]
        elif what == "double_column":
            rows = [r[: j + 1] + r[j:] for r in rows]
        elif what == "add_column":
            rows = [[*r, draw(CELL)] for r in rows]
        elif what == "long_row":
            rows[i] = rows[i] + [draw(CELL) for _ in range(draw(st.integers(1, 3)))]
        elif what == "short_row":
            rows[i] = rows[i][: draw(st.integers(0, max(len(rows[i]) - 1, 0)))]
        elif what == "blank_row":
            rows.insert(i, [""] * draw(st.integers(0, width)))
        elif what == "header_again":
            rows.insert(max(i, 1), list(rows[0]))
        elif what == "far_cell":  # a stray value far to the right (as in a column XFD), bounded here
            rows[i] = rows[i] + [""] * draw(st.integers(10, 300)) + ["x"]
        elif what == "no_rows":
            rows = rows[: draw(st.integers(0, 1))]
    return rows


@st.composite
def csv_bytes(draw: st.DrawFn, rows: Rows) -> bytes:
    """The rows as a CSV file, in a drawn dialect and encoding, perhaps damaged byte by byte."""
    delimiter = draw(st.sampled_from([",", ",", ",", ";", "\t", "|"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC, csv.QUOTE_NONE]))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, quoting=quoting, escapechar="\\",
                        lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])))
    for row in rows:
        try:
            writer.writerow(row)
        except csv.Error:  # QUOTE_NONE and a cell the dialect cannot write: write it raw
            buf.write(delimiter.join(row) + "\n")
    text = buf.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252", "utf-32"]))
    data = text.encode(encoding, errors="replace")
    for _ in range(draw(st.integers(0, 2))):
        damage = draw(st.sampled_from(["insert", "truncate", "flip", "quote", "nul"]))
        at = draw(st.integers(0, len(data)))
        if damage == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif damage == "truncate":
            data = data[:at]
        elif damage == "flip" and at < len(data):
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
        elif damage == "quote":
            data = data[:at] + b'"' + data[at:]
        elif damage == "nul":
            data = data[:at] + b"\x00" + data[at:]
    return data


def xlsx_value(text: str) -> object:
    """A cell as a spreadsheet would hold it: numbers as numbers where they are numbers, else the text."""
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    return int(number) if number.is_integer() and abs(number) < 2**63 else number


@st.composite
def xlsx_bytes(draw: st.DrawFn, rows: Rows, sheet: str) -> bytes:
    """The rows as a workbook: typed cells or text, odd cell types, perhaps other sheets, perhaps damaged."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = draw(st.sampled_from([sheet, sheet.upper(), "Sheet1", "data"]))
    typed = draw(st.booleans())
    first = draw(st.integers(1, 3))  # the table need not start on row 1
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            clean = "".join(c for c in text if c >= " " or c in "\t\n\r")  # openpyxl refuses control characters
            value = xlsx_value(clean) if typed else clean
            if clean.startswith("="):
                value = clean  # a formula, saved without a value
            if value != "":
                ws.cell(first + i, j + 1, value)
    if rows and draw(st.booleans()):
        odd = draw(st.sampled_from([True, dt.datetime(2025, 1, 1, 12, 30), dt.date(1900, 1, 1), 1e308, -0.0, 10**18,
                                    dt.time(1, 2), "#DIV/0!"]))
        ws.cell(first + draw(st.integers(1, len(rows))), draw(st.integers(1, 8)), odd)
    for _ in range(draw(st.integers(0, 2))):
        other = book.create_sheet(draw(st.sampled_from(["Sheet2", sheet, "notes", "x" * 31])))
        other.sheet_state = draw(st.sampled_from(["visible", "hidden"]))
    buf = io.BytesIO()
    book.save(buf)
    data = buf.getvalue()
    damage = draw(st.sampled_from([None, None, None, "truncate", "flip", "member"]))
    # where to damage is drawn as a share of the length: a workbook's length varies a little from one save to
    # the next (its zip holds the time), and hypothesis must draw the same way when it replays an example
    at = draw(st.integers(0, 1023)) * len(data) // 1024
    if damage == "truncate":
        data = data[:at]
    elif damage == "flip":
        data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
    elif damage == "member":  # a sheet's XML replaced by random bytes, the zip itself sound
        data = _replace_member(data, "xl/worksheets/sheet1.xml", draw(st.binary(max_size=64)))
    return data


def _replace_member(data: bytes, member: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, content if name == member else src.read(name))
    return out.getvalue()


@st.composite
def input_file(draw: st.DrawFn, kinds: Sequence[str] = tuple(KINDS)) -> tuple[str, str, bytes]:
    """(kind, suffix, the file's bytes): a mutated example, or plain random bytes."""
    kind = draw(st.sampled_from(kinds))
    suffix = draw(st.sampled_from([".csv", ".csv", ".xlsx", ".txt"]))
    if draw(st.integers(0, 9)) == 0:
        return kind, suffix, draw(st.binary(max_size=200))
    header = EXAMPLES[kind][0]
    numeric = [header.index(c.name) for c in KINDS[kind].columns if c.type in ("integer", "number", "share")]
    rows = draw(mutated_rows(EXAMPLES[kind], numeric))
    data = draw(xlsx_bytes(rows, kind)) if suffix == ".xlsx" else draw(csv_bytes(rows))
    return kind, suffix, data


# -- the checks ------------------------------------------------------------------------------------


def assert_located(e: InputError, path: Path) -> None:
    """Every problem names the file (its row and column where it has them) and says what is wrong."""
    assert e.problems
    for p in e.problems:
        assert p.file == str(path), p
        assert p.message.strip(), p
        assert p.row is None or p.row >= 1, p


@pytest.fixture(scope="module")
def fuzz_workspace(tmp_path_factory: pytest.TempPathFactory, _demo_template: Path) -> Iterator[Path]:
    """The demo workspace, shared by the examples (a file that imports changes it; that is fine here)."""
    path = Path(shutil.copytree(_demo_template, tmp_path_factory.mktemp("fuzz") / "workspace"))
    yield path


@FUZZ
@given(input_file(), st.sampled_from(["replace", "merge"]))
def test_every_input_kind_reads_or_refuses_with_located_problems(fuzz_workspace: Path, tmp_path: Path,
                                                                 case: tuple[str, str, bytes], mode: str) -> None:
    kind, suffix, data = case
    path = tmp_path / f"fuzz{next(SERIAL)}{suffix}"
    path.write_bytes(data)
    ws = Workspace.open(fuzz_workspace)
    try:
        before = folder_bytes(fuzz_workspace)
        try:
            import_inputs(ws, [Source(kind, path)], mode)  # type: ignore[arg-type]
        except InputError as e:
            assert_located(e, path)
            assert folder_bytes(fuzz_workspace) == before
    finally:
        ws.close()


@settings(FUZZ, max_examples=25)
@given(input_file(("population", "workforce", "roles", "service_staff", "pathway_steps", "paper_details")))
def test_cli_import_of_a_fuzzed_file_exits_0_or_2_never_with_a_traceback(run_cli: Callable[[Sequence[str]], CliResult],
                                                                         fuzz_workspace: Path, tmp_path: Path,
                                                                         case: tuple[str, str, bytes]) -> None:
    """Through `cyplan import` as a user runs it (run_cli re-raises any exception that is not an exit)."""
    kind, suffix, data = case
    path = tmp_path / f"{kind}{next(SERIAL)}{suffix}"
    path.write_bytes(data)
    before = folder_bytes(fuzz_workspace)
    code, _, err = run_cli(["import", kind, path, "-w", fuzz_workspace])
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert str(path) in err
        assert folder_bytes(fuzz_workspace) == before


@st.composite
def workbook_of_inputs(draw: st.DrawFn) -> bytes:
    """A workbook with a sheet per input for a few kinds (as `cyplan import all book.xlsx` reads), each sheet
    mutated, perhaps a sheet that names no input, perhaps the workbook damaged."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for kind in draw(st.lists(st.sampled_from(list(KINDS)), min_size=1, max_size=3, unique=True)):
        ws = book.create_sheet(draw(st.sampled_from([kind, kind.upper(), kind + "_old"])))
        for row in draw(mutated_rows(EXAMPLES[kind])):
            ws.append([xlsx_value("".join(c for c in text if c >= " ")) or None for text in row])
    buf = io.BytesIO()
    book.save(buf)
    data = buf.getvalue()
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, 1023)) * len(data) // 1024
        data = data[:at]
    return data


@settings(FUZZ, max_examples=20)
@given(workbook_of_inputs(), st.sampled_from(["replace", "merge"]))
def test_import_all_of_a_fuzzed_workbook_reads_or_refuses_with_located_problems(fuzz_workspace: Path,
                                                                               tmp_path: Path, data: bytes,
                                                                               mode: str) -> None:
    from cyplan.transfer import sources_in

    path = tmp_path / f"book{next(SERIAL)}.xlsx"
    path.write_bytes(data)
    ws = Workspace.open(fuzz_workspace)
    try:
        before = folder_bytes(fuzz_workspace)
        try:
            import_inputs(ws, sources_in(path), mode)  # type: ignore[arg-type]
        except InputError as e:
            assert_located(e, path)
            assert folder_bytes(fuzz_workspace) == before
    finally:
        ws.close()


# -- referral returns ------------------------------------------------------------------------------

RECORD_ROWS = example_rows(RECORDS)


@st.composite
def returns_file(draw: st.DrawFn) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from([".csv", ".csv", ".xlsx"]))
    if draw(st.integers(0, 9)) == 0:
        return suffix, draw(st.binary(max_size=200))
    rows = draw(mutated_rows(RECORD_ROWS, [RECORD_ROWS[0].index("age")]))  # the returns' one number
    data = draw(xlsx_bytes(rows, "records")) if suffix == ".xlsx" else draw(csv_bytes(rows))
    return suffix, data


@pytest.fixture(scope="module")
def returns_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.create(tmp_path_factory.mktemp("fuzz-returns") / "ws")
    yield ws
    ws.close()


@settings(FUZZ, max_examples=50)
@given(returns_file())
def test_returns_files_import_or_are_refused_with_located_problems(returns_workspace: Workspace, tmp_path: Path,
                                                                   case: tuple[str, bytes]) -> None:
    from cyplan.returns import service

    suffix, data = case
    path = tmp_path / f"records{next(SERIAL)}{suffix}"
    path.write_bytes(data)
    before = folder_bytes(returns_workspace.path)
    try:
        service.import_returns(returns_workspace, path, today=TODAY)
    except InputError as e:
        assert_located(e, path)
        assert folder_bytes(returns_workspace.path) == before
