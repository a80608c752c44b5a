"""Read a referral file (CSV or Excel) into an in-memory DuckDB table, trimmed and parsed.

Nothing is written anywhere here: the workspace is only touched once the file has passed its checks.
Row numbers are the spreadsheet's: the header is row 1 (or the row it is on in a sheet), and the
n-th record is on the row n below it. (DuckDB skips blank lines in a CSV; a CSV with blank lines or
line breaks inside quoted cells is numbered by record, as a spreadsheet shows it.)
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cyplan.io.files import require_file, sha256
from cyplan.io.problems import InputError, Problem
from cyplan.io.read import normalise_header
from cyplan.returns import fields as F

CSV_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TABLE = "staged"


@dataclass
class Staged:
    con: duckdb.DuckDBPyConnection  # in memory; holds TABLE, one row per record, in file order
    file: str
    sheet: str | None
    sha256: str
    first_row: int  # the spreadsheet row of the first record (rowid 0)
    records: int

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        return Problem(self.file, row, column, message, self.sheet)


def columns_sql(header: dict[str, str]) -> str:
    """The cleaning select: trimmed text, parsed date and yes/no (header: our name →
    the file's column name). Raw text is kept only where it failed to parse, for the messages.
    Categorical values are kept as given (blank as null): `classify` matches each distinct value once,
    trimmed, and its label is the trimmed value."""
    q = {k: '"' + v.replace('"', '""') + '"' for k, v in header.items()}
    # each value as most files write it ('yes', '2022-05-01') is taken as it is; only the others are trimmed
    # and lower-cased (the same result, without trimming a million values that need none)
    yes_no = "CASE {c} WHEN 'yes' THEN {t} WHEN 'no' THEN {f} ELSE CASE lower(trim({c})) WHEN 'yes' THEN {t} " \
             "WHEN 'no' THEN {f} END END"
    date = f"coalesce(try_cast({q[F.DATE]} AS DATE), try_cast(trim({q[F.DATE]}) AS DATE))"
    parts = [
        f"nullif(trim({q[F.ID]}), '') AS {F.ID}",
        f"{date} AS {F.DATE}",
        f"CASE WHEN {date} IS NULL THEN coalesce(trim({q[F.DATE]}), '') END AS {F.DATE}_raw",
        yes_no.format(c=q[F.ACCEPTED], t="true", f="false") + f" AS {F.ACCEPTED}",
        f"CASE WHEN ({yes_no.format(c=q[F.ACCEPTED], t='1', f='1')}) IS NULL THEN coalesce(trim({q[F.ACCEPTED]}), '') "
        f"END AS {F.ACCEPTED}_raw",
        f"nullif(trim({q[F.AGE]}), '') AS {F.AGE}",
        *(f"nullif({q[c]}, '') AS {c}" for c in F.CATEGORICAL),  # as given: classify trims each distinct value
        *(f"CASE {q[m]} WHEN 'yes' THEN 'yes' WHEN 'no' THEN 'no' ELSE CASE lower(trim({q[m]})) WHEN 'yes' THEN 'yes' "
          f"WHEN 'no' THEN 'no' WHEN '' THEN NULL ELSE trim({q[m]}) END END AS {m}" for m in F.MILESTONES),
    ]
    return ",\n  ".join(parts)


def _header_problems(label: str, sheet: str | None, names: list[str], header_row: int) -> tuple[dict[str, str],
                                                                                                  list[Problem]]:
    problems = []
    header: dict[str, str] = {}
    for name in names:
        key = normalise_header(name)
        what = F.identifying(key)
        if what and key != F.ID:
            problems.append(Problem(label, header_row, name, f"this column looks like {what}: referral returns "
                                    "must be pseudonymised, so remove the column and import again", sheet))
        elif key in header:
            problems.append(Problem(label, header_row, name, f"the column '{key}' is given twice", sheet))
        elif key in F.COLUMNS:
            header[key] = name
    for missing in (c for c in F.COLUMNS if c not in header):
        problems.append(Problem(label, header_row, missing, "this column is missing", sheet))
    return header, problems


def stage(path: Path, sheet: str | None = None) -> Staged:
    """The file's records in an in-memory DuckDB table; InputError if the file cannot be read or its
    header is wrong (missing columns, identifying columns)."""
    label = str(path)
    require_file(path)
    with ThreadPoolExecutor(1) as pool:  # hashing releases the GIL: it runs while DuckDB reads the file
        digest = pool.submit(sha256, path)
        con, label, sheet, header_row = _read(path, label, sheet)
        return Staged(con, label, sheet, digest.result(), header_row + 1,
                      con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])  # type: ignore[index]


def _read(path: Path, label: str, sheet: str | None) -> tuple[duckdb.DuckDBPyConnection, str, str | None, int]:
    suffix = path.suffix.lower()
    con = duckdb.connect()
    header_row = 1
    with tempfile.TemporaryDirectory() as tmp:
        if suffix in EXCEL_SUFFIXES:
            csv_path, header_row, sheet = _excel_as_csv(path, sheet, Path(tmp))
        elif suffix in CSV_SUFFIXES:
            if sheet:
                raise InputError([Problem(label, None, None, "a sheet was named but a CSV file has no sheets")])
            csv_path = path
        else:
            raise InputError([Problem(label, None, None, "referral returns are read from .csv or .xlsx files")])
        source = "read_csv(?, header=true, all_varchar=true, delim=',', quote='\"', encoding='utf-8')"
        try:
            names = [d[0] for d in con.execute(f"SELECT * FROM {source} LIMIT 0", [str(csv_path)]).description]
        except duckdb.Error as e:
            raise InputError([Problem(label, None, None, f"cannot be read as CSV: {_first_line(e)}", sheet)]) from None
        header, problems = _header_problems(label, sheet, names, header_row)
        if problems:
            raise InputError(problems)
        try:
            con.execute(f"CREATE TABLE {TABLE} AS SELECT\n  {columns_sql(header)}\nFROM {source}",
                        [str(csv_path)])
        except duckdb.Error as e:
            raise InputError([Problem(label, None, None, f"cannot be read as CSV: {_first_line(e)}", sheet)]) from None
    return con, label, sheet, header_row


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0]


def _excel_as_csv(path: Path, sheet: str | None, tmp: Path) -> tuple[Path, int, str]:
    """fastexcel (quick for big sheets) → a CSV for DuckDB, with the sheet row the header was on:
    fastexcel starts at the first non-empty row, so that row is found with openpyxl first (read-only,
    first rows only) and the messages keep the sheet's numbering."""
    import fastexcel
    import openpyxl

    label = str(path)
    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as e:  # fastexcel raises its own error types for damaged or non-Excel files
        raise InputError([Problem(label, None, None, f"cannot be read as an Excel workbook: {e}")]) from None
    names = reader.sheet_names
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        raise InputError([Problem(label, None, None, f"no sheet '{sheet}'; the sheets are {', '.join(names)}")])
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        header_row = next((i for i, row in enumerate(book[sheet].iter_rows(values_only=True), start=1)
                           if any(v is not None and str(v).strip() for v in row)), 1)
    finally:
        book.close()
    frame = reader.load_sheet(sheet, header_row=0, dtypes="string").to_polars()
    out = tmp / "sheet.csv"
    frame.write_csv(out)
    return out, header_row, sheet
