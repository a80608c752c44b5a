"""Read a CSV file or an Excel sheet into text cells, keeping the row numbers the user sees.

Everything is read as text here; types are checked against the schema in `validate`. Row numbers
are the spreadsheet's: the header is the row it is on (row 1 in a plain CSV) and blank rows count.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cyplan.io.files import require_file
from cyplan.io.formulas import unescape
from cyplan.io.problems import InputError, Problem

ROW = "__row"  # the column holding each record's spreadsheet row number
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class RawTable:
    file: str  # the file's name as the user gave it
    sheet: str | None
    columns: tuple[str, ...]  # normalised header names, in file order
    frame: pl.DataFrame  # one text column per header column, plus ROW
    header_row: int
    unsaved_formulas: dict[tuple[int, str], str] = field(default_factory=dict)  # (row, column) → formula

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        return Problem(self.file, row, column, message, self.sheet)


def normalise_header(name: object) -> str:
    """'Age From ' and 'age-from' both name the column age_from."""
    return re.sub(r"[\s\-]+", "_", str(name if name is not None else "").strip().lower())


def read_table(path: Path, sheet: str | None = None, default_sheet: str | None = None) -> RawTable:
    label = str(path)
    require_file(path)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        name, rows, unsaved = _excel_rows(path, label, sheet, default_sheet)
        return _table(label, name, rows, unsaved)
    if suffix in CSV_SUFFIXES:
        if sheet:
            raise InputError([Problem(label, None, None, "a sheet was named but a CSV file has no sheets")])
        # cells escaped by cyplan's CSV writer (a "'" before text a spreadsheet would run) are given back as written
        return _table(label, None, [(n, [unescape(c) for c in cells]) for n, cells in _csv_rows(path, label)])
    if suffix in YAML_SUFFIXES:
        from cyplan.io.read_yaml import yaml_rows  # only needed for YAML

        return _table(label, None, yaml_rows(path, label))
    if suffix == ".xls":
        raise InputError([Problem(label, None, None, "old .xls workbooks are not read: save it as .xlsx "
                                  "(Excel Workbook) or as CSV UTF-8")])
    raise InputError([Problem(label, None, None, f"cannot read '{suffix or 'no extension'}' files: "
                              "give a .csv, .xlsx or .yaml file")])


def _csv_rows(path: Path, label: str) -> list[tuple[int, list[str]]]:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):  # Excel's "CSV UTF-8" starts with a byte-order mark
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(_not_utf8(data, label)) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        for record in reader:  # one record is one spreadsheet row, even when a quoted cell spans lines
            rows.append((len(rows) + 1, record))
    except csv.Error as e:
        raise InputError([Problem(label, len(rows) + 1, None, f"the CSV is malformed: {e}")]) from None
    return rows


def _not_utf8(data: bytes, label: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            byte = line[e.start : e.start + 1].hex().upper()
            problems.append(Problem(label, number, None, f"not UTF-8 text (byte 0x{byte} at character "
                                    f"{e.start + 1}); save the file as 'CSV UTF-8 (Comma delimited)'"))
    return problems


def _excel_rows(path: Path, label: str, sheet: str | None,
                default_sheet: str | None) -> tuple[str, list[tuple[int, list[str]]], dict[tuple[int, int], str]]:
    # data_only: a formula cell gives the value Excel saved with it, as the user sees it
    book = open_workbook(path, label, data_only=True)
    try:
        name = _choose_sheet(book.sheetnames, sheet, default_sheet, label)
        try:
            ws = book[name]
            ws.reset_dimensions()  # some writers save wrong dimensions; read every row there is
            rows = [(i, [_cell_text(v) for v in values])
                    for i, values in enumerate(ws.iter_rows(values_only=True), start=1)]
        except Exception as e:  # a damaged sheet fails only when it is read (see open_workbook)
            raise unreadable_workbook(label, e) from None
    finally:
        book.close()
    unsaved = _unsaved_formulas(path, name, rows) if any(c == "" for _, cells in rows for c in cells) else {}
    return name, rows, unsaved


def open_workbook(path: Path, label: str, data_only: bool = True) -> Any:
    """The workbook, read-only; InputError if it cannot be read. A damaged workbook fails in the zip, in the XML
    or in openpyxl's own code, each with its own kind of error: all of them mean the file is not readable."""
    import openpyxl  # only needed for workbooks

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except Exception as e:
        raise unreadable_workbook(label, e) from None


def unreadable_workbook(label: str, e: Exception) -> InputError:
    return InputError([Problem(label, None, None, f"not a readable Excel workbook ({e or type(e).__name__})")])


def _unsaved_formulas(path: Path, sheet: str, rows: list[tuple[int, list[str]]]) -> dict[tuple[int, int], str]:
    """(row, column index) → formula, for blank cells that hold a formula: a formula whose result was
    never saved (a file written by a program, not by Excel) reads as blank."""
    book = open_workbook(path, str(path), data_only=False)
    try:
        ws = book[sheet]
        ws.reset_dimensions()
        formulas = {(i, j): v for i, values in enumerate(ws.iter_rows(values_only=True), start=1)
                    for j, v in enumerate(values) if isinstance(v, str) and v.startswith("=")}
    except Exception as e:  # as in _excel_rows
        raise unreadable_workbook(str(path), e) from None
    finally:
        book.close()
    saved = dict(rows)
    return {(i, j): f for (i, j), f in formulas.items() if j < len(saved.get(i, [])) and saved[i][j] == ""}


def _choose_sheet(names: list[str], sheet: str | None, default_sheet: str | None, label: str) -> str:
    if sheet is not None:
        if sheet in names:
            return sheet
        raise InputError([Problem(label, None, None, f"no sheet named '{sheet}'; the sheets are "
                                  + ", ".join(f"'{n}'" for n in names))])
    by_case = {n.lower(): n for n in names}
    if default_sheet is not None and default_sheet.lower() in by_case:
        return by_case[default_sheet.lower()]
    if len(names) == 1:
        return names[0]
    raise InputError([Problem(label, None, None, "the workbook has several sheets: name one with --sheet ("
                              + ", ".join(f"'{n}'" for n in names) + ")")])


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _table(label: str, sheet: str | None, rows: list[tuple[int, list[str]]],
           unsaved: dict[tuple[int, int], str] | None = None) -> RawTable:
    rows = [(n, cells) for n, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        raise InputError([Problem(label, None, None, "the file is empty", sheet)])
    header_row, header_cells = rows[0]
    while header_cells and not header_cells[-1].strip():
        header_cells = header_cells[:-1]
    columns = [normalise_header(c) for c in header_cells]
    problems = []
    for i, name in enumerate(columns):
        if not name:
            problems.append(Problem(label, header_row, None, f"header cell {i + 1} is blank: every column "
                                    "needs a name", sheet))
        elif name in columns[:i]:
            problems.append(Problem(label, header_row, name, "this column appears twice in the header", sheet))
    body = rows[1:]
    if not body:
        problems.append(Problem(label, None, None, "the file has a header but no rows of data", sheet))
    width = len(columns)
    for n, cells in body:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.append(Problem(label, n, None, f"this row has {len(cells)} values but the header has "
                                    f"{width} columns", sheet))
    if problems:
        raise InputError(problems)
    data: dict[str, list[str] | list[int]] = {
        name: [cells[i] if i < len(cells) else "" for _, cells in body] for i, name in enumerate(columns)
    }
    data[ROW] = [n for n, _ in body]
    frame = pl.DataFrame(data, schema={**{c: pl.String for c in columns}, ROW: pl.Int64})
    formulas = {(i, columns[j]): f for (i, j), f in (unsaved or {}).items() if j < width and i > header_row}
    return RawTable(label, sheet, tuple(columns), frame, header_row, formulas)
