"""What the import's checks between rows and columns share: their problems made a check at a time, numbers
written as a message shows them, and how near a sum of shares must come to 1."""

from __future__ import annotations

import math
from collections.abc import Callable

import polars as pl

from cyplan.io.problems import Found, problem_run
from cyplan.io.read import RawTable

SUM_TOLERANCE = 1e-6


def rows(raw: RawTable, failing: pl.DataFrame, column: str | None,
         message: Callable[[dict[str, object]], str] | pl.Expr, summary: str | None = None) -> list[Found]:
    """One check's problems on the `failing` rows, worded by `message` as they are shown or saved (a file full
    of errors is not made into millions of objects at once). Row 0 (or none) is a row already in the workspace
    that a merge keeps: it has no row in the file."""
    return problem_run(raw.file, raw.sheet, column, failing, message, summary)


def fmt(x: object) -> str:
    """A value as a message shows it: 0.25, not 0.25000000000000006 or 2.5e-01."""
    return f"{x:g}" if isinstance(x, float) and math.isfinite(x) else str(x)
