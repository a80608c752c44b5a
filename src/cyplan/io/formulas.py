"""Text that a spreadsheet would run as a formula, made safe in CSV files and given back on import.

A CSV cell starting with '=', '+', '-', '@', a tab or a carriage return is taken by Excel and LibreOffice
as a formula (OWASP "CSV injection"): a service named =HYPERLINK(...) would become a link that sends the
sheet away. cyplan's one CSV writer puts a "'" before such text, as OWASP advises, and the CSV reader
takes it off again, so that importing an exported file gives back exactly the text that was exported.

The reader takes a "'" off a cell that starts with "'" and then one of those characters or another "'"
(and off nothing else); so the writer also puts a "'" before text that itself starts that way ("'=x" is
written "''=x"), and leaves other text alone ("'lots' is not a number" is written as it is).
docs/data-formats.md ("Exporting") states the rule for users.
"""

from __future__ import annotations

import polars as pl

PREFIX = "'"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_AFTER_PREFIX = (*FORMULA_START, PREFIX)  # a PREFIX followed by one of these is taken off by the reader
_ESCAPED = r"^([=+\-@\t\r]|'[=+\-@\t\r'])"  # what the writer puts a PREFIX before
_PREFIXED = r"^'([=+\-@\t\r'])"  # what the reader takes a PREFIX off


def unescape(cell: str) -> str:
    """The text a CSV cell holds: undoes `escape` exactly, and leaves any other cell alone."""
    return cell[1:] if cell.startswith(PREFIX) and cell[1:2] in _AFTER_PREFIX else cell


def escape(text: str) -> str:
    """The cell as it is written to CSV: the text with a PREFIX if it would run as a formula, or if the
    reader would take a PREFIX off it."""
    return PREFIX + text if text.startswith(FORMULA_START) or unescape(text) != text else text


def is_text(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


def escape_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column's cells and every column name escaped; numeric columns as they are (a negative number
    is a number, not a formula)."""
    text = [c for c, t in frame.schema.items() if is_text(t)]
    escaped = frame.with_columns(pl.col(c).cast(pl.String).str.replace(_ESCAPED, PREFIX + "$1") for c in text)
    return escaped.rename({c: escape(c) for c in frame.columns if escape(c) != c})


def unescape_columns(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """`unescape` over whole text columns (the fast CSV reader's Categorical columns): each column's distinct
    values are looked at first, so a file with nothing escaped costs one pass over its dictionaries."""
    prefixed = [c for c in columns if frame[c].unique().cast(pl.String).str.contains(_PREFIXED).any()]
    return frame.with_columns(pl.col(c).cast(pl.String).str.replace(_PREFIXED, "$1").cast(frame.schema[c])
                              for c in prefixed)
