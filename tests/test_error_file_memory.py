"""Issue 11, part 7: a file full of errors is checked without holding it several times over. These tests pin
the answers of the memory-saving paths (repeated keys found from value ids, columns checked on their distinct
cells, raw columns dropped once checked) against plain, independent workings, and that a command does not
load what it does not use."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import polars as pl
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cyplan.io.problems import Found, Problem, ProblemRun
from cyplan.io.read import ROW, read_table
from cyplan.io.validate import _first_rows, validate
from cyplan.io.write import write_csv, write_csv_parts
from cyplan.schema import KINDS

# a key column's value ids as validate makes them: 1, 2, … for values, 0 for a cell with no value
ids = st.lists(st.integers(0, 3), min_size=1, max_size=40)


@given(st.lists(ids, min_size=1, max_size=4).filter(lambda cols: len({len(c) for c in cols}) == 1))
@settings(max_examples=200, deadline=None)
def test_first_rows_is_each_keys_first_row_worked_by_hand(columns: list[list[int]]) -> None:
    """Catches a wrong first row from the combined key number (two keys sharing a number, a row with a missing
    value given a first row, or the first row not the earliest): checked against a dict of first rows."""
    n = len(columns[0])
    rows = [2 + 3 * i for i in range(n)]  # spreadsheet rows with gaps, as after blank lines
    first: dict[tuple[int, ...], int] = {}
    expected: list[int | None] = []
    for i, key in enumerate(zip(*columns, strict=True)):
        expected.append(None if 0 in key else first.setdefault(key, rows[i]))
    got = _first_rows(pl.Series(rows, dtype=pl.Int64), [pl.Series(c, dtype=pl.UInt32) for c in columns])
    assert got is not None and got.to_list() == expected


def test_first_rows_numbers_sparse_keys_and_gives_up_on_too_many() -> None:
    """Catches the combined number overflowing 64 bits (two keys then share a number) instead of giving way to
    Polars' hashing (None), and sparse numbers (ids up to 10^6 in two columns) being wrong."""
    big = pl.Series([2**40, 1, 2**40], dtype=pl.UInt64)
    assert _first_rows(pl.Series([2, 3, 4]), [big, big]) is None
    sparse = [pl.Series([10**6, 5, 10**6, 5], dtype=pl.UInt32), pl.Series([7, 7, 7, 10**6], dtype=pl.UInt32)]
    assert _first_rows(pl.Series([2, 3, 4, 5]), sparse).to_list() == [2, 3, 2, 5]  # type: ignore[union-attr]


def test_repeated_keys_compare_values_not_cells(tmp_path: Path) -> None:
    """Catches repeated keys found on the cells as written: ' 1' and '1.0' are age 1, '2025.0' is year 2025, so
    rows 4 to 6 repeat row 3's key; an age that is not a number ('abc', rows 2 and 7) repeats nothing."""
    path = tmp_path / "population.csv"
    path.write_text("area,year,age,sex,count,source\nE1,2025,abc,male,1,x\nE1,2025,1,male,1,x\n"
                    "E1,2025, 1,male,1,x\nE1,2025.0,1,male,1,x\nE1,2025,1.0,MALE,1,x\nE1,2025,abc,male,1,x\n")
    _, found = validate(read_table(path), KINDS["population"])
    repeated = [p for p in _each(found) if "duplicate" in p.message]
    assert [(p.row, p.message) for p in repeated] == [
        (r, "duplicate: area 'E1', year '2025', age '1', sex 'male' is already on row 3") for r in (4, 5, 6)]


def test_consume_drops_the_raw_columns_and_changes_no_answer(tmp_path: Path) -> None:
    """Catches validate(consume=True) keeping the file's cells (the memory it is for) or giving other typed
    values or problems than a plain check of the same file."""
    path = tmp_path / "population.csv"
    path.write_text("area,year,age,sex,count,source\nE1,2025,0,male,1,x\nE1,2025,0,male,-2,x\nE1,x,1,female,3,y\n")
    plain, plain_found = validate(read_table(path), KINDS["population"])
    raw = read_table(path)
    consumed, found = validate(raw, KINDS["population"], consume=True)
    assert raw.frame.columns == [ROW]
    assert consumed.equals(plain)
    assert [str(p) for p in _each(found)] == [str(p) for p in _each(plain_found)]


def _each(found: list[Found]) -> list[Problem]:
    return [p for f in found for p in (f if isinstance(f, ProblemRun) else [f])]


def test_the_cli_does_not_load_duckdb_or_altair() -> None:
    """Catches a module-level import of DuckDB or Altair coming back: ~65 MB every command carried (a small
    'cyplan import' peaked at 240 MB with them, 177 MB without), a third of the memory target on a 200 MB file."""
    code = "import sys, cyplan.cli; print(sorted({'duckdb', 'altair'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_problems_written_in_parts_are_the_whole_table_written_at_once(tmp_path: Path) -> None:
    """Catches a header repeated, or a row lost or doubled, where write_csv_parts splits its frames into parts
    (25,003 rows: parts of 10,000 and a remainder, an empty frame between, text a spreadsheet would run)."""
    big = pl.DataFrame({"row": range(25_000), "message": [f"=m{i}" for i in range(25_000)]})
    frames = [big, big.clear(), pl.DataFrame({"row": [1, 2, 3], "message": ["a", "b,c", "-1"]})]
    write_csv_parts(frames, tmp_path / "parts.csv")
    write_csv(pl.concat(frames), tmp_path / "whole.csv")
    assert (tmp_path / "parts.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


# -- text kept as dictionary codes (Categorical) through the checks -----------------------------------------------

# cells for each column, the odd ones included: blanks, spaces, case, thousands, percent, out of range, not a
# number, a control character, an enum value of the wrong case, codes that are and are not GSS codes
CELLS = {
    "population": {"area": ["E06000001", " e06000001", "", "X1"], "year": ["2025", "2025.0", "", "abc", "1e20"],
                   "age": ["0", " 1", "1", "26", "-1", ""], "sex": ["female", "MALE", "all", ""],
                   "count": ["1", "1,000", "-2", "", "x"], "source": ["", "ONS", "a\x0bb", " ONS "]},
    "areas": {"code": ["E06000001", "e06000001", "ABC", "a b", "", "X" * 21], "name": ["Hartlepool", "", " "],
              "kind": ["council", "custom", "Custom", "nope", ""], "parent": ["", "E06000001", "ABC"]},
    "prevalence": {"level": ["l1", "l2", ""], "age_from": ["0", "5", "x", ""], "age_to": ["4", "25", ""],
                   "sex": ["female", "male", "all", "ALL", ""], "central": ["0.1", "10%", "2", ""]},
}


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, list[list[str]]]:
    kind = draw(st.sampled_from(sorted(CELLS)))
    columns = CELLS[kind]
    rows = draw(st.lists(st.tuples(*(st.sampled_from(v) for v in columns.values())), min_size=1, max_size=12))
    return kind, [list(columns), *([*r] for r in rows)]


@given(tables())
@settings(max_examples=150, deadline=None)
def test_text_as_dictionary_codes_gives_the_answers_of_text_as_strings(table: tuple[str, list[list[str]]]) -> None:
    """Catches the fast CSV path, whose text stays Categorical through the checks, giving other typed values or
    other problems (words, rows, order) than the same cells checked as strings (the reader cell by cell, as for
    a workbook): a value spread to the wrong rows by its dictionary code, a regex or a join on codes, key ids
    folded in parts (three rows a part here) that misnumber a key."""
    import tempfile

    from cyplan.io import read as read_module
    from cyplan.io import validate as validate_module

    kind, lines = table
    assume(any(c.strip() for cells in lines[1:] for c in cells))  # else both say "a header but no rows of data"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(lines)
        fast = read_table(path)
        slow = read_module._table(str(path), None, read_module._csv_rows(path, str(path)))
    assert all(fast.frame[c].dtype == pl.Categorical for c in fast.columns)  # the fast path was taken
    original, validate_module._PART = validate_module._PART, 3
    try:
        coded, coded_found = validate(fast, KINDS[kind], consume=True, codes=True)
        plain, plain_found = validate(slow, KINDS[kind])
    finally:
        validate_module._PART = original
    text = [c.name for c in KINDS[kind].columns if c.type in ("text", "code", "enum") and c.name in fast.columns]
    assert all(coded[c].dtype == pl.Categorical for c in text)  # the memory this is for
    assert coded.with_columns(pl.col(text).cast(pl.String)).equals(plain)
    assert [str(p) for p in _each(coded_found)] == [str(p) for p in _each(plain_found)]


def test_key_numbers_folded_in_parts_widen_past_32_bits() -> None:
    """Catches key numbers kept in 4 bytes a row past 2**32, where two keys share a number: (65537, 1) is
    65537 * 65536 + 1 = 2**32 + 65537, which wraps onto (1, 1) = 65537; and parts folded onto the wrong rows. Worked
    by hand: rows 2 to 4 each start a key, row 5 repeats row 3's (1, 1)."""
    from cyplan.io.validate import KeyNumbers

    columns = [[65537, 1, 1, 1], [1, 1, 65535, 1]]
    numbers = KeyNumbers(4)
    for ids in columns:
        series = pl.Series(ids, dtype=pl.UInt32)
        numbers.add_parts((series.slice(i, 3) for i in range(0, 4, 3)), max(ids))
    got = numbers.first_rows(pl.Series([2, 3, 4, 5], dtype=pl.Int64))
    assert got is not None and got.to_list() == [2, 3, 4, 3]
    assert numbers.combined is None  # let go once the first rows are made
