"""Read a CSV file or an Excel sheet into text cells, keeping the row numbers the user sees.

Everything is read as text here; types are checked against the schema in `validate`. Row numbers
are the spreadsheet's: the header is the row it is on (row 1 in a plain CSV) and blank rows count.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cyplan.io.files import require_file
from cyplan.io.formulas import is_text, unescape, unescape_columns
from cyplan.io.problems import ROW, InputError, Problem  # ROW: defined with the problems, imported from here too

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class RawTable:
    file: str  # the file's name as the user gave it
    sheet: str | None
    columns: tuple[str, ...]  # normalised header names, in file order
    frame: pl.DataFrame  # one text column (String, or Categorical from a CSV) per header column, plus ROW
    header_row: int
    unsaved_formulas: dict[tuple[int, str], str] = field(default_factory=dict)  # (row, column) → formula
    notes: list[str] = field(default_factory=list)  # warnings on how the file was read ("'FTE' was read as …")
    written: dict[str, str] = field(default_factory=dict)  # normalised header name → the name as the file writes it

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        """A problem located in the file. One on the header row names its column as the file writes it ('2030
        (provisional)', not 2030_(provisional)): that is the cell the user must find and fix."""
        if row is not None and row == self.header_row and column in self.written:
            column = self.written[column]
        return Problem(self.file, row, column, message, self.sheet)

    def as_written(self, column: str) -> str:
        """The header cell a column was read from, as the file writes it (the name itself if it is not the file's)."""
        return self.written.get(column, column)


def text_like(frame: pl.DataFrame, like: pl.DataFrame) -> pl.DataFrame:
    """`frame` with each text column cast to the type of `like`'s column of that name: a CSV's text columns stay
    dictionary codes (Categorical) once checked, a workbook's and the workspace's are strings, and Polars joins and
    stacks only columns of one type. Cast the smaller frame (the distinct values, the workspace's rows) to the
    bigger one's types, so that a big file's columns are not made strings."""
    schema = like.schema
    casts = {c: schema[c] for c, t in frame.schema.items()
             if c in schema and t != schema[c] and is_text(t) and is_text(schema[c])}
    return frame.cast(casts) if casts else frame


def normalise_header(name: object) -> str:
    """'Age From ' and 'age-from' both name the column age_from."""
    return re.sub(r"[\s\-]+", "_", str(name if name is not None else "").strip().lower())


def read_table(path: Path, sheet: str | None = None, default_sheet: str | None = None, header_row: int | None = None,
               expect: Collection[str] = ()) -> RawTable:
    """The table in the file. `header_row` (as the spreadsheet numbers rows) skips the rows above it, such as the
    title and source lines ONS and NHS tables start with; without it the header is the first row that holds
    anything, and `expect` (the header names the input knows) lets a title row above the header be recognised
    and the header's row suggested, in one message, not a message for every row of the table."""
    label = str(path)
    require_file(path)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        name, rows, unsaved = _excel_rows(path, label, sheet, default_sheet)
        try:
            return _table(label, name, rows, unsaved, header_row, expect)
        except BaseException as e:
            if is_panic(e):  # Polars' Rust code gave up (out of memory for a huge cell): a message, not a crash
                raise unreadable_workbook(label, e) from None
            raise
    if suffix in CSV_SUFFIXES:
        if sheet:
            raise InputError([Problem(label, None, None, "a sheet was named but a CSV file has no sheets")])
        # cells escaped by cyplan's CSV writer (a "'" before text a spreadsheet would run) are given back as written
        fast = None if header_row else _csv_frame_table(path, label)
        return fast or _table(label, None, [(n, [unescape(c) for c in cells]) for n, cells in _csv_rows(path, label)],
                              None, header_row, expect)
    if suffix in YAML_SUFFIXES:
        from cyplan.io.read_yaml import yaml_rows  # only needed for YAML

        return _table(label, None, yaml_rows(path, label), None, header_row, expect)
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
        raise InputError([Problem(label, len(rows) + 1, None, _malformed(e))]) from None
    wrong = separator_problem(label, _widest(rows))
    if wrong:
        raise InputError([wrong])
    unclosed = unclosed_quote(label, rows) if rows and text.count('"') % 2 else None
    if unclosed:
        raise InputError([unclosed])
    return rows


def _malformed(e: csv.Error) -> str:
    """Python's csv message, or for a cell past its field limit what that means in a spreadsheet's terms."""
    if "field larger than field limit" not in str(e):
        return f"the CSV is malformed: {e}"
    return (f"a cell in this row is longer than {csv.field_size_limit():,} characters (Excel holds at most "
            f"{EXCEL_CELL_LIMIT:,} in a cell): check this row holds the table's cells, and that no quote (\") is "
            "left open")


EXCEL_CELL_LIMIT = 32_767  # characters in one cell
HEADER_SEARCH = 20  # rows looked at for a header below a title
MAX_HEADER_ROW = 1_048_576  # Excel's last row: a header row past it is a slip (and past 2**63 breaks the row column)


def _widest(rows: list[tuple[int, list[str]]]) -> list[str]:
    """Of the first rows that hold anything, the one with the most cells: the header, not a title above it (whose
    'Mid-2024; England' would read as a file separated by semicolons); the first, if every row is one cell."""
    filled = [cells for _, cells in rows[:HEADER_SEARCH] if any(c.strip() for c in cells)]
    return max(filled, key=len, default=[])


SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars ('|')"}


def separator_problem(label: str, header: list[str], sheet: str | None = None) -> Problem | None:
    """A problem if the header (read as comma-separated cells) is plainly separated by something else: more
    semicolons, tabs or bars in it than it has cells, as when Excel saves 'CSV' with a semicolon list separator."""
    text = ",".join(header)
    counts = {sep: text.count(sep) for sep in SEPARATORS}
    sep = max(counts, key=lambda k: counts[k])
    if not counts[sep] or counts[sep] < len(header):
        return None
    return Problem(label, None, None, f"the file is separated by {SEPARATORS[sep]}; cyplan reads comma-separated "
                   "files: save it as CSV (comma delimited), e.g. in Excel with Save As → 'CSV UTF-8 (Comma "
                   "delimited)'", sheet)


def unclosed_quote(label: str, rows: list[tuple[int, list[str]]], sheet: str | None = None) -> Problem | None:
    """A quote that is never closed swallows the rest of the file into the last record's last cell: say where it
    opens, not that the cells it swallowed are blank (nor Polars' "CSV malformed: expected 0 rows…")."""
    row, cells = rows[-1]
    if not cells or not ("\n" in cells[-1] or "\r" in cells[-1]):
        return None
    return Problem(label, row, None, f"a quote (\") opens in cell {len(cells)} of this row and is never closed, "
                   "so the rest of the file reads as that one cell: close the quote or remove it", sheet)


def _csv_frame_table(path: Path, label: str) -> RawTable | None:
    """The table read straight into columns by Polars, each as dictionary codes (Categorical): a big file never
    becomes a Python string per cell, nor 16 bytes a cell (a column holds few distinct values, and each is
    kept once). None (read it cell by cell instead, for exact messages) unless every record is one line of
    the file, so that record n is row n, and no row has more cells than the first line."""
    width = _first_line_width(path)
    if not width:
        return None
    cells = [f"c{i}" for i in range(width)]
    try:
        frame = pl.read_csv(path, has_header=False, schema=dict.fromkeys(cells, pl.Categorical), quote_char='"',
                            separator=",", raise_if_empty=False)
    except (pl.exceptions.PolarsError, OSError):
        return None
    lines, odd = _lines(path)
    if frame.height != lines or odd:
        return None
    if not all(_valid_text(frame[c]) for c in cells):
        return None
    frame = frame.with_columns(pl.col(cells).fill_null("")).with_row_index(ROW, offset=1)
    frame = frame.with_columns(pl.col(ROW).cast(pl.Int64))
    blank = {c: _blank(frame[c]) for c in cells}
    filled = ~pl.all_horizontal(blank.values())
    mask = pl.select(filled).to_series()
    if not mask.all():
        frame = frame.filter(mask)
        blank = {c: b.filter(mask) for c, b in blank.items()}
    if not frame.height:
        raise InputError([Problem(label, None, None, "the file is empty")])
    header_row, *header_cells = frame.select(ROW, *cells).row(0)
    header_cells = [unescape(str(c)) for c in header_cells]
    while header_cells and not header_cells[-1].strip():
        header_cells = header_cells[:-1]
    wrong = separator_problem(label, header_cells)
    if wrong:
        raise InputError([wrong])
    body = frame.slice(1)
    if any(not blank[c].slice(1).all() for c in cells[len(header_cells):]):
        return None  # a row longer than the header: the reader cell by cell says how long
    columns, problems = _header(label, None, header_row, header_cells)
    if not body.height:
        problems.append(Problem(label, None, None, "the file has a header but no rows of data"))
    if problems:
        raise InputError(problems)
    body = body.select(*(pl.col(c).alias(name) for c, name in zip(cells, columns, strict=False)), ROW)
    body = unescape_columns(body, columns)
    return RawTable(label, None, tuple(columns), body, header_row, written=_written(columns, header_cells))


def _first_line_width(path: Path) -> int:
    """How many cells the file's first line has (0 if it is blank, or not UTF-8: read cell by cell)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            line = f.readline(1 << 20)
    except (OSError, UnicodeDecodeError):
        return 0
    if not line.strip() or ('"' in line and line.count('"') % 2):
        return 0
    try:
        return len(next(csv.reader([line]), []))
    except csv.Error:  # a header cell past csv's field limit: the reader cell by cell names the row
        return 0


def _valid_text(column: pl.Series) -> bool:
    """Whether every distinct value is whole UTF-8 text. Polars' Categorical reader can cut a character in two after
    a closing quote (`""` then a byte-order mark) without a word, and the broken text then panics when shown: such
    a file is read cell by cell instead, which reads it as a spreadsheet would."""
    try:
        column.unique().cast(pl.String).cast(pl.Binary).cast(pl.String, strict=True)
    except pl.exceptions.PolarsError:
        return False
    return True


def _blank(column: pl.Series) -> pl.Series:
    """True where the cell is blank or only spaces: worked out on the column's distinct values."""
    values = column.unique()
    spaces = values.filter(values.cast(pl.String).str.strip_chars() == "")
    return column.is_in(spaces.implode()) if len(spaces) else pl.repeat(False, len(column), eager=True)


def _lines(path: Path) -> tuple[int, bool]:
    """The number of lines in the file (a last line without a line break counts), and whether the fast reader must
    leave it to the reader cell by cell: a carriage return that does not end a line (old Mac line ends, which
    Polars does not take as line ends), or bytes that are not UTF-8 (Polars' Categorical reader does not check
    them, and the text it then holds panics when shown; the reader cell by cell names the first bad byte)."""
    lines, odd, last = 0, False, b"\n"
    utf8 = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):  # 16 MB pieces stayed in the C heap once freed (~30 MB)
            lines += chunk.count(b"\n")
            odd = odd or chunk.count(b"\r") != chunk.count(b"\r\n") + chunk.endswith(b"\r")
            if not odd:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    odd = True
            last = chunk[-1:]
    if not odd:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            odd = True
    return lines + (last != b"\n"), odd


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
        name = _choose_sheet(book.sheetnames, sheet, default_sheet, label, hidden_sheets(book))
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


# An .xlsx is a zip: a few hundred KB can unpack to GBs (one cell of 400 MB of 'x' packs to 400 KB), past the web's
# upload limit, which counts packed bytes. Real workbooks pack 5 to 25 times (a sheet of one value repeated, 23):
# refuse one whose parts unpack past UNPACKED_LIMIT in all, or a big part packed more than PACKED_RATIO times.
UNPACKED_LIMIT = 1_000_000_000  # bytes; a module constant so that tests can lower it
PACKED_RATIO = 200
RATIO_FROM = 10_000_000  # bytes unpacked: small parts (styles, a short sheet) may pack tighter and do no harm


def check_workbook_size(path: Path, label: str) -> None:
    """InputError, naming the file, if the workbook's parts unpack to more than cyplan reads; from the zip's own
    list of parts (their declared sizes), before anything is unpacked. A file that is not a zip is left to the
    reader, for its own message."""
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    total = sum(p.file_size for p in parts)
    packed = [p for p in parts if p.file_size > RATIO_FROM and p.file_size > PACKED_RATIO * max(p.compress_size, 1)]
    if total <= UNPACKED_LIMIT and not packed:
        return
    why = (f"it unpacks to {total / 1e6:,.0f} MB, more than the {UNPACKED_LIMIT / 1e6:,.0f} MB cyplan reads from a "
           "workbook" if total > UNPACKED_LIMIT else
           f"its part {packed[0].filename} unpacks to {packed[0].file_size / 1e6:,.0f} MB from "
           f"{packed[0].compress_size / 1e3:,.0f} KB, far more than a workbook Excel saves (it may be built to "
           "exhaust the computer's memory)")
    raise InputError([Problem(label, None, None, f"not read: {why}; if the table is real, save it as CSV UTF-8 "
                              "and import that")])


def is_panic(e: BaseException) -> bool:
    """Whether `e` is a Rust panic raised through Polars or fastexcel (each has its own PanicException class, a
    BaseException, so `except Exception` lets it through)."""
    return type(e).__name__ == "PanicException"


def open_workbook(path: Path, label: str, data_only: bool = True) -> Any:
    """The workbook, read-only; InputError if it cannot be read. A damaged workbook fails in the zip, in the XML
    or in openpyxl's own code, each with its own kind of error: all of them mean the file is not readable."""
    import openpyxl  # only needed for workbooks

    check_workbook_size(path, label)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except Exception as e:
        raise unreadable_workbook(label, e) from None


def unreadable_workbook(label: str, e: BaseException) -> InputError:
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


# what to say of a hidden sheet, by its state: Excel's Unhide lists 'hidden' sheets, but not 'very hidden' ones
# (set so by a macro; only the VBA editor shows them), so for those the table is copied out instead
HIDDEN = {"hidden": "is hidden, so it may not be meant for import: unhide it in Excel (right-click a sheet tab → "
                    "Unhide) and save, then import again",
          "veryHidden": "is 'very hidden' (Excel's Unhide does not list it), so it may not be meant for import: "
                        "copy its table into a visible sheet and save, then import again"}


def hidden_sheets(book: object) -> dict[str, str]:
    """An openpyxl workbook's hidden sheets → their state ('hidden' or 'veryHidden'), the key to HIDDEN."""
    states = {n: book[n].sheet_state for n in book.sheetnames}  # type: ignore[attr-defined]
    return {n: ("veryHidden" if state == "veryHidden" else "hidden") for n, state in states.items()
            if state != "visible"}


def _choose_sheet(names: list[str], sheet: str | None, default_sheet: str | None, label: str,
                  hidden: dict[str, str] | None = None) -> str:
    if sheet is not None:
        if sheet in names:
            return sheet
        raise InputError([Problem(label, None, None, f"no sheet named '{sheet}'; the sheets are "
                                  + ", ".join(f"'{n}'" for n in names))])
    by_case = {n.lower(): n for n in names}
    if default_sheet is not None and default_sheet.lower() in by_case:
        name = by_case[default_sheet.lower()]
        if hidden and name in hidden:  # named with --sheet, it is imported: the user has chosen it
            raise InputError([Problem(label, None, None, f"the sheet '{name}' {HIDDEN[hidden[name]]} (or name it "
                                      "with --sheet)", name)])
        return name
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
        # a whole number as its digits, as Excel shows it, unless it is too big to be exact (then 1e+308, not
        # its 309 digits in a message)
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _header(label: str, sheet: str | None, header_row: int, cells: list[str]) -> tuple[list[str], list[Problem]]:
    """The header's column names, and its problems: a run of blank cells is one problem (a stray value far to
    the right, in column XFD, leaves thousands of them), a name given twice is another."""
    columns = [normalise_header(c) for c in cells]
    problems = []
    blank = [i for i, name in enumerate(columns) if not name]
    for start, end in _runs(blank):
        which = f"header cell {start + 1} is" if start == end else f"header cells {start + 1} to {end + 1:,} are"
        problems.append(Problem(label, header_row, None, f"{which} blank: every column needs a name" + (
            "; a value far to the right of the table makes every cell up to it a column: delete those columns"
            if end - start >= 10 else ""), sheet))
    for i, name in enumerate(columns):
        if name and name in columns[:i]:
            first, here = cells[columns.index(name)].strip(), cells[i].strip()
            spelt = f": '{first}' and '{here}'" if first != here else ""
            problems.append(Problem(label, header_row, here, "this column appears twice in the header (header cells "
                                    f"{columns.index(name) + 1} and {i + 1}{spelt})", sheet))
    return columns, problems


def _written(columns: list[str], cells: list[str]) -> dict[str, str]:
    """Each column's normalised name → its header cell as the file writes it (trimmed: a trailing space is not seen
    in a spreadsheet), the first cell of a name given twice."""
    written: dict[str, str] = {}
    for name, cell in zip(columns, cells, strict=True):
        written.setdefault(name, cell.strip())
    return written


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Consecutive positions as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for i in positions:
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _table(label: str, sheet: str | None, rows: list[tuple[int, list[str]]],
           unsaved: dict[tuple[int, int], str] | None = None, given: int | None = None,
           expect: Collection[str] = ()) -> RawTable:
    rows = [(n, cells) for n, cells in rows if any(c.strip() for c in cells)]
    if given is not None:
        rows = _from_header_row(label, sheet, rows, given)
    if not rows:
        raise InputError([Problem(label, None, None, "the file is empty", sheet)])
    header_row, header_cells = rows[0]
    if given is None and expect:
        found = header_below_title(rows, expect)
        if found is not None:
            raise InputError([Problem(label, None, None, f"row {header_row} looks like a title; the header seems to "
                                      f"be row {found} — use `--header-row {found}` (on the Data page: header row "
                                      f"{found})", sheet)])
    while header_cells and not header_cells[-1].strip():
        header_cells = header_cells[:-1]
    columns, problems = _header(label, sheet, header_row, header_cells)
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
    return RawTable(label, sheet, tuple(columns), frame, header_row, formulas, written=_written(columns, header_cells))


def _from_header_row(label: str, sheet: str | None, rows: list[tuple[int, list[str]]],
                     given: int) -> list[tuple[int, list[str]]]:
    """The filled rows from the header row the user gave on; InputError if that row is blank or past the end."""
    if not 1 <= given <= MAX_HEADER_ROW:
        raise InputError([Problem(label, None, None, f"the header row must be from 1 to {MAX_HEADER_ROW:,}, not "
                                  f"{given}", sheet)])
    kept = [(n, cells) for n, cells in rows if n >= given]
    if not kept or kept[0][0] != given:
        last = rows[-1][0] if rows else 0
        where = f"the file's last row is {last}" if given > last else "that row is blank"
        raise InputError([Problem(label, given, None, f"the header row was given as row {given}, but {where}: give "
                                  "the row that holds the column names", sheet)])
    return kept


def header_below_title(rows: list[tuple[int, list[str]]], expect: Collection[str]) -> int | None:
    """The row the header seems to be on, if the first filled row looks like a title (one filled cell, or no cell
    naming a known column) and a later row among the next HEADER_SEARCH names more known columns than it (at
    least two, or every known name if fewer); else None: the first row is taken as the header, as before."""
    known = {normalise_header(name) for name in expect}

    def matched(cells: list[str]) -> int:
        return len({normalise_header(c) for c in cells} & known)

    first, cells = rows[0]
    filled = sum(1 for c in cells if c.strip())
    here = matched(cells)
    if filled > 1 and here:
        return None
    enough = min(2, len(known))
    best, best_row = here, None
    for n, later in rows[1:]:
        if n > first + HEADER_SEARCH:
            break
        score = matched(later)
        if score > best and score >= enough:
            best, best_row = score, n
    return best_row


SAVE_AS_UTF8 = ("save it as UTF-8: in Excel, Save As → 'CSV UTF-8 (Comma delimited)'; in other programs, choose the "
                "encoding UTF-8 when saving")


def _split(line: str) -> list[str] | None:
    """One line's cells, read as comma-separated (an empty line is one empty cell); None if the line is not CSV
    at all (a carriage return inside it, say): the message then names no column rather than failing."""
    try:
        return next(csv.reader([line]), None) or [""]
    except csv.Error:
        return None


def first_bad_byte(path: Path, label: str, header: list[str] | None = None, sheet: str | None = None) -> Problem:
    """The file is not UTF-8: a problem on the first line with a byte that is not, naming its column (by the
    `header` read as comma-separated cells; by default the file's first line that holds anything) and the
    byte, and saying how to save the file as UTF-8. Lines are read one at a time: a big file is not held."""
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                text = line.decode("utf-8-sig" if number == 1 else "utf-8")
                if header is None and text.strip():  # the first line that holds anything is the header
                    header = _split(text.rstrip("\r\n")) or []
            except UnicodeDecodeError as e:
                before = line[: e.start].decode("utf-8", errors="replace")
                index = len(_split(before) or []) - 1  # -1: the line is not CSV, so no column can be named
                column = header[index].strip() if header and 0 <= index < len(header) else None
                byte = line[e.start : e.start + 1].hex().upper()
                return Problem(label, number, column, f"the file is not UTF-8 text (byte 0x{byte} at character "
                               f"{len(before) + 1} of this line): {SAVE_AS_UTF8}", sheet)
    return Problem(label, None, None, f"the file is not UTF-8 text: {SAVE_AS_UTF8}", sheet)
