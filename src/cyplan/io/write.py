"""Write tables as CSV (UTF-8) or Excel workbooks, in the shape the readers take back."""

from __future__ import annotations

import io
import json
import math
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

import polars as pl

from cyplan.io.formulas import escape_frame


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` for the block to write, renamed over `path` when the block ends: a reader
    sees the old file (or none) or the whole new one, never a file cut short by a full disk or a kill. If the
    block fails, the temporary file is deleted and `path` is as it was. Every result file cyplan writes goes
    through here. A target that exists but is not a regular file (/dev/stdout, a named pipe) is written
    straight to: it cannot be replaced, and nothing of it is kept to be cut short."""
    if path.exists() and not path.is_file():
        yield path
        return
    staged = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield staged
        os.replace(staged, path)
    except BaseException:
        with suppress(OSError):  # the error that brought us here is the one to tell
            staged.unlink(missing_ok=True)
        raise


def write_bytes(content: bytes, path: Path) -> None:
    """A whole file at once (a board paper), through replacing."""
    with replacing(path) as staged:
        staged.write_bytes(content)


def _write_text(text: str, path: Path) -> None:
    with replacing(path) as staged:
        staged.write_text(text, encoding="utf-8")


def plain_numbers(frame: pl.DataFrame) -> pl.DataFrame:
    """Whole numbers without a trailing '.0', other numbers exactly (they read back the same)."""
    floats = [c for c, t in frame.schema.items() if t == pl.Float64]
    exact = 2.0**53  # beyond this a whole number may not fit an Int64: leave it as 1e+19
    return frame.with_columns(
        pl.when((pl.col(c) == pl.col(c).round()) & (pl.col(c).abs() < exact))
        .then(pl.col(c).cast(pl.Int64, strict=False).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String)).alias(c)
        for c in floats
    )


def write_csv(frame: pl.DataFrame, out: Path | IO[str]) -> None:
    """The one CSV writer: text that a spreadsheet would run as a formula is escaped (cyplan.io.formulas)."""
    text = plain_numbers(escape_frame(frame)).write_csv()
    if isinstance(out, Path):
        _write_text(text, out)
    else:
        out.write(text)


def write_json(frame: pl.DataFrame, out: Path | IO[str]) -> None:
    rows = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
            for r in frame.iter_rows(named=True)]
    text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if isinstance(out, Path):
        _write_text(text, out)
    else:
        out.write(text)


# Excel refuses these in a sheet's name, and a name starting or ending with an apostrophe
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    """A title as Excel takes it for a sheet's name: its forbidden characters (a title such as 'Evidence
    library: interventions' has one) made spaces, and cut to Excel's 31 characters."""
    return " ".join(_NOT_IN_SHEET_NAME.sub(" ", name).split()).strip("'")[:31].strip(" '") or "Sheet1"


def write_xlsx(sheets: dict[str, pl.DataFrame], path: Path) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    def cell(ws: object, value: object) -> object:
        if isinstance(value, str) and value.startswith("="):  # text, not a formula: keep it as typed
            text = WriteOnlyCell(ws, value=value)
            text.data_type = "s"
            return text
        if isinstance(value, float) and math.isfinite(value) and float(f"{value:.16g}") != value:
            number = WriteOnlyCell(ws, value=repr(value))  # openpyxl writes 16 digits; this one needs 17
            number.data_type = "n"
            return number
        return value

    book = openpyxl.Workbook(write_only=True)
    for name, frame in sheets.items():
        ws = book.create_sheet(title=sheet_name(name))
        ws.append(frame.columns)
        for row in frame.iter_rows():
            ws.append([cell(ws, v) for v in row])
    with replacing(path) as staged:
        book.save(staged)


def write_csv_parts(frames: Iterable[pl.DataFrame], path: Path) -> None:
    """One CSV from frames with the same columns, written as they come, so that a table too big to hold at
    once (every problem in a file full of errors) never is: each part goes through write_csv, and only the
    first part's header line is kept."""
    with replacing(path) as staged, staged.open("w", encoding="utf-8", newline="") as f:
        # written _PART rows at a time: the text of 50,000 problems took ~80 MB of working memory on the way
        parts = (part for frame in frames for part in (frame.iter_slices(_PART) if frame.height else [frame]))
        for i, frame in enumerate(parts):
            part = io.StringIO()
            write_csv(frame, part)
            text = part.getvalue()
            f.write(text if i == 0 else text.split("\n", 1)[1])


_PART = 10_000
